import Autoscaling
import JSON
import Foundation
import Kube
import TestSupport
import Testing
@testable import MetricsSources
@testable import Operator
import TestDoubles
import PrometheusText

let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("The operator's metrics format", .runsOnOwnThreads)
struct MetricsFormatTests {
    @Test func histogramBucketsAreCumulative() {
        var h = Histogram()
        for v in [0.001, 0.02, 0.3, 7.0, 20.0] { h.observe(v) }
        #expect(h.count == 5)
        #expect(h.counts == [1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4])
        #expect(abs(h.sum - 27.321) < 1e-9)
    }

    /// The parser rejects a `# TYPE` after its samples; a sample outside every declared family
    /// comes back as an untyped family of its own.
    @Test func everyFamilyHasHelpAndTypeBeforeItsSamples() throws {
        let text = OperatorMetrics.render(controller: nil, isLeader: true, leaseName: "eip-operator.aiops.example.com")
        let families = try ExpositionParser.parse(text)
        #expect(!families.isEmpty)
        for family in families {
            #expect(family.kind != .untyped, "\(family.name) has no TYPE line")
            #expect(family.help != nil, "\(family.name) has no HELP line")
        }
        let leader = families.first { $0.name == "leader_election_master_status" }?.samples.first
        #expect(leader?.labels == ["name": "eip-operator.aiops.example.com"])
        #expect(leader?.value == 1)
    }

    @Test(.enabled(if: promtool != nil, "promtool not installed (Debian's prometheus package)"))
    func promtoolAcceptsTheOutput() throws {
        let text = OperatorMetrics.render(controller: nil, isLeader: false, leaseName: "eip-operator.aiops.example.com")
        let result = run(promtool ?? "", ["check", "metrics"], stdin: text)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    /// `eip_pool_observed_value` has the pools' own metrics too, in canonical units.
    @Test func observedValuesIncludeThePoolsOwnMetrics() throws {
        let pool: JSONValue = ["metadata": ["name": "llama", "namespace": "serving"],
                               "status": ["observed": ["p90": "250ms", "custom": ["waiting": "12", "kv_cache": "93%", "ttft": "1.5s"]]]]
        var w = ExpositionWriter()
        OperatorMetrics.poolFamilies([pool], &w)
        let samples = try ExpositionParser.parse(w.text).first { $0.name == "eip_pool_observed_value" }?.samples ?? []
        let values = Dictionary(samples.map { ($0.labels["metric"] ?? "", $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(values == ["P90": 0.25, "waiting": 12, "kv_cache": 0.93, "ttft": 1.5])
        #expect(samples.allSatisfy { $0.labels["pool"] == "llama" && $0.labels["namespace"] == "serving" })
    }

    @Test func metricReadsAreCountedAndTimedPerSource() async throws {
        let fixed = ScriptedMetricsSource([.p90: 0.1])
        let controller = PoolController(client: KubeClient(transport: HTTPTransport(TransportConfiguration(server: "http://127.0.0.1:1"))),
                                        namespace: nil, metrics: fixed, events: nil)
        // The controller's reads go through its instrumented source; this is the same.
        let router = InstrumentedMetricsSource(MetricsSourceRouter(default: fixed, prometheus: PrometheusQuerySource(connection: nil), podScrape: PodScrapeSource()),
                                               metrics: controller.telemetry, clock: SystemClock())
        let staticPool = try #require(ElasticInferencePool.check(poolObject(port: 1).removingMetrics, cache: ThresholdExpressionCache()).pool)
        let prometheusPool = try #require(ElasticInferencePool.check(poolObject(port: 1, source: "Prometheus", prometheus: ["address": "http://127.0.0.1:1"]),
                                                                     cache: ThresholdExpressionCache()).pool)
        let target = try #require(DeploymentView(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"]]))
        _ = await router.read(MetricsQuery(pool: staticPool, target: target, now: Timestamp(secondsSinceEpoch: 0)))
        fixed.fail("down")
        _ = await router.read(MetricsQuery(pool: staticPool, target: target, now: Timestamp(secondsSinceEpoch: 0)))
        _ = await router.read(MetricsQuery(pool: prometheusPool, target: target, metrics: [.p90], now: Timestamp(secondsSinceEpoch: 0)))

        let text = OperatorMetrics.render(controller: controller, isLeader: true, leaseName: "l")
        let families = Dictionary(try ExpositionParser.parse(text).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        func value(_ family: String, _ name: String, _ source: String) -> Double? {
            families[family]?.samples.first { $0.name == name && $0.labels["source"] == source }?.value
        }
        #expect(value("eip_metrics_reads_total", "eip_metrics_reads_total", "static") == 2)
        #expect(value("eip_metrics_read_errors_total", "eip_metrics_read_errors_total", "static") == 1)
        #expect(value("eip_metrics_reads_total", "eip_metrics_reads_total", "prometheus") == 1)
        #expect(value("eip_metrics_read_errors_total", "eip_metrics_read_errors_total", "prometheus") == 1, "nothing listens on port 1")
        #expect(value("eip_metrics_read_duration_seconds", "eip_metrics_read_duration_seconds_count", "static") == 2)
        if let promtool {
            let result = run(promtool, ["check", "metrics"], stdin: text)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        }
    }
}

extension JSONValue {
    /// A pool object without `spec.metrics` (the operator's default source).
    var removingMetrics: JSONValue {
        guard var o = objectValue, var spec = o["spec"]?.objectValue else { return self }
        spec["metrics"] = nil
        o["spec"] = .object(spec)
        return .object(o)
    }
}
