import Autoscaling
import PrometheusText
import Testing
@testable import MetricsSources
@testable import Operator

/// Triton-shaped exposition text: the first-response histogram (ms), the request and duration
/// counters, and GPU gauges, for one model.
func tritonExposition(buckets: [(String, Double)] = [], requests: Double? = nil, durationMicroseconds: Double? = nil,
                      queueMicroseconds: Double? = nil, gpuUtilisation: [Double] = [], model: String = "bert") -> String {
    var lines: [String] = []
    if !buckets.isEmpty {
        lines.append("# TYPE nv_inference_first_response_histogram_ms histogram")
        for (le, count) in buckets { lines.append("nv_inference_first_response_histogram_ms_bucket{model=\"\(model)\",version=\"1\",le=\"\(le)\"} \(count)") }
        lines.append("nv_inference_first_response_histogram_ms_sum{model=\"\(model)\",version=\"1\"} 0")
        lines.append("nv_inference_first_response_histogram_ms_count{model=\"\(model)\",version=\"1\"} \(buckets.last?.1 ?? 0)")
    }
    for (name, value) in [("nv_inference_request_success", requests), ("nv_inference_request_duration_us", durationMicroseconds),
                          ("nv_inference_queue_duration_us", queueMicroseconds)] {
        guard let value else { continue }
        lines.append("# TYPE \(name) counter")
        lines.append("\(name){model=\"\(model)\",version=\"1\"} \(value)")
    }
    if !gpuUtilisation.isEmpty {
        lines.append("# TYPE nv_gpu_utilization gauge")
        for (i, value) in gpuUtilisation.enumerated() { lines.append("nv_gpu_utilization{gpu_uuid=\"GPU-\(i)\"} \(value)") }
    }
    return lines.joined(separator: "\n") + "\n"
}

/// Buckets at le 10, 50, 100, 500 ms and +Inf.
func msBuckets(_ counts: [Double]) -> [(String, Double)] { Array(zip(["10", "50", "100", "500", "+Inf"], counts)) }

func reading(_ text: String, at seconds: Double, model: String? = "bert") throws -> PodMetricsReading {
    PodMetricsReading(time: Timestamp(secondsSinceEpoch: seconds), families: try ExpositionParser.parse(text), model: model)
}

@Suite("Direct scrape: from expositions to pool values")
struct ScrapeAggregationTests {
    @Test func percentilesComeFromBucketIncreasesSummedAcrossPods() throws {
        var history = ScrapeHistory()
        history.record(pod: "a", try reading(tritonExposition(buckets: msBuckets([0, 0, 0, 0, 0])), at: 0), window: 30)
        history.record(pod: "b", try reading(tritonExposition(buckets: msBuckets([0, 0, 0, 0, 0])), at: 0), window: 30)
        history.record(pod: "a", try reading(tritonExposition(buckets: msBuckets([50, 80, 90, 100, 100])), at: 10), window: 30)
        history.record(pod: "b", try reading(tritonExposition(buckets: msBuckets([0, 0, 50, 100, 100])), at: 10), window: 30)
        let result = history.aggregate(current: ["a", "b"], at: Timestamp(secondsSinceEpoch: 10))
        // Summed increases: 10→50, 50→80, 100→140, 500→200, +Inf→200.
        // P90: rank 180 lies in (100, 500]: 100 + 400 × (180 − 140) / (200 − 140) = 366.67 ms.
        // P50: rank 100 lies in (50, 100]: 50 + 50 × (100 − 80) / (140 − 80) = 66.67 ms.
        let p90 = try #require(result.readings[.p90]?.value)
        let p50 = try #require(result.readings[.p50]?.value)
        #expect(abs(p90 - 0.366_667) < 1e-5)
        #expect(abs(p50 - 0.066_667) < 1e-5)
        // Averaging each pod's own P90 would say (95 + 450) / 2 = 272.5 ms: the sum is not that.
        #expect(abs(p90 - 0.2725) > 0.05)
        #expect(result.readings[.p90]?.sampledAt == Timestamp(secondsSinceEpoch: 10))
    }

    @Test func aCounterThatWentDownRestartedFromZero() throws {
        var history = ScrapeHistory()
        for (t, requests) in [(0.0, 1000.0), (10, 1100), (20, 30)] {  // the pod restarted between 10 s and 20 s
            history.record(pod: "a", try reading(tritonExposition(requests: requests), at: t), window: 30)
        }
        let increases = ScrapeHistory.increases([try reading(tritonExposition(requests: 1000), at: 0),
                                                 try reading(tritonExposition(requests: 1100), at: 10),
                                                 try reading(tritonExposition(requests: 30), at: 20)])
        #expect(increases["requests"] == 130, "100 before the restart, then 30 since")
        let result = history.aggregate(current: ["a"], at: Timestamp(secondsSinceEpoch: 20))
        #expect(result.readings[.qps]?.value == 6.5, "130 requests over 20 s")
    }

    @Test func qpsAddsThePodsRatesAndOldScrapesLeaveTheWindow() throws {
        var history = ScrapeHistory()
        history.record(pod: "a", try reading(tritonExposition(requests: 0), at: 0), window: 30)
        history.record(pod: "a", try reading(tritonExposition(requests: 1000), at: 20), window: 30)
        history.record(pod: "b", try reading(tritonExposition(requests: 0), at: 20), window: 30)
        history.record(pod: "a", try reading(tritonExposition(requests: 1100), at: 40), window: 30)  // the 0 s scrape leaves
        history.record(pod: "b", try reading(tritonExposition(requests: 400), at: 40), window: 30)
        let result = history.aggregate(current: ["a", "b"], at: Timestamp(secondsSinceEpoch: 40))
        #expect(result.readings[.qps]?.value == 100.0 / 20 + 400.0 / 20)
    }

    @Test func meanAndQueueComeFromDurationCountersOverRequests() throws {
        var history = ScrapeHistory()
        history.record(pod: "a", try reading(tritonExposition(requests: 0, durationMicroseconds: 0, queueMicroseconds: 0), at: 0), window: 30)
        history.record(pod: "b", try reading(tritonExposition(requests: 0, durationMicroseconds: 0, queueMicroseconds: 0), at: 0), window: 30)
        // a: 100 requests of 20 ms (2 ms queued); b: 300 requests of 60 ms (6 ms queued).
        history.record(pod: "a", try reading(tritonExposition(requests: 100, durationMicroseconds: 2e6, queueMicroseconds: 2e5), at: 10), window: 30)
        history.record(pod: "b", try reading(tritonExposition(requests: 300, durationMicroseconds: 18e6, queueMicroseconds: 18e5), at: 10), window: 30)
        let result = history.aggregate(current: ["a", "b"], at: Timestamp(secondsSinceEpoch: 10))
        #expect(abs((result.readings[.mean]?.value ?? 0) - 0.05) < 1e-9, "20e6 µs over 400 requests = 50 ms")
        #expect(abs((result.readings[.queue]?.value ?? 0) - 0.005) < 1e-9)
        // Counters alone give no percentile, and say where the mean is.
        #expect(result.readings[.p90] == nil)
        #expect(result.unknown[.p90]?.contains("no latency histogram or summary") == true)
        #expect(result.unknown[.p90]?.contains("`mean`") == true)
    }

    @Test func summariesTakeTheSlowestPod() throws {
        let summary = { (p90: Double) in
            "# TYPE nv_inference_request_summary_us summary\n" +
                "nv_inference_request_summary_us{model=\"bert\",quantile=\"0.5\"} 100000\n" +
                "nv_inference_request_summary_us{model=\"bert\",quantile=\"0.9\"} \(p90)\n" +
                "nv_inference_request_summary_us_sum{model=\"bert\"} 1\nnv_inference_request_summary_us_count{model=\"bert\"} 1\n"
        }
        var history = ScrapeHistory()
        history.record(pod: "a", try reading(summary(250_000), at: 0), window: 30)
        history.record(pod: "b", try reading(summary(400_000), at: 0), window: 30)
        let result = history.aggregate(current: ["a", "b"], at: Timestamp(secondsSinceEpoch: 0))
        #expect(result.readings[.p90]?.value == 0.4, "one scrape is enough: summaries are the pods' own quantiles")
        #expect(result.readings[.p50]?.value == 0.1)
        #expect(result.unknown[.p99]?.contains("no quantile 0.99") == true)
    }

    @Test func gpuUtilisationIsTheMeanOverAllGPUsTritonFractionsAndDCGMPercentages() throws {
        var history = ScrapeHistory()
        history.record(pod: "a", try reading(tritonExposition(gpuUtilisation: [0.5, 0.7]), at: 0), window: 30)
        history.record(pod: "b", try reading("# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 90\n", at: 0), window: 30)
        let result = history.aggregate(current: ["a", "b"], at: Timestamp(secondsSinceEpoch: 0))
        #expect(abs((result.readings[.gpuUtil]?.value ?? 0) - 0.7) < 1e-9)
        #expect(result.unknown[.gpuMem]?.contains("GPU memory") == true)
    }

    @Test func gpuMemoryIsUsedOverTotal() throws {
        let text = """
        # TYPE DCGM_FI_DEV_FB_USED gauge
        DCGM_FI_DEV_FB_USED{gpu="0"} 60000
        DCGM_FI_DEV_FB_USED{gpu="1"} 20000
        # TYPE DCGM_FI_DEV_FB_FREE gauge
        DCGM_FI_DEV_FB_FREE{gpu="0"} 20000
        DCGM_FI_DEV_FB_FREE{gpu="1"} 60000

        """
        var history = ScrapeHistory()
        history.record(pod: "a", try reading(text, at: 0), window: 30)
        #expect(history.aggregate(current: ["a"], at: Timestamp(secondsSinceEpoch: 0)).readings[.gpuMem]?.value == 0.5)
    }

    @Test func aFirstScrapeHasNoRatesAndSaysSo() throws {
        var history = ScrapeHistory()
        history.record(pod: "a", try reading(tritonExposition(buckets: msBuckets([1, 2, 3, 4, 4]), requests: 4, durationMicroseconds: 100), at: 0), window: 30)
        let result = history.aggregate(current: ["a"], at: Timestamp(secondsSinceEpoch: 0))
        #expect(result.readings[.p90] == nil && result.readings[.qps] == nil && result.readings[.mean] == nil)
        #expect(result.unknown[.p90]?.contains("first scrape") == true)
        #expect(result.unknown[.qps]?.contains("first scrape") == true)
    }

    @Test func noRequestsInTheWindowIsUnknownNotZero() throws {
        var history = ScrapeHistory()
        for t in [0.0, 5] {
            history.record(pod: "a", try reading(tritonExposition(buckets: msBuckets([9, 9, 9, 9, 9]), requests: 9, durationMicroseconds: 900), at: t), window: 30)
        }
        let result = history.aggregate(current: ["a"], at: Timestamp(secondsSinceEpoch: 5))
        #expect(result.readings[.p90] == nil)
        #expect(result.unknown[.p90]?.hasPrefix("no requests in the last 5s") == true)
        #expect(result.unknown[.mean]?.hasPrefix("no requests") == true)
        #expect(result.readings[.qps]?.value == 0, "an idle pool's request rate is a true zero")
    }

    @Test func onlyThePoolsModelCountsWhenTheServerLabelsModels() throws {
        let text = tritonExposition(requests: 100, model: "bert") + tritonExposition(requests: 5000, model: "other")
            .replacingOccurrences(of: "# TYPE nv_inference_request_success counter\n", with: "")
        let bert = try reading(text, at: 0, model: "bert")
        #expect(bert.counters["requests"] == 100)
        // No series of this model: none of them (issue 19 §3: never the sum of every model on the server),
        // and the models the pod does report are kept for the reason.
        let unlabelled = try reading(text, at: 0, model: "resnet")
        #expect(unlabelled.counters["requests"] == nil)
        #expect(unlabelled.otherModels["nv_inference_request_success"] == ["bert", "other"])
    }

    @Test func podsNotScrapedWithinTheWindowAreForgotten() throws {
        var history = ScrapeHistory()
        history.record(pod: "gone", try reading(tritonExposition(gpuUtilisation: [0.9]), at: 0), window: 30)
        history.record(pod: "a", try reading(tritonExposition(gpuUtilisation: [0.2]), at: 40), window: 30)
        history.forgetPods(notScrapedSince: Timestamp(secondsSinceEpoch: 10))
        // Even if asked for, the forgotten pod has nothing left to give.
        #expect(history.aggregate(current: ["a", "gone"], at: Timestamp(secondsSinceEpoch: 40)).readings[.gpuUtil]?.value == 0.2)
    }

    @Test func podsThatDidNotAnswerNowAreLeftOut() throws {
        var history = ScrapeHistory()
        history.record(pod: "a", try reading(tritonExposition(gpuUtilisation: [0.2]), at: 0), window: 30)
        history.record(pod: "b", try reading(tritonExposition(gpuUtilisation: [0.9]), at: 0), window: 30)
        #expect(history.aggregate(current: ["a"], at: Timestamp(secondsSinceEpoch: 0)).readings[.gpuUtil]?.value == 0.2)
    }
}
