import LoadModel

/// What one simulated Triton pod has served since it started, and its exposition: the families
/// and labels the operator's direct scrape reads (`ScrapedFamilies` in
/// `Sources/Operator/Metrics/PodMetricsReading.swift`), in Triton's names and units:
///
/// | family | type | what |
/// |---|---|---|
/// | `nv_inference_request_success` | counter | requests served |
/// | `nv_inference_request_duration_us` | counter | their summed latency, µs |
/// | `nv_inference_queue_duration_us` | counter | their summed queueing time, µs |
/// | `nv_inference_first_response_histogram_ms` | histogram | their latency, ms (for a non-streaming model the first response is the whole request) |
/// | `nv_gpu_utilization` | gauge | 0–1, per GPU |
/// | `nv_gpu_memory_total_bytes`, `nv_gpu_memory_used_bytes` | gauge | per GPU |
///
/// Series carry `model` and `version` (Triton's labels), GPU gauges `gpu_uuid`. Triton's only
/// latency histogram is `nv_inference_first_response_histogram_ms`
/// (`--metrics-config histogram_latencies=true`); its default buckets (100, 500, 2000, 5000 ms) are
/// too coarse for a P90 near 150 ms, so these are the buckets of the H100 calibration histograms
/// (`shared/data/h100-calibration/histograms.prom`, 1 ms to 5 s) plus 10 s and 30 s for a backlog
/// draining, as a model's `model_metrics { histogram_options { buckets } }` sets them.
struct TritonCounters: Sendable {
    /// Upper bounds of the histogram's buckets, milliseconds (+Inf is added when rendered).
    static let bucketBounds: [Double] = [1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000, 10_000, 30_000]
    /// One H100 80GB HBM3: 81,559 MiB, as `nvidia-smi` reports it.
    static let gpuMemoryTotalBytes = 81_559.0 * 1_048_576
    /// GPU memory in use by the BERT-base server: 1,251 MiB (`gpu_util_trace.csv` of the calibration).
    static let gpuMemoryUsedBytes = 1_251.0 * 1_048_576

    /// Requests at or below each bound (not cumulative across bounds; the last entry is above the last bound).
    private(set) var bucketCounts = [Double](repeating: 0, count: bucketBounds.count + 1)
    private(set) var requests = 0.0
    private(set) var latencyMilliseconds = 0.0
    private(set) var durationMicroseconds = 0.0
    private(set) var queueMicroseconds = 0.0
    /// The GPU utilisation gauge, 0–1.
    private(set) var gpuUtilisation = 0.0

    /// Adds one tick's share of a pod: `share.served × requestScale` requests with latencies spread
    /// around `share.p90` (``LatencyDistribution``), of which the part above the profile's
    /// `baseLatency` is queueing (the model's P90 is base + queueing + backlog drain).
    mutating func record(_ share: ReplicaShare, requestScale: Double, baseLatency: Double) {
        gpuUtilisation = share.gpuUtilisation
        let count = share.served * requestScale
        guard count > 0, share.p90 > 0 else { return }
        let latency = LatencyDistribution(p90: share.p90)
        var below = 0.0
        for (i, bound) in Self.bucketBounds.enumerated() {
            let fraction = latency.fraction(atOrBelow: bound / 1000)
            bucketCounts[i] += count * (fraction - below)
            below = fraction
        }
        bucketCounts[Self.bucketBounds.count] += count * (1 - below)
        requests += count
        let mean = latency.mean
        latencyMilliseconds += count * mean * 1000
        durationMicroseconds += count * mean * 1e6
        queueMicroseconds += count * mean * max(0, share.p90 - baseLatency) / share.p90 * 1e6
    }

    /// The text exposition (format 0.0.4) of these counters, as Triton writes it. Counts are whole
    /// requests (rounded down, so every counter only grows); `model` names the model, `gpu` the GPU.
    func exposition(model: String, gpu: String) -> String {
        let series = "model=\"\(model)\",version=\"1\""
        let device = "gpu_uuid=\"\(gpu)\""
        var out = ""
        out.reserveCapacity(3_000)
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        family("nv_inference_request_success", "counter", "Number of successful inference requests, all batch sizes")
        out += "nv_inference_request_success{\(series)} \(Self.whole(requests))\n"
        family("nv_inference_request_duration_us", "counter", "Cumulative inference request duration in microseconds (includes cached requests)")
        out += "nv_inference_request_duration_us{\(series)} \(Self.whole(durationMicroseconds))\n"
        family("nv_inference_queue_duration_us", "counter", "Cumulative inference queuing duration in microseconds (includes cached requests)")
        out += "nv_inference_queue_duration_us{\(series)} \(Self.whole(queueMicroseconds))\n"
        family("nv_inference_first_response_histogram_ms", "histogram", "Duration from request to first response in milliseconds")
        out += "nv_inference_first_response_histogram_ms_count{\(series)} \(Self.whole(requests))\n"
        out += "nv_inference_first_response_histogram_ms_sum{\(series)} \(Self.whole(latencyMilliseconds))\n"
        var cumulative = 0.0
        for (i, bound) in Self.bucketBounds.enumerated() {
            cumulative += bucketCounts[i]
            // Rounded down and capped at the count: cumulative buckets never exceed +Inf, nor go down.
            out += "nv_inference_first_response_histogram_ms_bucket{\(series),le=\"\(Self.whole(bound))\"} \(min(Self.whole(cumulative), Self.whole(requests)))\n"
        }
        out += "nv_inference_first_response_histogram_ms_bucket{\(series),le=\"+Inf\"} \(Self.whole(requests))\n"
        family("nv_gpu_utilization", "gauge", "GPU utilization rate [0.0 - 1.0)")
        out += "nv_gpu_utilization{\(device)} \(Self.fraction(gpuUtilisation))\n"
        family("nv_gpu_memory_total_bytes", "gauge", "GPU total memory, in bytes")
        out += "nv_gpu_memory_total_bytes{\(device)} \(Self.whole(Self.gpuMemoryTotalBytes))\n"
        family("nv_gpu_memory_used_bytes", "gauge", "GPU used memory, in bytes")
        out += "nv_gpu_memory_used_bytes{\(device)} \(Self.whole(Self.gpuMemoryUsedBytes))\n"
        return out
    }

    /// A count rounded down to a whole number, without a decimal point.
    static func whole(_ value: Double) -> Int64 {
        value.isFinite && value > 0 ? Int64(min(value, 9.0e18).rounded(.down)) : 0
    }

    /// A fraction with three decimals, as Triton prints its utilisation.
    static func fraction(_ value: Double) -> String {
        let thousandths = Int((min(max(value, 0), 1) * 1000).rounded())
        let text = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - text.count))\(text)"
    }
}
