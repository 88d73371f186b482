import LoadModel
import MetricsSources
import PrometheusText
import Testing
@testable import KubeEmulator

/// A simulated Triton pod's `/metrics`, read as the operator's direct scrape reads it: the project's
/// exposition parser, the family table of `PodMetricsReading.swift`, `histogram_quantile`.
@Suite("Simulated Triton exposition")
struct SimulatedExpositionTests {
    static let base = ServerProfile.h100BERT.baseLatency

    /// The families of a pod's exposition, by name.
    static func families(_ counters: TritonCounters) throws -> [String: MetricFamily] {
        let families = try ExpositionParser.parse(counters.exposition(model: "bert", gpu: "GPU-1"))
        return Dictionary(families.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// A histogram's cumulative buckets, bounds in seconds.
    static func buckets(_ family: MetricFamily?) -> [(upperBound: Double, count: Double)] {
        (family?.samples ?? []).filter { $0.name.hasSuffix("_bucket") }.compactMap { sample in
            guard let le = sample.labels["le"], let bound = Double(le) else { return nil }
            return (bound / 1000, sample.value)
        }
    }

    static func value(_ family: MetricFamily?, suffix: String = "") -> Double? {
        family?.samples.first { $0.name == (family?.name ?? "") + suffix }?.value
    }

    @Test func everyFamilyIsOneTheDirectScrapeReadsWithTheTypeItRequires() throws {
        var counters = TritonCounters()
        counters.record(ReplicaShare(served: 5_000, p90: 0.03, gpuUtilisation: 0.43), requestScale: 1, baseLatency: Self.base)
        let families = try Self.families(counters)
        // The table of the operator's direct scrape (ScrapedFamilies): names and the kinds it accepts.
        let histogram = try #require(families[ScrapedFamilies.latencyHistograms[0]])
        #expect(histogram.kind == .histogram)
        for name in [ScrapedFamilies.requestCounter, ScrapedFamilies.durationCounter, ScrapedFamilies.queueCounter] {
            #expect(families[name]?.kind == .counter, "\(name)")
        }
        for name in [ScrapedFamilies.gpuUtilFraction, ScrapedFamilies.gpuMemoryUsedBytes, ScrapedFamilies.gpuMemoryTotalBytes] {
            #expect(families[name]?.kind == .gauge, "\(name)")
        }
        // Nothing else: every family served is one the scrape reads.
        let read = Set(ScrapedFamilies.latencyHistograms + [ScrapedFamilies.requestCounter, ScrapedFamilies.durationCounter, ScrapedFamilies.queueCounter,
                                                            ScrapedFamilies.gpuUtilFraction, ScrapedFamilies.gpuMemoryUsedBytes, ScrapedFamilies.gpuMemoryTotalBytes])
        #expect(Set(families.keys).isSubset(of: read))
        // Triton's labels: model and version on request series, gpu_uuid on GPU gauges.
        #expect(histogram.samples.allSatisfy { $0.labels["model"] == "bert" && $0.labels["version"] == "1" })
        #expect(families[ScrapedFamilies.gpuUtilFraction]?.samples.first?.labels == ["gpu_uuid": "GPU-1"])
        #expect(Self.value(families[ScrapedFamilies.gpuUtilFraction]) == 0.43)
        // The calibration histograms' buckets (1 ms to 5 s), in milliseconds as the family's name says, plus +Inf.
        let bounds = histogram.samples.compactMap { $0.labels["le"] }
        #expect(bounds.prefix(19) == ["1", "2", "5", "10", "15", "20", "25", "30", "40", "50", "75", "100", "150", "200", "300", "500", "1000", "2000", "5000"])
        #expect(bounds.last == "+Inf")
    }

    @Test(arguments: [0.009, 0.031, 0.15, 0.42, 2.5])
    func theHistogramsP90IsTheLoadModelsP90(p90: Double) throws {
        var counters = TritonCounters()
        counters.record(ReplicaShare(served: 10_000, p90: p90, gpuUtilisation: 0.5), requestScale: 1, baseLatency: Self.base)
        let families = try Self.families(counters)
        let histogram = families[ScrapedFamilies.latencyHistograms[0]]
        let read = HistogramQuantile.quantile(0.9, buckets: Self.buckets(histogram))
        // Read in the bucket that holds the model's P90, and, where buckets are fine (up to 1 s,
        // the calibration's), within 12 % of it: linear interpolation inside one bucket.
        let bounds = [0] + TritonCounters.bucketBounds.map { $0 / 1000 }
        let bucket = try #require(bounds.indices.dropFirst().first { bounds[$0] >= p90 })
        #expect(read > bounds[bucket - 1] && read <= bounds[bucket], "histogram_quantile read \(read) for a P90 of \(p90)")
        if p90 <= 1 { #expect(abs(read - p90) / p90 < 0.12, "histogram_quantile read \(read) for a P90 of \(p90)") }
        // _count is the request counter; _sum / _count is the mean of the distribution.
        let count = try #require(Self.value(histogram, suffix: "_count"))
        #expect(count == Self.value(families[ScrapedFamilies.requestCounter]))
        #expect(count == 10_000)
        let mean = try #require(Self.value(histogram, suffix: "_sum")) / count / 1000
        #expect(abs(mean - LatencyDistribution(p90: p90).mean) / mean < 0.01)
        let duration = try #require(Self.value(families[ScrapedFamilies.durationCounter])) / count / 1e6
        #expect(abs(duration - mean) / mean < 0.01)
        // Queueing is the part of the latency above the base.
        let queue = try #require(Self.value(families[ScrapedFamilies.queueCounter])) / count / 1e6
        #expect(abs(queue - mean * (p90 - Self.base) / p90) <= 1e-6 + 0.01 * mean)
    }

    @Test func countersOnlyGrowAndRatesFollowTheRequestScale() throws {
        var counters = TritonCounters()
        var previous: [String: Double] = [:]
        // Load rising into overload and back: every counter and every bucket only grows.
        for (served, p90) in [(3_000.0, 0.012), (9_800, 0.4), (9_800, 4.0), (6_000, 0.03), (0, 0.01), (1, 0.009)] {
            counters.record(ReplicaShare(served: served, p90: p90, gpuUtilisation: 0.3), requestScale: 1.0 / 15, baseLatency: Self.base)
            var now: [String: Double] = [:]
            for family in try ExpositionParser.parse(counters.exposition(model: "bert", gpu: "GPU-1")) where family.kind != .gauge {
                for sample in family.samples { now[sample.name + (sample.labels["le"] ?? "")] = sample.value }
            }
            for (key, value) in now {
                #expect(value >= previous[key] ?? 0, "\(key) went down")
            }
            // Cumulative buckets never exceed the count.
            let buckets = now.filter { $0.key.hasPrefix("nv_inference_first_response_histogram_ms_bucket") }
            #expect(buckets.values.allSatisfy { $0 <= now["nv_inference_first_response_histogram_ms_count"] ?? 0 })
            previous = now
        }
        // At 15x, a second of trace adds a fifteenth of its requests (the trace's rate per wall second).
        #expect(previous[ScrapedFamilies.requestCounter] == ((3_000 + 9_800 + 9_800 + 6_000 + 1) / 15.0).rounded(.down))
    }
}
