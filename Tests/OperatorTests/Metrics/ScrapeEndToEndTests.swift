import Autoscaling
import Foundation
import JSON
import Kube
import Locking
import Testing
@testable import MetricsSources
@testable import Operator

/// Per second and pod: 100 requests, 90 of them ≤ 100 ms (fast: P90 100 ms) or all of them in
/// (100 ms, 500 ms] (slow). Counters accumulate across phases, as a real server's do.
final class LatencyPhases: Sendable {
    private let state = Locked<(slow: Bool, since: Date, fast: Double, slowCount: Double)>((false, Date(), 0, 0))

    func setSlow(_ slow: Bool) {
        state.withLock { s in
            let elapsed = Date().timeIntervalSince(s.since) * 100
            if s.slow { s.slowCount += elapsed } else { s.fast += elapsed }
            s = (slow, Date(), s.fast, s.slowCount)
        }
    }

    func exposition() -> String {
        let (fast, slow) = state.withLock { s -> (Double, Double) in
            let elapsed = Date().timeIntervalSince(s.since) * 100
            return s.slow ? (s.fast, s.slowCount + elapsed) : (s.fast + elapsed, s.slowCount)
        }
        return tritonExposition(buckets: msBuckets([0.5 * fast, 0.8 * fast, 0.9 * fast, fast + slow, fast + slow]), gpuUtilisation: [0.5])
    }
}

@Suite("Direct scrape end to end, with the controller", .serialized)
struct ScrapeEndToEndTests {
    @Test func aBreachVisibleInTheScrapeScalesUpInTheSameReadAndASilentExporterHolds() async throws {
        // Exporters on the first 12 pod IPs the fake kubelet hands out, all on one port.
        let phases = LatencyPhases()
        var exporters: [TestExporter] = []
        defer { exporters.forEach { $0.stop() } }
        for i in 1...12 {
            let exporter = try TestExporter(host: "127.1.0.\(i)", port: exporters.first?.port ?? 0)
            exporter.bodyProvider.withLock { $0 = { phases.exposition() } }
            exporters.append(exporter)
        }
        let f = try await ControllerFixture(source: MetricsSourceRouter(default: PodScrapeSource(timeout: 1.5), prometheus: PrometheusQuerySource(connection: nil),
                                                                         podScrape: PodScrapeSource(timeout: 1.5)))
        try await f.createDeployment("model", replicas: 2)
        _ = try await f.client.create(.elasticInferencePools, namespace: "default", [
            "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "pool"],
            "spec": ["modelRef": "bert", "targetRef": ["name": "model"], "minReplicas": 2, "maxReplicas": 12,
                     "scaleUpThreshold": "P90>200ms", "scaleDownThreshold": "P90<5ms",
                     "metrics": ["source": "PodScrape", "podScrape": ["port": .integer(exporters[0].port)]],
                     "behavior": ["pollInterval": "1s", "scaleUp": ["periodSeconds": 1]]],
        ])
        // Fast: P90 100 ms, read from both pods once two scrapes give rates.
        let fastRead = await f.eventually(timeout: 20) {
            let observed = await f.pool("pool")?["status"]?["observed"]
            return observed?["p90"] == "100ms" && observed?["source"] == "PodScrape 2/2 pods"
        }
        let statusNow = await f.pool("pool")?["status"]
        #expect(fastRead, "\(String(describing: statusNow))")
        #expect(await f.replicas("model") == 2)
        #expect(await f.eventually { f.cachedReadyReplicas("model") == 2 }, "steps are taken from ready replicas, as the controller sees them")

        // Watch the pool's status from here on: the first one showing the breach must show the step too.
        let from = try #require(await f.pool("pool")?["metadata"]?["resourceVersion"]?.stringValue)
        let statuses = Locked<[JSONValue]>([])
        let watcher = Task {
            for try await event in f.client.resumingWatch(.elasticInferencePools, namespace: "default", from: from) {
                if let status = event.object["status"] { statuses.withLock { $0.append(status) } }
            }
        }
        defer { watcher.cancel() }
        phases.setSlow(true)
        #expect(await f.eventually(timeout: 20) { await f.replicas("model") == 6 }, "2 ready + max(4, 100%)")
        #expect(await f.eventually { statuses.withLock { $0.contains { $0["desiredReplicas"] == 6 } } })
        let firstBreach = statuses.withLock { all in
            all.first { status in
                guard let text = status["observed"]?["p90"]?.stringValue, let value = try? Quantity.parse(text, for: .p90).get() else { return false }
                return value.value > 0.2
            }
        }
        #expect(firstBreach?["desiredReplicas"] == 6, "the read that saw P90 > 200 ms scaled: \(String(describing: firstBreach))")
        #expect(firstBreach?["lastDecision"]?["action"] == "ScaleUp")

        // The exporters stop answering: hold at 6, MetricsAvailable false, and say why.
        exporters.forEach { $0.stop() }
        let unavailable = await f.eventually(timeout: 20) { await f.condition("pool", "MetricsAvailable")?["status"] == "False" }
        let conditions = await f.pool("pool")?["status"]?["conditions"]
        #expect(unavailable, "\(String(describing: conditions))")
        let message = await f.condition("pool", "MetricsAvailable")?["message"]?.stringValue ?? ""
        #expect(message.contains("no pod answered"), "\(message)")
        #expect(await f.replicas("model") == 6)
        #expect(await f.pool("pool")?["status"]?["lastDecision"]?["action"] == "Hold")
    }
}
