/// The serving stacks a pool can name in `spec.metrics.preset`: their own signals as named metrics
/// (`waiting`, `kv_cache`, `ttft`, …), the label that names a series' model, and the PromQL that
/// gives the built-in metrics from their families. Every family name, type, label and unit here is
/// the server's own, from the source cited; the README's "Presets" table lists them with releases.
public struct ServerPreset: Sendable, Hashable {
    /// `vllm`, `tgi`, `triton`.
    public let name: String
    /// The label that names a series' model; nil when the server serves one model and labels none.
    public let modelLabel: String?
    /// The metrics the preset declares, in order.
    public let metrics: [CustomMetric]
    /// PromQL templates for the built-in metrics, over the server's families (the Prometheus source
    /// uses them for pools with this preset, before the pool's own `prometheus.queries`).
    public let builtInQueries: [MetricName: String]

    /// The presets by name.
    public static let all: [String: ServerPreset] = [vllm.name: vllm, tgi.name: tgi, triton.name: triton]
    /// Their names, sorted.
    public static let names = all.keys.sorted()

    /// The selector of the pool's series in Prometheus, over `label` (`namespace="…",model_name=~"…"`).
    static func modelSelector(_ label: String) -> String { #"namespace="{{namespace}}",\#(label)=~"{{models}}""# }
    /// The selector of the target's pods, for servers without a model label.
    static let podSelector = #"namespace="{{namespace}}",pod=~"{{target}}-.*""#

    /// `histogram_quantile(q, sum by (le) (rate(F_bucket{sel}[1m])))`, over the first family, else the next.
    static func quantile(_ q: String, _ families: [String], _ selector: String) -> String {
        let rates = families.map { "rate(\($0)_bucket{\(selector)}[1m])" }.joined(separator: " or ")
        return "histogram_quantile(\(q), sum by (le) (\(rates)))"
    }

    /// P50…P99 from one latency histogram.
    static func percentiles(_ family: String, _ selector: String) -> [MetricName: String] {
        [.p50: quantile("0.5", [family], selector), .p90: quantile("0.9", [family], selector),
         .p95: quantile("0.95", [family], selector), .p99: quantile("0.99", [family], selector)]
    }

    /// vLLM's OpenAI-compatible server (`vllm/v1/metrics/loggers.py`, `PrometheusStatLogger`; every
    /// series labelled `model_name` = the served model name, and `engine` in V1). Gauges:
    /// `vllm:num_requests_waiting`, `vllm:num_requests_running`, `vllm:kv_cache_usage_perc` (a
    /// fraction 0–1 despite its name; since 0.9 the name of what was `vllm:gpu_cache_usage_perc`,
    /// which 0.9 still emits beside it and 0.10 hides). Histograms in seconds:
    /// `vllm:time_to_first_token_seconds`, `vllm:e2e_request_latency_seconds`,
    /// `vllm:inter_token_latency_seconds` (since 0.11; before it `vllm:time_per_output_token_seconds`).
    /// Counter: `vllm:request_success` (exposed as `vllm:request_success_total`).
    public static let vllm: ServerPreset = {
        let m = modelSelector("model_name")
        let metrics = [
            CustomMetric(name: "waiting", unit: .count, podScrape: ScrapeRule(families: ["vllm:num_requests_waiting"], aggregation: .sum),
                         prometheusQuery: "sum(vllm:num_requests_waiting{\(m)})"),
            CustomMetric(name: "running", unit: .count, podScrape: ScrapeRule(families: ["vllm:num_requests_running"], aggregation: .sum),
                         prometheusQuery: "sum(vllm:num_requests_running{\(m)})"),
            CustomMetric(name: "kv_cache", unit: .fraction,
                         podScrape: ScrapeRule(families: ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"], aggregation: .mean),
                         prometheusQuery: "avg(vllm:kv_cache_usage_perc{\(m)}) or avg(vllm:gpu_cache_usage_perc{\(m)})"),
            CustomMetric(name: "ttft", unit: .seconds,
                         podScrape: ScrapeRule(families: ["vllm:time_to_first_token_seconds"], aggregation: .quantile(0.9)),
                         prometheusQuery: quantile("0.9", ["vllm:time_to_first_token_seconds"], m)),
            CustomMetric(name: "itl", unit: .seconds,
                         podScrape: ScrapeRule(families: ["vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"], aggregation: .quantile(0.9)),
                         prometheusQuery: quantile("0.9", ["vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"], m)),
        ]
        var queries = percentiles("vllm:e2e_request_latency_seconds", m)
        queries[.qps] = "sum(rate(vllm:request_success_total{\(m)}[1m]))"
        return ServerPreset(name: "vllm", modelLabel: "model_name", metrics: metrics, builtInQueries: queries)
    }()

    /// Hugging Face Text Generation Inference 3.x (`router/src/server.rs`, `docs/source/reference/metrics.md`;
    /// one model per server, so no model label). Gauges: `tgi_queue_size`, `tgi_batch_current_size`.
    /// Histograms in seconds: `tgi_request_duration` (end to end), `tgi_request_mean_time_per_token_duration`
    /// (inter-token). Counter: `tgi_request_success` (no `_total`: the Rust `metrics` exporter's naming).
    /// TGI has no time-to-first-token metric, so the preset has no `ttft`.
    public static let tgi: ServerPreset = {
        let p = podSelector
        let metrics = [
            CustomMetric(name: "waiting", unit: .count, podScrape: ScrapeRule(families: ["tgi_queue_size"], aggregation: .sum),
                         prometheusQuery: "sum(tgi_queue_size{\(p)})"),
            CustomMetric(name: "running", unit: .count, podScrape: ScrapeRule(families: ["tgi_batch_current_size"], aggregation: .sum),
                         prometheusQuery: "sum(tgi_batch_current_size{\(p)})"),
            CustomMetric(name: "itl", unit: .seconds,
                         podScrape: ScrapeRule(families: ["tgi_request_mean_time_per_token_duration"], aggregation: .quantile(0.9)),
                         prometheusQuery: quantile("0.9", ["tgi_request_mean_time_per_token_duration"], p)),
        ]
        var queries = percentiles("tgi_request_duration", p)
        queries[.qps] = "sum(rate(tgi_request_success{\(p)}[1m]))"
        return ServerPreset(name: "tgi", modelLabel: nil, metrics: metrics, builtInQueries: queries)
    }()

    /// NVIDIA Triton Inference Server (`docs/user_guide/metrics.md`; series labelled `model` and
    /// `version`). Gauge: `nv_inference_pending_request_count` (requests waiting for a backend). The
    /// queue time is the built-in `queue` (`nv_inference_queue_duration_us` over
    /// `nv_inference_request_success`); the built-ins' templates are the `triton` ones.
    public static let triton: ServerPreset = {
        let m = modelSelector("model")
        let metrics = [
            CustomMetric(name: "waiting", unit: .count, podScrape: ScrapeRule(families: ["nv_inference_pending_request_count"], aggregation: .sum),
                         prometheusQuery: "sum(nv_inference_pending_request_count{\(m)})"),
        ]
        return ServerPreset(name: "triton", modelLabel: "model", metrics: metrics, builtInQueries: [:])
    }()
}
