import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Testing
@testable import MetricsSources
@testable import Operator

/// Bare pods in the emulator, made Ready (or not) through `/status`, each with an exporter on its
/// own loopback IP and one shared port, as a real pod's `podIP:8002` would be.
final class ScrapedPods: @unchecked Sendable {
    let fixture: OperatorFixture
    let informer: Informer
    var exporters: [String: TestExporter] = [:]
    private(set) var port = 0
    private var nextIP = 200

    init() async throws {
        fixture = try OperatorFixture()
        informer = Informer(client: fixture.client, resource: .pods, namespace: "default", transform: Informer.podEssentials)
        informer.start()
        _ = await eventually { self.informer.hasSynced }
    }

    deinit {
        informer.stop()
        exporters.values.forEach { $0.stop() }
    }

    /// A pod labelled `app=model` with its exporter serving `body`; Ready unless told otherwise.
    @discardableResult
    func add(_ name: String, ready: Bool = true, body: String) async throws -> TestExporter {
        nextIP += 1
        let ip = "127.1.250.\(nextIP)"
        let exporter = try TestExporter(host: ip, port: port)
        port = exporter.port
        exporter.body.withLock { $0 = body }
        exporters[name] = exporter
        _ = try await fixture.client.create(.pods, namespace: "default", [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "labels": ["app": "model"]],
            "spec": ["containers": [["name": "triton", "image": "triton:24.01"]]],
        ])
        _ = try await fixture.client.patch(.pods, namespace: "default", name: name, .merge(["status": [
            "phase": "Running", "podIP": .string(ip),
            "conditions": [["type": "Ready", "status": ready ? "True" : "False"]],
        ]]), subresource: "status")
        _ = await eventually { self.informer.get(namespace: "default", name: name)?["status"]?["podIP"]?.stringValue == ip }
        return exporter
    }

    func query(now: Timestamp, model: String = "bert") throws -> MetricsQuery {
        let pool = try #require(ElasticInferencePool.check(poolObject(port: port, model: model), cache: ThresholdExpressionCache()).pool)
        let target = try #require(DeploymentView(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model", "namespace": "default"],
                                                  "spec": ["replicas": 3, "selector": ["matchLabels": ["app": "model"]]]]))
        let selector = try #require(LabelSelector(target.object["spec"]?["selector"]))
        return MetricsQuery(pool: pool, target: target, pods: informer.list(namespace: "default").filter(selector.matches), metrics: [.p90], now: now)
    }
}

func poolObject(port: Int, model: String = "bert", source: String = "PodScrape", prometheus: JSONValue? = nil) -> JSONValue {
    var metrics: JSONObject = ["source": .string(source), "podScrape": ["port": .integer(port)]]
    if let prometheus { metrics["prometheus"] = prometheus }
    return ["apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool",
            "metadata": ["name": "pool", "namespace": "default"],
            "spec": ["modelRef": .string(model), "targetRef": ["name": "model"], "minReplicas": 1, "maxReplicas": 10,
                     "scaleUpThreshold": "P90>200ms", "scaleDownThreshold": "P90<50ms", "metrics": .object(metrics),
                     "behavior": ["pollInterval": "5s"]]]
}

@Suite("Direct scrape of emulator pods", .serialized)
struct PodScrapeSourceTests {
    @Test func readyPodsAreScrapedAndWarmingSlowAndGarbagePodsLeftOut() async throws {
        let pods = try await ScrapedPods()
        try await pods.add("model-a", body: tritonExposition(buckets: msBuckets([0, 0, 0, 0, 0]), gpuUtilisation: [0.4]))
        try await pods.add("model-b", body: tritonExposition(buckets: msBuckets([0, 0, 0, 0, 0]), gpuUtilisation: [0.6]))
        // Warming: its exporter already answers, with a value that would dominate if it were read.
        let warming = try await pods.add("model-warming", ready: false, body: tritonExposition(buckets: msBuckets([0, 0, 0, 0, 1000]), gpuUtilisation: [1.0]))
        let slow = try await pods.add("model-slow", body: tritonExposition(gpuUtilisation: [1.0]))
        slow.behaviour.withLock { $0 = .slow(3) }
        try await pods.add("model-garbage", body: "nv_gpu_utilization{gpu=\"0\" 1.0\n")

        let source = PodScrapeSource(timeout: 1.5)
        let first = await source.read(try pods.query(now: Timestamp(secondsSinceEpoch: 100)))
        #expect(first.failure == nil)
        #expect(first.readings[.gpuUtil]?.value == 0.5, "mean of a (0.4) and b (0.6) only")
        #expect(first.unknownReasons[.p90]?.contains("first scrape") == true)
        let source0 = first.source ?? ""
        #expect(source0.hasPrefix("PodScrape 2/4 pods, 1 warming"), "\(source0)")
        #expect(source0.contains("model-slow: timed out"), "\(source0)")
        #expect(source0.contains("model-garbage: bad exposition at 1:"), "\(source0)")
        #expect(warming.requests.withLock { $0 } == 0, "a pod that is not Ready is not even asked")

        pods.exporters["model-a"]?.body.withLock { $0 = tritonExposition(buckets: msBuckets([50, 80, 90, 100, 100]), gpuUtilisation: [0.4]) }
        pods.exporters["model-b"]?.body.withLock { $0 = tritonExposition(buckets: msBuckets([0, 0, 50, 100, 100]), gpuUtilisation: [0.6]) }
        let second = await source.read(try pods.query(now: Timestamp(secondsSinceEpoch: 105)))
        #expect(abs((second.readings[.p90]?.value ?? 0) - 0.366_667) < 1e-5, "the hand-computed P90 of ScrapeAggregationTests")
        #expect(second.readings[.p90]?.sampledAt == Timestamp(secondsSinceEpoch: 105))
    }

    @Test func noPodAnsweringIsAFailureNotZeros() async throws {
        let pods = try await ScrapedPods()
        let exporter = try await pods.add("model-a", body: tritonExposition(gpuUtilisation: [0.4]))
        exporter.stop()
        let sample = await PodScrapeSource(timeout: 0.5).read(try pods.query(now: Timestamp(secondsSinceEpoch: 1)))
        #expect(sample.readings.isEmpty)
        #expect(sample.failure?.hasPrefix("no pod answered: model-a: ") == true, "\(sample.failure ?? "")")
    }

    @Test func aRunawayExpositionIsRefusedNotHeld() async throws {
        let pods = try await ScrapedPods()
        let huge = String(repeating: "# padding padding padding padding padding padding padding padding\n", count: (Defaults.metricsResponseMaximumBytes / 64) + 1024)
        try await pods.add("model-a", body: huge)
        let sample = await PodScrapeSource(timeout: 5).read(try pods.query(now: Timestamp(secondsSinceEpoch: 1)))
        #expect(sample.failure?.contains("model-a: the response is larger than 16777216 bytes; refused") == true, "\(sample.failure ?? "")")
    }

    @Test func noReadyPodIsAFailureThatCountsTheWarmingOnes() async throws {
        let pods = try await ScrapedPods()
        try await pods.add("model-a", ready: false, body: "")
        let sample = await PodScrapeSource(timeout: 0.5).read(try pods.query(now: Timestamp(secondsSinceEpoch: 1)))
        #expect(sample.failure == "no Ready pods of Deployment model to scrape, 1 warming")
    }

    @Test func theCachedPodKeepsOnlyWhatTheScrapeNeeds() async throws {
        let pods = try await ScrapedPods()
        try await pods.add("model-a", body: "")
        let cached = try #require(pods.informer.get(namespace: "default", name: "model-a"))
        #expect(cached["spec"] == nil)
        #expect(cached["metadata"]?["labels"]?["app"] == "model")
        #expect(ReadyPod(cached)?.ip.hasPrefix("127.1.250.") == true)
    }
}
