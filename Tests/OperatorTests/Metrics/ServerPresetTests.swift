import Autoscaling
import JSON
import PrometheusText
import Testing
@testable import MetricsSources

/// A valid pool of `modelRef` with `metrics` as its `spec.metrics`.
func poolWithMetrics(_ metrics: JSONValue, modelRef: String = "meta-llama/Llama-3.1-8B-Instruct", up: String = "P90>1s",
                     down: String = "P90<1ms") throws -> ElasticInferencePool {
    let check = ElasticInferencePool.check([
        "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "llm", "namespace": "serving"],
        "spec": ["modelRef": .string(modelRef), "targetRef": ["name": "llm"], "maxReplicas": 8, "scaleUpThreshold": .string(up),
                 "scaleDownThreshold": .string(down), "metrics": metrics],
    ])
    #expect(check.errors.isEmpty, "\(check.errors)")
    return try #require(check.pool)
}

/// Scrapes of each pod at each time, through the pool's model match and own metrics, aggregated at the last time.
func aggregate(_ pool: ElasticInferencePool, _ scrapes: [(pod: String, time: Double, text: String)]) throws -> ScrapeHistory.Aggregate {
    var history = ScrapeHistory()
    let custom = pool.spec.metrics?.custom ?? []
    for scrape in scrapes {
        let reading = PodMetricsReading(time: Timestamp(secondsSinceEpoch: scrape.time), families: try ExpositionParser.parse(scrape.text),
                                        model: pool.spec.modelMatch, custom: custom)
        history.record(pod: scrape.pod, reading, window: 60)
    }
    let last = scrapes.map(\.time).max() ?? 0
    return history.aggregate(current: Array(Set(scrapes.map(\.pod))).sorted(), at: Timestamp(secondsSinceEpoch: last),
                             model: pool.spec.modelMatch, custom: custom)
}

/// Whether `value` is within `tolerance` of `expected`.
func near(_ value: Double?, _ expected: Double, _ tolerance: Double = 1e-9) -> Bool {
    guard let value else { return false }
    return abs(value - expected) < tolerance
}

func metric(_ pool: ElasticInferencePool, _ name: String) throws -> MetricName {
    try #require(pool.spec.metricCatalog.metric(named: name))
}

@Suite("Server presets: vLLM, TGI and Triton expositions as the servers write them")
struct ServerPresetTests {
    typealias Engine = ServerExposition.VLLMEngine

    @Test func vllmGivesWaitingRunningKVCacheTTFTInterTokenAndTheBuiltIns() throws {
        let pool = try poolWithMetrics(["source": "PodScrape", "preset": "vllm"])
        // Two pods (one with two data-parallel engines), scraped 10 s apart: 40 requests finished
        // in between on each engine, their TTFT and latencies as the buckets say.
        func engine(_ i: Int, waiting: Double, kv: Double, finished: Double) -> Engine {
            var e = Engine(engine: i, waiting: waiting, running: 16, kvCache: kv, finished: finished)
            e.ttft = [0.1: finished * 0.5, 0.25: finished * 0.8, 0.5: finished]          // P90 in (0.25, 0.5]
            e.itl = [0.025: finished * 0.7, 0.05: finished]                               // P90 in (0.025, 0.05]
            e.e2e = [1.0: finished * 0.5, 2.5: finished * 0.95, 5.0: finished]            // P90 in (1, 2.5]
            return e
        }
        let result = try aggregate(pool, [
            ("a", 0, ServerExposition.vllm([engine(0, waiting: 2, kv: 0.5, finished: 100)])),
            ("b", 0, ServerExposition.vllm([engine(0, waiting: 1, kv: 0.5, finished: 100), engine(1, waiting: 1, kv: 0.5, finished: 100)])),
            ("a", 10, ServerExposition.vllm([engine(0, waiting: 6, kv: 0.96, finished: 140)])),
            ("b", 10, ServerExposition.vllm([engine(0, waiting: 2, kv: 0.9, finished: 140), engine(1, waiting: 3, kv: 0.87, finished: 140)])),
        ])
        #expect(result.readings[try metric(pool, "waiting")]?.value == 11, "summed over every engine of every pod")
        #expect(result.readings[try metric(pool, "running")]?.value == 48)
        #expect(near(result.readings[try metric(pool, "kv_cache")]?.value, 0.91, 1e-9), "the engines' mean")
        // TTFT increases: 20 ≤ 0.1 s, 32 ≤ 0.25 s, 40 ≤ 0.5 s per engine: rank 0.9 × 120 = 108 of 120,
        // in (0.25, 0.5]: 0.25 + 0.25 × (108 − 96) / (120 − 96) = 0.375 s.
        #expect(near(result.readings[try metric(pool, "ttft")]?.value, 0.375, 1e-9))
        // Inter-token: 28 ≤ 25 ms of 40: rank 108 of 120 in (25, 50] ms: 0.025 + 0.025 × (108 − 84) / 36.
        #expect(near(result.readings[try metric(pool, "itl")]?.value, (0.025 + 0.025 * 24 / 36), 1e-9))
        // End to end (the built-in P90): 60 ≤ 2 s (vLLM's bounds 1, 1.5, 2), 114 ≤ 2.5 s of 120:
        // 2 + 0.5 × (108 − 60) / 54.
        #expect(near(result.readings[.p90]?.value, 2 + 0.5 * 48 / 54))
        #expect(result.readings[.qps]?.value == 12, "120 requests over 10 s, from vllm:request_success_total")
    }

    @Test func vllmOlderReleasesNameTheirKVCacheAndInterTokenFamiliesOtherwise() throws {
        let pool = try poolWithMetrics(["source": "PodScrape", "preset": "vllm"])
        var first = Engine(kvCache: 0.42, finished: 10)
        first.itl = [0.05: 10]
        var second = first
        second.finished = 20
        second.itl = [0.01: 10, 0.05: 20]
        for release in ["0.8", "0.10"] {
            let result = try aggregate(pool, [("a", 0, ServerExposition.vllm([first], release: release)),
                                              ("a", 5, ServerExposition.vllm([second], release: release))])
            #expect(result.readings[try metric(pool, "kv_cache")]?.value == 0.42, "vllm:gpu_cache_usage_perc, or its successor (\(release))")
            // 10 new observations, all ≤ 10 ms: P90 in (0, 0.01].
            #expect(near(result.readings[try metric(pool, "itl")]?.value, 0.009, 1e-9), "vllm:time_per_output_token_seconds (\(release))")
        }
    }

    @Test func vllmCountsOnlyThePoolsModelAndReportsTheOthersWhenItIsMissing() throws {
        let page = ServerExposition.vllm([Engine(model: "llama-8b", waiting: 3), Engine(model: "qwen-7b", waiting: 40)])
        let llama = try poolWithMetrics(["source": "PodScrape", "preset": "vllm"], modelRef: "llama-8b")
        #expect(try aggregate(llama, [("a", 0, page)]).readings[try metric(llama, "waiting")]?.value == 3)

        let missing = try poolWithMetrics(["source": "PodScrape", "preset": "vllm"], modelRef: "llama-70b")
        let result = try aggregate(missing, [("a", 0, page)])
        #expect(result.readings[try metric(missing, "waiting")] == nil, "never 43, the sum of every model on the server")
        #expect(result.unknown[try metric(missing, "waiting")] == "no series with model_name=\"llama-70b\"; the pods report llama-8b, qwen-7b")

        // A pool can name the label, the value, and the adapters that count as its own.
        let adapters = try poolWithMetrics(["source": "PodScrape", "preset": "vllm",
                                            "model": ["label": "model_name", "name": "llama-8b", "adapters": ["qwen-7b"]]], modelRef: "whatever")
        #expect(try aggregate(adapters, [("a", 0, page)]).readings[try metric(adapters, "waiting")]?.value == 43)
    }

    @Test func tgiGivesWaitingRunningInterTokenAndTheBuiltIns() throws {
        let pool = try poolWithMetrics(["source": "PodScrape", "preset": "tgi"])
        #expect(pool.spec.metricCatalog.metric(named: "ttft") == nil, "TGI exports no time to first token")
        let before = ServerExposition.tgi(queue: 0, batch: 0, durations: [], perToken: [])
        let durations = Array(repeating: 0.2, count: 90) + Array(repeating: 1.2, count: 10)
        let after = ServerExposition.tgi(queue: 9, batch: 32, durations: durations, perToken: Array(repeating: 0.02, count: 100))
        let result = try aggregate(pool, [("a", 0, before), ("a", 20, after)])
        #expect(result.readings[try metric(pool, "waiting")]?.value == 9, "tgi_queue_size")
        #expect(result.readings[try metric(pool, "running")]?.value == 32, "tgi_batch_current_size")
        #expect(result.readings[.qps]?.value == 5, "100 of tgi_request_success over 20 s")
        // P90 of tgi_request_duration: rank 90 reaches the bucket holding the 0.2 s requests.
        let p90 = try #require(result.readings[.p90]?.value)
        let bound = try #require(ServerExposition.tgiDurationBounds.first { $0 >= 0.2 })
        #expect(p90 > 0.1 && p90 <= bound, "\(p90)")
        let itl = try #require(result.readings[try metric(pool, "itl")]?.value)
        #expect(itl > 0.01 && itl <= 0.03, "\(itl)")
    }

    /// The issue's case: a Triton that serves `resnet_50` and `densenet_onnx`, a pool that says
    /// `resnet50`. P90 used to be both models' (937 ms, and a scale-up); it is unknown, with the
    /// models the pods report, and the right name gives resnet_50's alone (333 ms).
    @Test func tritonModelMismatchIsReportedNotMixed() throws {
        func page(_ t: Double) -> String {
            ServerExposition.triton([
                .init(name: "resnet_50", pending: 4, requests: 100 * t, queueMicroseconds: 2_000 * 100 * t, buckets: [76 * t, 100 * t, 100 * t, 100 * t]),
                .init(name: "densenet_onnx", pending: 30, requests: 108 * t, queueMicroseconds: 0, buckets: [0, 0, 100 * t, 108 * t]),
            ])
        }
        let wrong = try poolWithMetrics(["source": "PodScrape", "preset": "triton"], modelRef: "resnet50")
        let mixed = try aggregate(wrong, [("a", 0, page(0)), ("a", 10, page(1))])
        let reason = "no series with model=\"resnet50\"; the pods report densenet_onnx, resnet_50"
        #expect(mixed.readings[.p90] == nil)
        #expect(mixed.unknown[.p90] == reason)
        #expect(mixed.unknown[.qps] == reason)
        #expect(mixed.unknown[.queue] == reason)
        #expect(mixed.unknown[try metric(wrong, "waiting")] == reason)
        #expect(mixed.readings[.gpuUtil]?.value == 0.5, "GPU gauges name no model and are read whole")
        // What mixing gave: both models' buckets summed.
        let both = HistogramQuantile.quantile(0.9, buckets: [(100, 76), (500, 100), (1000, 200), (.infinity, 208)])
        #expect(Int(both.rounded()) == 936)

        let right = try poolWithMetrics(["source": "PodScrape", "preset": "triton"], modelRef: "resnet_50")
        let alone = try aggregate(right, [("a", 0, page(0)), ("a", 10, page(1))])
        #expect(near(alone.readings[.p90]?.value, 0.333_333, 1e-6))
        #expect(alone.readings[try metric(right, "waiting")]?.value == 4, "nv_inference_pending_request_count of resnet_50 only")
        #expect(alone.readings[.queue]?.value == 0.002, "2 ms a request in the queue")
        #expect(alone.readings[.qps]?.value == 10)
    }

    @Test func aPoolsOwnMetricReadsWhatItsRuleSays() throws {
        let pool = try poolWithMetrics(["source": "PodScrape", "custom": [
            ["name": "stop_rate", "unit": "perSecond",
             "podScrape": ["family": "vllm:request_success_total", "labels": ["finished_reason": "stop"], "aggregation": "rate"]],
            ["name": "kv_max", "unit": "percent", "podScrape": ["family": "vllm:kv_cache_usage_perc", "aggregation": "max"]],
            ["name": "ttft_mean", "unit": "seconds", "podScrape": ["family": "vllm:time_to_first_token_seconds", "aggregation": "mean"]],
            ["name": "wrong", "unit": "seconds", "podScrape": ["family": "vllm:num_requests_waiting", "aggregation": "quantile", "quantile": 0.9]],
            ["name": "absent", "unit": "count", "podScrape": ["family": "sglang:num_queue_reqs", "aggregation": "sum"]],
        ]], up: "stop_rate > 1 || kv_max > 50% || ttft_mean > 1s || wrong > 1s || absent > 1")
        let result = try aggregate(pool, [("a", 0, ServerExposition.vllm([Engine(kvCache: 40, finished: 100)])),
                                          ("a", 10, ServerExposition.vllm([Engine(kvCache: 85, finished: 150)]))])
        #expect(result.readings[try metric(pool, "stop_rate")]?.value == 4.5, "45 stopped requests over 10 s")
        #expect(result.readings[try metric(pool, "kv_max")]?.value == 0.85, "read in the declared unit, a percentage: divided by 100")
        #expect(near(result.readings[try metric(pool, "ttft_mean")]?.value, 0.1, 1e-12), "_sum increase 5 s over _count increase 50")
        #expect(result.unknown[try metric(pool, "wrong")] == "vllm:num_requests_waiting is a gauge; aggregation quantile needs a histogram")
        #expect(result.unknown[try metric(pool, "absent")] == "the pods export no sglang:num_queue_reqs")
    }

    @Test func prometheusTemplatesComeFromThePresetThenThePool() throws {
        let pool = try poolWithMetrics(["source": "Prometheus", "preset": "vllm", "model": ["adapters": ["sql-lora"]],
                                        "prometheus": ["queries": ["waiting": "max(vllm:num_requests_waiting{model_name=~\"{{models}}\"})"]]])
        let templates = QueryTemplates.templates(for: pool, base: QueryTemplates.triton)
        let values = QueryTemplate.values(for: pool, target: "llm")
        func rendered(_ metric: MetricName) throws -> String { try QueryTemplates.render(try #require(templates[metric]), values).get() }
        #expect(try rendered(try metric(pool, "waiting")) == #"max(vllm:num_requests_waiting{model_name=~"meta-llama/Llama-3\\.1-8B-Instruct|sql-lora"})"#)
        #expect(try rendered(try metric(pool, "kv_cache")).hasPrefix(#"avg(vllm:kv_cache_usage_perc{namespace="serving",model_name=~"#))
        #expect(try rendered(.p90).contains("vllm:e2e_request_latency_seconds_bucket"), "the preset's P90, not Triton's")
        #expect(try rendered(.gpuUtil).contains("nv_gpu_utilization"), "what the preset leaves out comes from the operator's templates")
    }
}
