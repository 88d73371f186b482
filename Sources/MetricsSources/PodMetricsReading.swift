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
        "vllm:e2e_request_latency_seconds", "tgi_request_duration", "inference_request_duration_seconds",
    ]
    /// Latency summaries (`quantile` labels): Triton with `--metrics-config summary_latencies=true`.
    public static let latencySummaries = ["nv_inference_request_summary_us"]
    /// Cumulative request duration and request count counters (Triton's defaults): the mean.
    public static let durationCounter = "nv_inference_request_duration_us"
    /// Request counters, first match wins: Triton's, vLLM's (`vllm:request_success_total`, by
    /// `finished_reason`), TGI's. Without one, a latency histogram's `_count` counts requests.
    public static let requestCounters = ["nv_inference_request_success", "vllm:request_success", "tgi_request_success"]
    /// Triton's request counter (the first of ``requestCounters``).
    public static var requestCounter: String { requestCounters[0] }
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
/// exposition can be 10 KB; its history is kept as these). Only the pool's model's series are read
/// where a family labels its series with a model (``ModelMatch``); a family with model labels but
/// none of the pool's gives nothing, and the models it does report are kept for the reason.
struct PodMetricsReading: Sendable {
    /// When the scrape answered.
    var time: Timestamp
    /// Cumulative counters, by key: `bucket:<le>` of the latency histogram, `duration`, `requests`,
    /// `queue`; for the pool's own metrics `custom:<name>:bucket:<le>`, `…:sum`, `…:count`,
    /// `…:total`. Summed over the pod's series.
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
    /// The pool's own metrics: the family each was read from (name and type), by metric name.
    var customFamilies: [String: (name: String, kind: MetricFamily.Kind)] = [:]
    /// The pool's own gauge metrics: the latest value of each matching series, by metric name.
    var customGauges: [String: [Double]] = [:]
    /// Families that label their series with models, none of them the pool's: the models they report.
    var otherModels: [String: Set<String>] = [:]

    init(time: Timestamp, families: [MetricFamily], model match: ModelMatch?, custom: [CustomMetric] = []) {
        self.time = time
        let families = Dictionary(families.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        /// A family by name; a counter by its name with or without `_total` (Python's client names
        /// the family `vllm:request_success_total`, OpenMetrics `vllm:request_success`).
        func family(_ name: String) -> MetricFamily? {
            if let found = families[name] { return found }
            if name.hasSuffix("_total") { return families[String(name.dropLast("_total".count))].flatMap { $0.kind == .counter ? $0 : nil } }
            return families[name + "_total"].flatMap { $0.kind == .counter ? $0 : nil }
        }
        var otherModels: [String: Set<String>] = [:]
        func samples(_ family: MetricFamily) -> [Sample] {
            switch Self.samples(of: family, match: match) {
            case .success(let samples): return samples
            case .failure(let reported): otherModels[family.name] = reported.models; return []
            }
        }

        if let histogram = ScrapedFamilies.latencyHistograms.lazy.compactMap(family).first(where: { $0.kind == .histogram }) {
            let own = samples(histogram)
            if !own.isEmpty || otherModels[histogram.name] == nil {
                histogramName = histogram.name
                histogramUnitsPerSecond = ScrapedFamilies.unitsPerSecond(histogram.name)
            }
            for sample in own where sample.name == histogram.name + "_bucket" {
                guard let le = sample.labels["le"] else { continue }
                counters["bucket:\(le)", default: 0] += sample.value
            }
        }
        if let summary = ScrapedFamilies.latencySummaries.lazy.compactMap(family).first(where: { $0.kind == .summary }) {
            let own = samples(summary)
            if !own.isEmpty || otherModels[summary.name] == nil { summaryName = summary.name }
            let units = ScrapedFamilies.unitsPerSecond(summary.name)
            for sample in own where sample.name == summary.name {
                guard let text = sample.labels["quantile"], let q = Double(text), sample.value.isFinite else { continue }
                // Several series of one pod (model versions): the slowest is the pod's.
                summaryQuantiles[q] = max(summaryQuantiles[q] ?? -.infinity, sample.value / units)
            }
        }
        let requestCounter = ScrapedFamilies.requestCounters.lazy.compactMap(family).first
        for (key, found) in [("duration", family(ScrapedFamilies.durationCounter)), ("requests", requestCounter), ("queue", family(ScrapedFamilies.queueCounter))] {
            guard let found, found.kind == .counter || found.kind == .untyped else { continue }
            let own = samples(found)
            if own.isEmpty, otherModels[found.name] != nil { continue }
            counters[key] = own.filter { $0.name == found.name || $0.name == found.name + "_total" }.reduce(0) { $0 + $1.value }
        }
        // No request counter: a histogram's `_count` counts requests too.
        if counters["requests"] == nil, let name = histogramName, let histogram = families[name] {
            counters["requests"] = samples(histogram).filter { $0.name == name + "_count" }.reduce(0) { $0 + $1.value }
        }

        if let gauge = families[ScrapedFamilies.gpuUtilFraction] {
            gpuUtilisation = gauge.samples.map(\.value).filter(\.isFinite)
        } else if let gauge = families[ScrapedFamilies.gpuUtilPercent] {
            gpuUtilisation = gauge.samples.map { $0.value / 100 }.filter(\.isFinite)
        }
        if let used = families[ScrapedFamilies.gpuMemoryUsedBytes], let total = families[ScrapedFamilies.gpuMemoryTotalBytes] {
            gpuMemory = Self.ratios(used.samples, total.samples) { used, total in total > 0 ? used / total : nil }
        } else if let used = families[ScrapedFamilies.gpuMemoryUsedMiB], let free = families[ScrapedFamilies.gpuMemoryFreeMiB] {
            gpuMemory = Self.ratios(used.samples, free.samples) { used, free in used + free > 0 ? used / (used + free) : nil }
        }

        // The pool's own metrics: the first of each rule's families the pod exports.
        for metric in custom {
            guard let rule = metric.podScrape, let found = rule.families.lazy.compactMap(family).first else { continue }
            let name = metric.name.rawValue
            customFamilies[name] = (found.name, found.kind)
            let own = samples(found).filter { sample in rule.labels.allSatisfy { sample.labels[$0.key] == $0.value } }
            switch found.kind {
            case .histogram, .summary:
                for sample in own {
                    if sample.name == found.name + "_bucket", let le = sample.labels["le"] {
                        counters["custom:\(name):bucket:\(le)", default: 0] += sample.value
                    } else if sample.name == found.name + "_sum" {
                        counters["custom:\(name):sum", default: 0] += sample.value
                    } else if sample.name == found.name + "_count" {
                        counters["custom:\(name):count", default: 0] += sample.value
                        counters["custom:\(name):total", default: 0] += sample.value
                    }
                }
            case .counter:
                counters["custom:\(name):total"] = own.filter { $0.name == found.name || $0.name == found.name + "_total" }.reduce(0) { $0 + $1.value }
            case .gauge, .untyped:
                let values = own.filter { $0.name == found.name }.map(\.value).filter(\.isFinite)
                customGauges[name] = values
                if found.kind == .untyped, !values.isEmpty { counters["custom:\(name):total"] = values.reduce(0, +) }
            }
        }
        self.otherModels = otherModels
    }

    /// A reading where `model` (if any) is matched on the `model` and `model_name` labels.
    init(time: Timestamp, families: [MetricFamily], model: String?) {
        self.init(time: time, families: families, model: model.map { ModelMatch(name: $0) })
    }

    /// The models a family reports when none of them is the pool's.
    struct OtherModels: Error {
        let models: Set<String>
    }

    /// The family's samples for the pool's model: when any series names a model (on the match's
    /// labels), only the series of the model and its adapters; a family whose series name only
    /// other models gives none, and says which they are. A family that names no model (a GPU gauge,
    /// a server with one model) is read whole.
    private static func samples(of family: MetricFamily, match: ModelMatch?) -> Result<[Sample], OtherModels> {
        guard let match else { return .success(family.samples) }
        var labelled = false
        var own: [Sample] = []
        var others: Set<String> = []
        let names = match.names
        for sample in family.samples {
            guard let model = match.model(of: sample.labels) else { continue }
            labelled = true
            if names.contains(model) { own.append(sample) } else { others.insert(model) }
        }
        guard labelled else { return .success(family.samples) }
        if own.isEmpty { return .failure(OtherModels(models: others)) }
        return .success(own)
    }

    /// Per-GPU ratios of two gauges whose series share their labels (one per GPU).
    private static func ratios(_ a: [Sample], _ b: [Sample], _ ratio: (Double, Double) -> Double?) -> [Double] {
        let denominators = Dictionary(b.map { ($0.labels, $0.value) }, uniquingKeysWith: { first, _ in first })
        return a.compactMap { sample in denominators[sample.labels].flatMap { ratio(sample.value, $0) } }.filter(\.isFinite)
    }
}
