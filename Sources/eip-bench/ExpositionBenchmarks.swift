// Benchmark of the exposition parser (issue 6): parse throughput on what one poll of a 50-pod
// pool reads from the pods' Triton `/metrics`, and the P90 over the histograms summed across pods.
import PrometheusText

/// One Triton pod's `/metrics` with four models: counters, gauges, a latency histogram of 14
/// buckets per model and the GPU families, about 14 KB, which is in line with a real Triton
/// 24.x exposition for a handful of models.
func tritonPodExposition(pod: Int) -> String {
    var lines: [String] = []
    let models = ["llm-finetune-v3", "embedder", "reranker", "safety-filter"]
    let families: [(String, String)] = [
        ("nv_inference_request_success", "counter"), ("nv_inference_request_failure", "counter"),
        ("nv_inference_count", "counter"), ("nv_inference_exec_count", "counter"),
        ("nv_inference_request_duration_us", "counter"), ("nv_inference_queue_duration_us", "counter"),
        ("nv_inference_compute_input_duration_us", "counter"), ("nv_inference_compute_infer_duration_us", "counter"),
        ("nv_inference_compute_output_duration_us", "counter"), ("nv_inference_pending_request_count", "gauge"),
    ]
    for (name, kind) in families {
        lines.append("# HELP \(name) Triton \(name.replacingOccurrences(of: "_", with: " "))")
        lines.append("# TYPE \(name) \(kind)")
        for (m, model) in models.enumerated() {
            lines.append("\(name){model=\"\(model)\",version=\"1\"} \(pod * 1000 + m * 37 + name.count)")
        }
    }
    let bounds = ["0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5", "10", "+Inf"]
    lines.append("# HELP nv_inference_request_duration_seconds Request latency")
    lines.append("# TYPE nv_inference_request_duration_seconds histogram")
    for model in models {
        for (i, le) in bounds.enumerated() {
            lines.append("nv_inference_request_duration_seconds_bucket{model=\"\(model)\",version=\"1\",le=\"\(le)\"} \(i * 400 + pod)")
        }
        lines.append("nv_inference_request_duration_seconds_sum{model=\"\(model)\",version=\"1\"} \(Double(pod) * 12.5)")
        lines.append("nv_inference_request_duration_seconds_count{model=\"\(model)\",version=\"1\"} \(13 * 400 + pod)")
    }
    for (name, kind) in [("nv_gpu_utilization", "gauge"), ("nv_gpu_memory_used_bytes", "gauge"),
                         ("nv_gpu_memory_total_bytes", "gauge"), ("nv_gpu_power_usage", "gauge"), ("nv_energy_consumption", "counter")] {
        lines.append("# HELP \(name) GPU \(name)")
        lines.append("# TYPE \(name) \(kind)")
        lines.append("\(name){gpu_uuid=\"GPU-9ec72081-\(pod)\"} 0.\(pod % 10)5")
    }
    return lines.joined(separator: "\n") + "\n"
}

func runExpositionBenchmarks(report: (String, String) -> Void, enabled: (String) -> Bool) {
    let pods = (0..<50).map(tritonPodExposition)
    let bytes = pods.reduce(0) { $0 + $1.utf8.count }
    let parseName = "exposition: parse 50 Triton pods' /metrics"
    if enabled(parseName) {
        let ns = measure(batch: 5, samples: 21) {
            pods.reduce(0) { $0 + ((try? ExpositionParser.parse($1))?.count ?? 0) }
        }
        let mbPerSecond = Double(bytes) / ns * 1000
        report(parseName, "\(Int(ns / 1000)) µs per poll (\(bytes / 1024) KiB): \(Int(mbPerSecond)) MB/s")
    }
    let p90Name = "exposition: P90 over 50 pods' histograms (parsed)"
    if enabled(p90Name) {
        let parsed = pods.compactMap { try? ExpositionParser.parse($0) }
        let histograms = parsed.compactMap { $0.first { $0.name == "nv_inference_request_duration_seconds" } }
        let ns = measure(batch: 50, samples: 21) {
            let merged = MetricFamily(name: "nv_inference_request_duration_seconds", kind: .histogram, help: nil,
                                      samples: histograms.flatMap(\.samples))
            let buckets = HistogramQuantile.buckets(of: merged, matching: ["model": "llm-finetune-v3"])
            return Int(HistogramQuantile.quantile(0.9, buckets: buckets) * 1000)
        }
        report(p90Name, "\(Int(ns / 1000)) µs")
    }
}
