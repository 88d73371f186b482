import Foundation
import JSON
import Autoscaling

/// PromQL templates per built-in metric for the Prometheus source (SPEC §6), with the pool's names
/// filled in (``QueryTemplate``: `{{namespace}}`, `{{pool}}`, `{{model}}`, `{{models}}`,
/// `{{target}}`). Each must give one number in the metric's canonical unit (seconds, fraction 0–1,
/// requests/s). The presets assume the labels a Kubernetes service-discovery scrape config usually
/// attaches (`namespace`, `pod`) and the server's own model label. A pool's preset
/// (`metrics.preset`) adds its server's templates, and its `metrics.prometheus.queries` replace single entries.
public enum QueryTemplates {
    /// The presets by name, for `--prometheus-templates triton,dcgm` (later ones win per metric).
    public static let presets: [String: [MetricName: String]] = [
        "triton": triton, "triton-summary": tritonSummary, "dcgm": dcgm,
        "vllm": ServerPreset.vllm.builtInQueries, "tgi": ServerPreset.tgi.builtInQueries,
    ]

    static let model = #"namespace="{{namespace}}",model="{{model}}""#
    static let pods = #"namespace="{{namespace}}",pod=~"{{target}}-.*""#

    /// Triton with `--metrics-config histogram_latencies=true`: percentiles from the first-response
    /// histogram (milliseconds), plus the counters every Triton exports.
    public static let triton: [MetricName: String] = {
        var t = tritonCounters
        for (metric, q) in [(MetricName.p50, "0.5"), (.p90, "0.9"), (.p95, "0.95"), (.p99, "0.99")] {
            t[metric] = "histogram_quantile(\(q), sum by (le) (rate(nv_inference_first_response_histogram_ms_bucket{\(model)}[1m]))) / 1000"
        }
        return t
    }()

    /// Triton with `--metrics-config summary_latencies=true`: percentiles from its summaries
    /// (microseconds), the largest across pods (one slow replica is a slow pool).
    public static let tritonSummary: [MetricName: String] = {
        var t = tritonCounters
        for (metric, q) in [(MetricName.p50, "0.5"), (.p90, "0.9"), (.p95, "0.95"), (.p99, "0.99")] {
            t[metric] = "max(nv_inference_request_summary_us{\(model),quantile=\"\(q)\"}) / 1e6"
        }
        return t
    }()

    /// What every Triton exports: cumulative counters (means and rates) and its GPU gauges.
    static let tritonCounters: [MetricName: String] = [
        .mean: "sum(rate(nv_inference_request_duration_us{\(model)}[1m])) / sum(rate(nv_inference_request_success{\(model)}[1m])) / 1e6",
        .queue: "sum(rate(nv_inference_queue_duration_us{\(model)}[1m])) / sum(rate(nv_inference_request_success{\(model)}[1m])) / 1e6",
        .qps: "sum(rate(nv_inference_request_success{\(model)}[1m]))",
        .gpuUtil: "avg(nv_gpu_utilization{\(pods)})",
        .gpuMem: "avg(nv_gpu_memory_used_bytes{\(pods)} / nv_gpu_memory_total_bytes{\(pods)})",
    ]

    /// NVIDIA's DCGM exporter, with pod attribution: utilisation is a percentage, memory in MiB.
    public static let dcgm: [MetricName: String] = [
        .gpuUtil: "avg(DCGM_FI_DEV_GPU_UTIL{\(pods)}) / 100",
        .gpuMem: "avg(DCGM_FI_DEV_FB_USED{\(pods)} / (DCGM_FI_DEV_FB_USED{\(pods)} + DCGM_FI_DEV_FB_FREE{\(pods)}))",
    ]

    /// The templates of `names` (`triton,dcgm`), later presets winning; nil names an unknown preset.
    public static func combined(_ names: [String]) -> Result<[MetricName: String], TemplateError> {
        var result: [MetricName: String] = [:]
        for name in names {
            guard let preset = presets[name.lowercased()] else {
                return .failure(TemplateError("unknown template preset \"\(name)\"; expected one of \(presets.keys.sorted().joined(separator: ", "))"))
            }
            result.merge(preset) { _, new in new }
        }
        return .success(result)
    }

    /// The templates of a flag's comma-separated list (`triton, dcgm`).
    public static func combined(list: String) -> Result<[MetricName: String], TemplateError> {
        combined(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    /// The template with its placeholders filled in, each value escaped for a PromQL string
    /// (`\`, `"` and line breaks), so a name cannot end the string and inject selectors.
    public static func render(_ template: String, _ values: [String: String]) -> Result<String, TemplateError> {
        QueryTemplate.render(template, values).mapError { TemplateError($0.description) }
    }

    /// Every template a pool's metrics are read with: the operator's (`base`), its preset's for the
    /// built-ins, its own metrics' queries, then its `metrics.prometheus.queries`, later ones winning.
    public static func templates(for pool: ElasticInferencePool, base: [MetricName: String]) -> [MetricName: String] {
        guard let metrics = pool.spec.metrics else { return base }
        var templates = base
        templates.merge(metrics.preset?.builtInQueries ?? [:]) { _, preset in preset }
        for metric in metrics.custom { templates[metric.name] = metric.prometheusQuery }
        templates.merge(metrics.prometheusQueries) { _, pool in pool }
        return templates
    }
}

/// A template that cannot be used: an unknown preset or placeholder.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}
