import Autoscaling
import Foundation
import JSON
import Testing
import TestSupport
@testable import MetricsSources
@testable import Operator

/// A Triton exporter whose counters grow at 100 requests/s: per second 50 requests ≤ 10 ms, 30 more
/// ≤ 50 ms, 10 more ≤ 100 ms and 10 more ≤ 500 ms (so P90 is exactly 100 ms), 20 ms each on average
/// with 2 ms queued; a P90 summary of 250 ms; GPU utilisation 0.55. And a DCGM exporter at 57 %.
func growingTritonExposition(since start: Date) -> String {
    let t = Date().timeIntervalSince(start) + 1
    let buckets = [("10", 50.0), ("50", 80), ("100", 90), ("500", 100), ("+Inf", 100)]
    return """
    # TYPE nv_inference_first_response_histogram_ms histogram
    \(buckets.map { "nv_inference_first_response_histogram_ms_bucket{model=\"bert\",version=\"1\",le=\"\($0.0)\"} \($0.1 * t)" }.joined(separator: "\n"))
    nv_inference_first_response_histogram_ms_sum{model="bert",version="1"} \(2000 * t)
    nv_inference_first_response_histogram_ms_count{model="bert",version="1"} \(100 * t)
    # TYPE nv_inference_request_success counter
    nv_inference_request_success{model="bert",version="1"} \(100 * t)
    # TYPE nv_inference_request_duration_us counter
    nv_inference_request_duration_us{model="bert",version="1"} \(100 * t * 20_000)
    # TYPE nv_inference_queue_duration_us counter
    nv_inference_queue_duration_us{model="bert",version="1"} \(100 * t * 2_000)
    # TYPE nv_inference_request_summary_us summary
    nv_inference_request_summary_us{model="bert",version="1",quantile="0.5"} 8000
    nv_inference_request_summary_us{model="bert",version="1",quantile="0.9"} 250000
    nv_inference_request_summary_us_sum{model="bert",version="1"} \(100 * t * 20_000)
    nv_inference_request_summary_us_count{model="bert",version="1"} \(100 * t)
    # TYPE nv_gpu_utilization gauge
    nv_gpu_utilization{gpu_uuid="GPU-1"} 0.55

    """
}

/// One real Prometheus for the suite, scraping a Triton and a DCGM exporter every second; the
/// pods' labels are attached by the scrape config, as Kubernetes service discovery would.
final class PrometheusFixture: @unchecked Sendable {
    let triton: TestExporter
    let dcgm: TestExporter
    let server: PrometheusServer

    init() throws {
        triton = try TestExporter()
        let start = Date()
        triton.bodyProvider.withLock { $0 = { growingTritonExposition(since: start) } }
        dcgm = try TestExporter()
        dcgm.body.withLock { $0 = "# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-1\"} 57\n" }
        let labels = ["namespace": "default", "pod": "model-7d4b9-x2x5z"]
        server = try PrometheusServer(targets: ["triton": ("127.0.0.1:\(triton.port)", labels), "dcgm": ("127.0.0.1:\(dcgm.port)", labels)])
    }

    func query(_ templates: [MetricName: String], metrics: [MetricName], pool: JSONValue? = nil) async throws -> MetricSample {
        let source = PrometheusQuerySource(connection: PrometheusConnection(address: server.url), templates: templates)
        let object = pool ?? poolObject(port: 8002, source: "Prometheus", prometheus: ["address": .string(server.url)])
        let parsed = try #require(ElasticInferencePool.check(object, cache: ThresholdExpressionCache()).pool)
        let target = try #require(DeploymentView(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model", "namespace": "default"]]))
        return await source.read(MetricsQuery(pool: parsed, target: target, metrics: metrics, now: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)))
    }

    /// Waits (bounded) until Prometheus has scraped enough for rates: it applies new targets on a ~5 s tick.
    func waitForRates() async throws -> MetricSample {
        let deadline = Date().addingTimeInterval(60)
        var sample = MetricSample()
        while Date() < deadline {
            sample = try await query(QueryTemplates.triton, metrics: [.p90, .qps, .gpuUtil])
            if sample.readings[.p90] != nil && sample.readings[.qps] != nil && sample.readings[.gpuUtil] != nil { return sample }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        return sample
    }

    deinit {
        server.stop()
        triton.stop()
        dcgm.stop()
    }
}

@Suite("Prometheus HTTP API source against a real Prometheus", .serialized, .runsOnOwnThreads, .enabled(if: PrometheusServer.isInstalled))
struct PrometheusSourceTests {
    @Test func defaultTemplatesReadTritonAndDCGMThroughPrometheus() async throws {
        let f = try PrometheusFixture()
        #expect(await f.server.waitUntilReady())
        let triton = try await f.waitForRates()
        #expect(abs((triton.readings[.p90]?.value ?? 0) - 0.1) < 0.002, "histogram_quantile over the rates: \(triton)")
        // rate() over [1m] divides by the whole minute, so early in the window it says less than 100/s.
        let earlyRate = triton.readings[.qps]?.value ?? 0
        #expect(earlyRate > 0 && earlyRate < 105)
        #expect(triton.readings[.gpuUtil]?.value == 0.55)
        #expect(triton.source == "Prometheus \(f.server.url)")

        let counters = try await f.query(QueryTemplates.triton, metrics: [.mean, .queue])
        #expect(abs((counters.readings[.mean]?.value ?? 0) - 0.02) < 1e-6)
        #expect(abs((counters.readings[.queue]?.value ?? 0) - 0.002) < 1e-6)
        let summary = try await f.query(QueryTemplates.tritonSummary, metrics: [.p90, .p50])
        #expect(summary.readings[.p90]?.value == 0.25)
        #expect(summary.readings[.p50]?.value == 0.008)
        let dcgm = try await f.query(try QueryTemplates.combined(["triton", "dcgm"]).get(), metrics: [.gpuUtil])
        #expect(dcgm.readings[.gpuUtil]?.value == 0.57)
        // The time of a reading is Prometheus' evaluation time, within moments of now.
        let age = Date().timeIntervalSince1970 - (dcgm.readings[.gpuUtil]?.sampledAt.secondsSinceEpoch ?? 0)
        #expect(age >= 0 && age < 10)

        // What is not a single number is unknown with its reason, never zero.
        var queries: JSONObject = ["P99": "vector(0) / 0", "P95": "up", "P50": "sum((", "qps": "nv_inference_request_success{model=\"absent\"}"]
        queries["gpu.mem"] = "absent_metric_for_eip"
        let pool = poolObject(port: 8002, source: "Prometheus", prometheus: ["address": .string(f.server.url), "queries": .object(queries)])
        let odd = try await f.query(QueryTemplates.triton, metrics: [.p99, .p95, .p50, .qps, .gpuMem, .p90], pool: pool)
        #expect(odd.failure == nil)
        #expect(odd.readings[.p99] == nil && odd.unknownReasons[.p99]?.hasPrefix("the query returned NaN") == true, "\(odd.unknownReasons)")
        #expect(odd.unknownReasons[.p95]?.hasPrefix("the query returned 2 series, not one") == true)
        #expect(odd.unknownReasons[.p50]?.hasPrefix("bad_data: ") == true, "\(odd.unknownReasons[.p50] ?? "")")
        #expect(odd.unknownReasons[.qps]?.hasPrefix("the query returned no series") == true)
        #expect(odd.readings[.p90] != nil, "the other metrics still read")

        // A pool's own template replaces the default: qps over 5 s is 100/s once 5 s are in.
        let shortRate = poolObject(port: 8002, source: "Prometheus", prometheus: ["address": .string(f.server.url), "queries": [
            "qps": #"sum(rate(nv_inference_request_success{namespace="{{namespace}}",model="{{model}}"}[5s]))"#]])
        var qps = 0.0
        let deadline = Date().addingTimeInterval(30)
        while abs(qps - 100) >= 2 && Date() < deadline {
            qps = try await f.query(QueryTemplates.triton, metrics: [.qps], pool: shortRate).readings[.qps]?.value ?? 0
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        #expect(abs(qps - 100) < 2)

        // Names are escaped: a model with a quote makes an empty result, not a broken query.
        let hostile = poolObject(port: 8002, model: "bert\"} or up{x=\"", source: "Prometheus", prometheus: ["address": .string(f.server.url)])
        let escaped = try await f.query(QueryTemplates.triton, metrics: [.qps], pool: hostile)
        #expect(escaped.unknownReasons[.qps]?.hasPrefix("the query returned no series") == true, "\(escaped.unknownReasons)")
    }

    /// The binary, with only flags: `--prometheus-address` makes Prometheus the default source, and
    /// a pool without `spec.metrics` scales on what it answers.
    @Test func theOperatorProcessScalesOnPrometheusFromItsFlags() async throws {
        let prometheus = try PrometheusFixture()
        #expect(await prometheus.server.waitUntilReady())
        _ = try await prometheus.waitForRates()
        let cluster = try await ProcessFixture()
        let op = try OperatorUnderTest(kubeconfig: cluster.kubeconfig,
                                       metrics: ["--prometheus-address", prometheus.server.url, "--prometheus-templates", "triton,dcgm"])
        _ = try await cluster.client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "triton", "image": "triton:24.01"]]]]],
        ])
        _ = try await cluster.client.create(.elasticInferencePools, namespace: "default", [
            "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "pool"],
            "spec": ["modelRef": "bert", "targetRef": ["name": "model"], "minReplicas": 1, "maxReplicas": 8,
                     "scaleUpThreshold": "P90>50ms && gpu.util>50%", "scaleDownThreshold": "P90<5ms", "behavior": ["pollInterval": "1s"]],
        ])
        #expect(await eventuallyAsync(timeout: 30) {
            ((try? await cluster.client.get(.deployments, namespace: "default", name: "model"))?["spec"]?["replicas"]?.intValue ?? 0) > 1
        }, "P90 100 ms and DCGM's 57 % fire the rule")
        // Status follows the scale in the same reconcile.
        #expect(await eventuallyAsync {
            (try? await cluster.client.get(.elasticInferencePools, namespace: "default", name: "pool"))?["status"]?["lastScaleUpTime"] != nil
        })
        let status = (try? await cluster.client.get(.elasticInferencePools, namespace: "default", name: "pool"))?["status"]
        let observed = status?["observed"]
        #expect(observed?["source"] == .string("Prometheus \(prometheus.server.url)"))
        #expect(observed?["gpuUtil"] == "57%")
        #expect(observed?["p90"] == "100ms")
        #expect(await eventually { op.get("metrics", "/metrics").body.contains("eip_metrics_reads_total{source=\"prometheus\"}") })
        #expect(op.logs.contains { $0["msg"] == "metrics" && $0["defaultSource"] == "prometheus" })
        kill(op.process.processIdentifier, SIGTERM)
        #expect(await op.waitForExit(timeout: 6) == 0)
    }

    @Test func prometheusDownIsAFailure() async throws {
        let gone = try TestExporter()
        let address = gone.url
        gone.stop()
        var connection = PrometheusConnection(address: address)
        connection.timeout = 1
        let source = PrometheusQuerySource(connection: connection)
        let pool = try #require(ElasticInferencePool.check(poolObject(port: 1, source: "Prometheus", prometheus: ["address": .string(address)]),
                                                           cache: ThresholdExpressionCache()).pool)
        let target = try #require(DeploymentView(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"]]))
        let sample = await source.read(MetricsQuery(pool: pool, target: target, metrics: [.p90], now: Timestamp(secondsSinceEpoch: 0)))
        #expect(sample.readings.isEmpty)
        #expect(sample.failure != nil)
    }
}
