import Autoscaling
import PrometheusText

/// The metric families a direct scrape reads, and in what unit each is exported. This is the one
/// table to change when a serving stack names things differently (README, "Metrics sources").
public enum ScrapedFamilies {
    /// Latency histograms, first match wins (type `histogram` required: Triton's
    /// `nv_inference_request_duration_us` is a *counter* of the same stem). vLLM's end-to-end
    /// histogram and the generic name of the H100 calibration data are included.
    public static let latencyHistograms = [
        "nv_inference_first_response_histogram_ms", "nv_inference_request_duration_us", "nv_inference_request_duration_ms",
        "nv_inference_request_duration_seconds",
        "vllm:e2e_request_latency_seconds", "inference_request_duration_seconds",
    ]
    /// Latency summaries (`quantile` labels): Triton with `--metrics-config summary_latencies=true`.
    public static let latencySummaries = ["nv_inference_request_summary_us"]
    /// Cumulative request duration and request count counters (Triton's defaults): the mean.
    public static let durationCounter = "nv_inference_request_duration_us"
    /// Triton's request counter.
    public static let requestCounter = "nv_inference_request_success"
    /// Cumulative queue time counter (Triton): `queue` is its growth over the request count's.
    public static let queueCounter = "nv_inference_queue_duration_us"
    /// GPU utilisation gauges: Triton's is a fraction 0–1, DCGM's a percentage.
    public static let gpuUtilFraction = "nv_gpu_utilization"
    /// DCGM's GPU utilisation, a percentage.
    public static let gpuUtilPercent = "DCGM_FI_DEV_GPU_UTIL"
    /// GPU memory: Triton's used and total bytes; DCGM's used and free MiB.
    public static let gpuMemoryUsedBytes = "nv_gpu_memory_used_bytes", gpuMemoryTotalBytes = "nv_gpu_memory_total_bytes"
    /// DCGM's framebuffer memory used and free, MiB.
    public static let gpuMemoryUsedMiB = "DCGM_FI_DEV_FB_USED", gpuMemoryFreeMiB = "DCGM_FI_DEV_FB_FREE"

    /// Units per second of a family, from its name's suffix (`_us`, `_ms`, else seconds). Values are
    /// divided by it (400000 / 1e6 is exactly 0.4; 400000 × 1e-6 is not).
    static func unitsPerSecond(_ name: String) -> Double {
        if name.hasSuffix("_us") { return 1e6 }
        if name.hasSuffix("_ms") { return 1e3 }
        return 1
    }
}

/// What one scrape of one pod yields, reduced to the few numbers the aggregation needs (a pod's
/// exposition can be 10 KB; its history is kept as these). Series of another model are left out
/// when the pod labels its series with the pool's model.
struct PodMetricsReading: Sendable {
    /// When the scrape answered.
    var time: Timestamp
    /// Cumulative counters, by key: `bucket:<le>` of the latency histogram, `duration`, `requests`,
    /// `queue`. Summed over the pod's series.
    var counters: [String: Double] = [:]
    /// Units per second of the latency histogram's bounds.
    var histogramUnitsPerSecond = 1.0
    /// The latency histogram's and summary's names, when the pod has one (for status and reasons).
    var histogramName: String?
    var summaryName: String?
    /// Summary quantiles (0.5, 0.9, …) in seconds: the pod's own, over its own window.
    var summaryQuantiles: [Double: Double] = [:]
    /// GPU utilisation of each of the pod's GPUs, as a fraction.
    var gpuUtilisation: [Double] = []
    /// GPU memory in use of each GPU, as a fraction.
    var gpuMemory: [Double] = []

    init(time: Timestamp, families: [MetricFamily], model: String?) {
        self.time = time
        let byName = Dictionary(families.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

        if let histogram = ScrapedFamilies.latencyHistograms.lazy.compactMap({ byName[$0] }).first(where: { $0.kind == .histogram }) {
            histogramName = histogram.name
            histogramUnitsPerSecond = ScrapedFamilies.unitsPerSecond(histogram.name)
            for sample in Self.samples(of: histogram, model: model) where sample.name == histogram.name + "_bucket" {
                guard let le = sample.labels["le"] else { continue }
                counters["bucket:\(le)", default: 0] += sample.value
            }
        }
        if let summary = ScrapedFamilies.latencySummaries.lazy.compactMap({ byName[$0] }).first(where: { $0.kind == .summary }) {
            summaryName = summary.name
            let units = ScrapedFamilies.unitsPerSecond(summary.name)
            for sample in Self.samples(of: summary, model: model) where sample.name == summary.name {
                guard let text = sample.labels["quantile"], let q = Double(text), sample.value.isFinite else { continue }
                // Several series of one pod (model versions): the slowest is the pod's.
                summaryQuantiles[q] = max(summaryQuantiles[q] ?? -.infinity, sample.value / units)
            }
        }
        for (key, name) in [("duration", ScrapedFamilies.durationCounter), ("requests", ScrapedFamilies.requestCounter),
                            ("queue", ScrapedFamilies.queueCounter)] {
            guard let family = byName[name], family.kind == .counter || family.kind == .untyped else { continue }
            counters[key] = Self.samples(of: family, model: model).filter { $0.name == name || $0.name == name + "_total" }.reduce(0) { $0 + $1.value }
        }
        // No request counter: a histogram's `_count` counts requests too.
        if counters["requests"] == nil, let name = histogramName, let histogram = byName[name] {
            counters["requests"] = Self.samples(of: histogram, model: model).filter { $0.name == name + "_count" }.reduce(0) { $0 + $1.value }
        }

        if let family = byName[ScrapedFamilies.gpuUtilFraction] {
            gpuUtilisation = family.samples.map(\.value).filter(\.isFinite)
        } else if let family = byName[ScrapedFamilies.gpuUtilPercent] {
            gpuUtilisation = family.samples.map { $0.value / 100 }.filter(\.isFinite)
        }
        if let used = byName[ScrapedFamilies.gpuMemoryUsedBytes], let total = byName[ScrapedFamilies.gpuMemoryTotalBytes] {
            gpuMemory = Self.ratios(used.samples, total.samples) { used, total in total > 0 ? used / total : nil }
        } else if let used = byName[ScrapedFamilies.gpuMemoryUsedMiB], let free = byName[ScrapedFamilies.gpuMemoryFreeMiB] {
            gpuMemory = Self.ratios(used.samples, free.samples) { used, free in used + free > 0 ? used / (used + free) : nil }
        }
    }

    /// The family's samples for `model`: only that model's series when any series carries it as its
    /// `model` label (Triton serves several models from one server), else all of them.
    private static func samples(of family: MetricFamily, model: String?) -> [Sample] {
        guard let model, family.samples.contains(where: { $0.labels["model"] == model }) else { return family.samples }
        return family.samples.filter { $0.labels["model"] == model }
    }

    /// Per-GPU ratios of two gauges whose series share their labels (one per GPU).
    private static func ratios(_ a: [Sample], _ b: [Sample], _ ratio: (Double, Double) -> Double?) -> [Double] {
        let denominators = Dictionary(b.map { ($0.labels, $0.value) }, uniquingKeysWith: { first, _ in first })
        return a.compactMap { sample in denominators[sample.labels].flatMap { ratio(sample.value, $0) } }.filter(\.isFinite)
    }
}
