import Foundation

/// Expositions shaped as the servers write them, for the tests. Names, types, labels, units and
/// buckets are the servers' own:
/// - vLLM V1 (`vllm/v1/metrics/loggers.py`, `PrometheusStatLogger`, rendered by Python's
///   `prometheus_client`: a counter's family is named with `_total` and its `_created` is a gauge
///   family of its own; every series carries `model_name` and `engine`);
/// - TGI 3.x (`router/src/server.rs` through the Rust `metrics-exporter-prometheus`: no model
///   label, counters without `_total`, duration buckets 1.5ⁿ × 0.0001 s);
/// - Triton (`docs/user_guide/metrics.md`: series labelled `model` and `version`).
enum ServerExposition {
    /// vLLM's TTFT buckets (seconds), `vllm/v1/metrics/loggers.py`.
    static let ttftBounds = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
                             160.0, 640.0, 2560.0]
    /// vLLM's inter-token buckets (seconds).
    static let itlBounds = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0]
    /// vLLM's request latency buckets (seconds), used by `vllm:e2e_request_latency_seconds`.
    static let requestBounds = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0,
                                1920.0, 7680.0]

    /// One vLLM engine's state for a model.
    struct VLLMEngine {
        var model = "meta-llama/Llama-3.1-8B-Instruct"
        var engine = 0
        var waiting = 0.0
        var running = 0.0
        var kvCache = 0.0
        /// Requests finished so far, and where their TTFT, inter-token and end-to-end times fell
        /// (cumulative counts per bound; the rest beyond the last bound).
        var finished = 0.0
        var ttft: [Double: Double] = [:]
        var itl: [Double: Double] = [:]
        var e2e: [Double: Double] = [:]
    }

    /// A vLLM `/metrics` page: `release` decides the KV-cache and inter-token family names (0.8: the
    /// old names only; 0.10: both KV-cache names; 0.11: both inter-token names).
    static func vllm(_ engines: [VLLMEngine], release: String = "0.11") -> String {
        var out = ""
        func gauge(_ name: String, _ help: String, _ value: (VLLMEngine) -> Double) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for e in engines { out += "\(name){engine=\"\(e.engine)\",model_name=\"\(e.model)\"} \(float(value(e)))\n" }
        }
        gauge("vllm:num_requests_running", "Number of requests in model execution batches.") { $0.running }
        gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.") { $0.waiting }
        if release != "0.11" {
            gauge("vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.\(release == "0.8" ? "" : "DEPRECATED: Use vllm:kv_cache_usage_perc instead.")") { $0.kvCache }
        }
        if release != "0.8" { gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.") { $0.kvCache } }
        out += "# HELP vllm:request_success_total Count of successfully processed requests.\n# TYPE vllm:request_success_total counter\n"
        for e in engines {
            for (reason, share) in [("stop", 0.9), ("length", 0.1), ("abort", 0.0)] {
                out += "vllm:request_success_total{engine=\"\(e.engine)\",finished_reason=\"\(reason)\",model_name=\"\(e.model)\"} \(float(e.finished * share))\n"
            }
        }
        out += "# HELP vllm:request_success_created Count of successfully processed requests.\n# TYPE vllm:request_success_created gauge\n"
        for e in engines { out += "vllm:request_success_created{engine=\"\(e.engine)\",finished_reason=\"stop\",model_name=\"\(e.model)\"} 1.76e+09\n" }
        func histogram(_ name: String, _ help: String, _ bounds: [Double], _ counts: (VLLMEngine) -> [Double: Double]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for e in engines {
                let labels = "engine=\"\(e.engine)\",model_name=\"\(e.model)\""
                for bound in bounds {
                    let count = counts(e).filter { $0.key <= bound }.map(\.value).max() ?? 0
                    out += "\(name)_bucket{\(labels),le=\"\(float(bound))\"} \(float(count))\n"
                }
                out += "\(name)_bucket{\(labels),le=\"+Inf\"} \(float(e.finished))\n"
                out += "\(name)_count{\(labels)} \(float(e.finished))\n\(name)_sum{\(labels)} \(float(e.finished * 0.1))\n"
            }
        }
        histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", ttftBounds) { $0.ttft }
        if release == "0.11" { histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", itlBounds) { $0.itl } }
        histogram("vllm:time_per_output_token_seconds", "Histogram of time per output token in seconds.", itlBounds) { $0.itl }
        histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", requestBounds) { $0.e2e }
        return out
    }

    /// TGI's duration buckets: 35 bounds, 0.0001 × 1.5ⁿ seconds (n = 1…35), as `router/src/server.rs` builds them.
    static let tgiDurationBounds: [Double] = (1...35).map { 0.0001 * pow(1.5, Double($0)) }

    /// A TGI `/metrics` page. `durations` are the end-to-end times of the finished requests, and
    /// `perToken` their mean time per token (seconds).
    static func tgi(queue: Double, batch: Double, durations: [Double], perToken: [Double]) -> String {
        var out = "# TYPE tgi_queue_size gauge\ntgi_queue_size \(float(queue))\n"
        out += "# TYPE tgi_batch_current_size gauge\ntgi_batch_current_size \(float(batch))\n"
        out += "# TYPE tgi_request_success counter\ntgi_request_success \(durations.count)\n"
        out += "# TYPE tgi_request_count counter\ntgi_request_count \(durations.count)\n"
        for (name, values) in [("tgi_request_duration", durations), ("tgi_request_mean_time_per_token_duration", perToken)] {
            out += "# TYPE \(name) histogram\n"
            for bound in tgiDurationBounds { out += "\(name)_bucket{le=\"\(bound)\"} \(values.filter { $0 <= bound }.count)\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(values.count)\n\(name)_sum \(values.reduce(0, +))\n\(name)_count \(values.count)\n"
        }
        return out
    }

    /// One Triton model's counters and first-response histogram (milliseconds).
    struct TritonModel {
        var name: String
        var pending = 0.0
        var requests = 0.0
        var queueMicroseconds = 0.0
        /// Cumulative counts at le 100, 500, 1000 ms and +Inf.
        var buckets: [Double] = [0, 0, 0, 0]
    }

    /// A Triton `/metrics` page serving several models (with `--metrics-config histogram_latencies=true`).
    static func triton(_ models: [TritonModel], gpuUtilisation: Double = 0.5) -> String {
        var out = "# HELP nv_inference_request_success Number of successful inference requests, all batch sizes\n"
        out += "# TYPE nv_inference_request_success counter\n"
        for m in models { out += "nv_inference_request_success{model=\"\(m.name)\",version=\"1\"} \(float(m.requests))\n" }
        out += "# HELP nv_inference_queue_duration_us Cumulative inference queuing duration in microseconds (includes cached requests)\n"
        out += "# TYPE nv_inference_queue_duration_us counter\n"
        for m in models { out += "nv_inference_queue_duration_us{model=\"\(m.name)\",version=\"1\"} \(float(m.queueMicroseconds))\n" }
        out += "# HELP nv_inference_pending_request_count Instantaneous number of pending requests awaiting execution per-model.\n"
        out += "# TYPE nv_inference_pending_request_count gauge\n"
        for m in models { out += "nv_inference_pending_request_count{model=\"\(m.name)\",version=\"1\"} \(float(m.pending))\n" }
        out += "# HELP nv_inference_first_response_histogram_ms Duration from request to first response in milliseconds\n"
        out += "# TYPE nv_inference_first_response_histogram_ms histogram\n"
        for m in models {
            for (le, count) in zip(["100", "500", "1000", "+Inf"], m.buckets) {
                out += "nv_inference_first_response_histogram_ms_bucket{model=\"\(m.name)\",version=\"1\",le=\"\(le)\"} \(float(count))\n"
            }
            out += "nv_inference_first_response_histogram_ms_sum{model=\"\(m.name)\",version=\"1\"} 0\n"
            out += "nv_inference_first_response_histogram_ms_count{model=\"\(m.name)\",version=\"1\"} \(float(m.buckets.last ?? 0))\n"
        }
        out += "# HELP nv_gpu_utilization GPU utilization rate [0.0 - 1.0)\n# TYPE nv_gpu_utilization gauge\n"
        out += "nv_gpu_utilization{gpu_uuid=\"GPU-0\"} \(gpuUtilisation)\n"
        return out
    }

    /// Python's `repr` of a float, as `prometheus_client` writes sample values (`12.0`, `0.93`).
    static func float(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value)).0" : "\(value)"
    }
}
