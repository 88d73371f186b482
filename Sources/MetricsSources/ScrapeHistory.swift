import Autoscaling
import PrometheusText

/// Successive scrapes of one pool's pods over the rate window, and the pool's metric values they
/// add up to (SPEC §6):
/// - counters become increases over the window, adjacent scrape by adjacent scrape, and a counter
///   that went down is a restarted process (its new value is the increase), as PromQL's `increase`;
/// - P50/P90/P95/P99 come from histogram bucket increases summed by `le` across pods, then
///   interpolated as `histogram_quantile` does; without a histogram, from summaries, taking the
///   largest of the pods' quantiles (the safe side: one slow replica is a slow pool);
/// - `mean` and `queue` are duration-counter increases over request-counter increases;
/// - `qps` is the sum of the pods' request rates; `gpu.util` and `gpu.mem` the mean over the GPUs.
/// A pod scraped once has no increases yet: rates need a second scrape.
struct ScrapeHistory: Sendable {
    /// Readings per pod uid, oldest first, none older than the window.
    private var pods: [String: [PodMetricsReading]] = [:]

    /// Adds a pod's scrape and forgets what fell out of the window.
    mutating func record(pod: String, _ reading: PodMetricsReading, window: Double) {
        pods[pod, default: []].append(reading)
        pods[pod] = pods[pod]?.filter { reading.time.seconds(since: $0.time) <= window }
    }

    /// Forgets pods not scraped within the window (deleted, or no longer Ready): once per read,
    /// not per pod, so a read stays linear in the pods.
    mutating func forgetPods(notScrapedSince cutoff: Timestamp) {
        pods = pods.filter { _, readings in readings.last.map { $0.time >= cutoff } ?? false }
    }

    /// What a read of the pool's pods comes to: the values, why the others are missing, whether the
    /// pool served no request over the window (idle), and the request rate over the newest scrape
    /// interval (the demand the engine sizes from).
    struct Aggregate {
        var readings: [MetricName: MetricReading]
        var unknown: [MetricName: String]
        var idle: Bool
        var demand: Double?
    }

    /// The pool's values from the latest scrape of each of `current` (the pods that answered now).
    func aggregate(current: [String], at now: Timestamp) -> Aggregate {
        let series = current.compactMap { pods[$0] }.filter { !$0.isEmpty }
        var values: [MetricName: Double] = [:]
        var unknown: [MetricName: String] = [:]
        let percentiles: [(MetricName, Double)] = [(.p50, 0.5), (.p90, 0.9), (.p95, 0.95), (.p99, 0.99)]
        let withRates = series.filter { $0.count >= 2 }
        let span = withRates.map { $0[$0.count - 1].time.seconds(since: $0[0].time) }.max() ?? 0
        let window = "the last \(Int(span.rounded()))s"

        // Latency percentiles: histograms first, then summaries.
        let histogramPods = series.filter { $0.last?.histogramName != nil }
        if !histogramPods.isEmpty {
            var buckets: [Double: Double] = [:]
            for readings in histogramPods where readings.count >= 2 {
                for (key, increase) in Self.increases(readings) where key.hasPrefix("bucket:") {
                    guard let bound = Double(key.dropFirst("bucket:".count)) else { continue }
                    buckets[bound, default: 0] += increase
                }
            }
            let units = histogramPods.last?.last?.histogramUnitsPerSecond ?? 1
            let name = histogramPods.last?.last?.histogramName ?? "histogram"
            if !histogramPods.contains(where: { $0.count >= 2 }) {
                for (metric, _) in percentiles { unknown[metric] = "first scrape of \(name); rates need a second" }
            } else if (buckets[.infinity] ?? 0) <= 0 {
                for (metric, _) in percentiles { unknown[metric] = "no requests in \(window) (\(name))" }
            } else {
                let list = buckets.map { (upperBound: $0.key, count: $0.value) }
                for (metric, q) in percentiles { values[metric] = HistogramQuantile.quantile(q, buckets: list) / units }
            }
        } else if series.contains(where: { $0.last?.summaryName != nil }) {
            for (metric, q) in percentiles {
                let quantiles = series.compactMap { $0.last?.summaryQuantiles[q] }
                if let slowest = quantiles.max() { values[metric] = slowest } else { unknown[metric] = "the summaries have no quantile \(q)" }
            }
        } else {
            let hint = series.contains { $0.last?.counters["duration"] != nil } ? "; their mean latency is the metric `mean`" : ""
            for (metric, _) in percentiles {
                unknown[metric] = "the pods export no latency histogram or summary (\(ScrapedFamilies.latencyHistograms[0]) or \(ScrapedFamilies.latencySummaries[0]))\(hint)"
            }
        }

        // Means and rates from counters.
        var totals: [String: Double] = [:]
        var qps = 0.0
        var demand: Double?
        var counted = Set<String>()
        for readings in withRates {
            let increases = Self.increases(readings)
            for (key, value) in increases { totals[key, default: 0] += value }
            counted.formUnion(increases.keys)
            let seconds = readings[readings.count - 1].time.seconds(since: readings[0].time)
            if let requests = increases["requests"], seconds > 0 { qps += requests / seconds }
            // The newest scrape interval alone: the demand as of now, not as of half a window ago.
            let last = Array(readings.suffix(2))
            let interval = last[1].time.seconds(since: last[0].time)
            if let requests = Self.increases(last)["requests"], interval > 0 { demand = (demand ?? 0) + requests / interval }
        }
        let requests = totals["requests"] ?? 0
        for (metric, key, name) in [(MetricName.mean, "duration", ScrapedFamilies.durationCounter), (.queue, "queue", ScrapedFamilies.queueCounter)] {
            if !series.contains(where: { $0.last?.counters[key] != nil }) {
                unknown[metric] = "the pods export no \(name)"
            } else if withRates.isEmpty {
                unknown[metric] = "first scrape; rates need a second"
            } else if requests <= 0 || !counted.contains(key) {
                unknown[metric] = "no requests in \(window)"
            } else {
                values[metric] = (totals[key] ?? 0) / requests / ScrapedFamilies.unitsPerSecond(name)
            }
        }
        if !series.contains(where: { $0.last?.counters["requests"] != nil }) {
            unknown[.qps] = "the pods export no \(ScrapedFamilies.requestCounter) or histogram count"
        } else if withRates.isEmpty {
            unknown[.qps] = "first scrape; rates need a second"
        } else {
            values[.qps] = qps
        }

        // Gauges from the latest scrape.
        for (metric, gpus, names) in [(MetricName.gpuUtil, series.flatMap { $0.last?.gpuUtilisation ?? [] }, "\(ScrapedFamilies.gpuUtilFraction) or \(ScrapedFamilies.gpuUtilPercent)"),
                                      (.gpuMem, series.flatMap { $0.last?.gpuMemory ?? [] }, "GPU memory used and total (Triton) or used and free (DCGM)")] {
            if gpus.isEmpty { unknown[metric] = "the pods export no \(names)" } else { values[metric] = gpus.reduce(0, +) / Double(gpus.count) }
        }

        // NaN (an empty bucket at the rank) is unknown, with its reason.
        var readings: [MetricName: MetricReading] = [:]
        let sampledAt = series.compactMap { $0.last?.time }.min() ?? now
        for (metric, value) in values {
            if value.isFinite { readings[metric] = MetricReading(value: value, sampledAt: sampledAt) } else { unknown[metric] = "the value is \(value)" }
        }
        // Idle: the request counters grew by nothing over a window with rates (not a first scrape).
        let idle = !withRates.isEmpty && counted.contains("requests") && requests <= 0
        return Aggregate(readings: readings, unknown: unknown, idle: idle, demand: demand)
    }

    /// Each counter's increase across the readings: the sum of adjacent differences, where a
    /// counter that went down restarted from zero (its new value is the increase).
    static func increases(_ readings: [PodMetricsReading]) -> [String: Double] {
        var result: [String: Double] = [:]
        for (previous, next) in zip(readings, readings.dropFirst()) {
            for (key, value) in next.counters {
                guard let before = previous.counters[key] else { continue }
                result[key, default: 0] += value >= before ? value - before : value
            }
        }
        return result
    }
}
