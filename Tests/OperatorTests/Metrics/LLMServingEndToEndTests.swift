import Autoscaling
import Foundation
import JSON
import Kube
import Locking
import Testing
@testable import MetricsSources
@testable import Operator

/// Exporters on the first `count` pod IPs the fake kubelet hands out (127.1.0.N), all on one port,
/// each serving what `body` says for its address.
func podExporters(_ count: Int, body: @escaping @Sendable (_ host: String) -> String) throws -> [TestExporter] {
    var exporters: [TestExporter] = []
    for i in 1...count {
        let exporter = try TestExporter(host: "127.1.0.\(i)", port: exporters.first?.port ?? 0)
        let host = exporter.host
        exporter.bodyProvider.withLock { $0 = { body(host) } }
        exporters.append(exporter)
    }
    return exporters
}

/// A controller that reads pools' metrics by scraping their pods.
func scrapingController() async throws -> ControllerFixture {
    try await ControllerFixture(source: MetricsSourceRouter(default: PodScrapeSource(timeout: 1.5), prometheus: PrometheusQuerySource(connection: nil),
                                                            podScrape: PodScrapeSource(timeout: 1.5)))
}

extension ControllerFixture {
    /// A pool `name` of `model` on `target` that scrapes its pods on `port`, polled every second.
    func createScrapedPool(_ name: String, model: String, target: JSONValue, min: Int, max: Int, up: String, down: String,
                           port: Int, preset: String? = nil) async throws {
        var metrics: JSONObject = ["source": "PodScrape", "podScrape": ["port": .integer(port)]]
        if let preset { metrics["preset"] = .string(preset) }
        _ = try await client.create(.elasticInferencePools, namespace: "default", [
            "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": .string(name)],
            "spec": ["modelRef": .string(model), "targetRef": target, "minReplicas": .integer(min), "maxReplicas": .integer(max),
                     "scaleUpThreshold": .string(up), "scaleDownThreshold": .string(down), "metrics": .object(metrics),
                     "behavior": ["pollInterval": "1s", "scaleUp": ["periodSeconds": 1]]],
        ])
    }
}

/// An LLM pool scaled on its server's own signals, against the emulator with exporters on its pods'
/// IPs (issue 19: "Done when").
@Suite("LLM serving end to end: vLLM's signals, LeaderWorkerSet leaders, model mismatches", .serialized)
struct LLMServingEndToEndTests {
    typealias Engine = ServerExposition.VLLMEngine

    /// The case: `waiting > 8 || kv_cache > 90%` on vLLM, read straight from the pods.
    @Test func aVLLMPoolScalesOnWaitingOrKVCache() async throws {
        let state = Locked((waiting: 2.0, kv: 0.5))
        let exporters = try podExporters(12) { _ in
            let now = state.withLock { $0 }
            return ServerExposition.vllm([Engine(waiting: now.waiting, running: 16, kvCache: now.kv, finished: 10)])
        }
        defer { exporters.forEach { $0.stop() } }
        let f = try await scrapingController()
        try await f.createDeployment("llama", replicas: 1)
        try await f.createScrapedPool("llama", model: "meta-llama/Llama-3.1-8B-Instruct", target: ["name": "llama"], min: 1, max: 8,
                                      up: "waiting > 8 || kv_cache > 90%", down: "waiting < 1 && kv_cache < 40%", port: exporters[0].port, preset: "vllm")
        // Calm: both known, neither rule true, one replica.
        #expect(await f.eventually { await f.pool("llama")?["status"]?["observed"]?["summary"] == "waiting=2 kv_cache=50%" })
        let calm = await f.pool("llama")?["status"]?["observed"]
        #expect(calm?["custom"] == ["kv_cache": "50%", "running": "16", "waiting": "2"], "every value of the pool's own the scrape read: \(String(describing: calm))")
        #expect(await f.replicas("llama") == 1)
        #expect(await f.condition("llama", "ScalingActive")?["reason"] == "WithinThresholds")
        #expect(await f.eventually { f.cachedReadyReplicas("llama") == 1 })

        // The KV cache fills: a step from the one ready replica.
        state.withLock { $0.kv = 0.95 }
        #expect(await f.eventually { await f.replicas("llama") == 5 }, "1 ready + max(4 pods, 100%)")
        state.withLock { $0 = (waiting: 2, kv: 0.5) }
        // The Event is written after the scale (queued, off the reconcile): eventually.
        var events: [String] = []
        #expect(await f.eventually {
            events = ((try? await f.client.list(.events, namespace: "default").items) ?? []).compactMap { $0["message"]?.stringValue }
            return events.contains { $0.hasPrefix("1 -> 5: scaleUpThreshold is true (waiting=2 > 8: false, kv_cache=95% > 90%: true)") }
        }, "\(events)")

        // Requests pile up in the queue of the five: it is their sum that fires.
        #expect(await f.eventually(timeout: 30) { await f.pool("llama")?["status"]?["observed"]?["custom"]?["waiting"] == "10" }, "5 pods × 2 waiting")
        #expect(await f.eventually { await f.replicas("llama") == 8 }, "waiting 10 > 8: up, capped at maxReplicas")
    }

    /// A LeaderWorkerSet's scale selects its leaders: only they are scraped (vLLM serves the API and
    /// its metrics from the leader), and a group counts as ready when its leader and workers are.
    @Test func aLeaderWorkerSetPoolReadsItsLeadersOnly() async throws {
        let roles = Locked<[String: String]>([:])  // pod IP → "leader" or "worker"
        let exporters = try podExporters(16) { host in
            switch roles.withLock({ $0[host] }) {
            case "leader"?: return ServerExposition.vllm([Engine(waiting: 6, kvCache: 0.5)])
            case "worker"?: return ServerExposition.vllm([Engine(waiting: 100, kvCache: 1)])
            default: return ServerExposition.vllm([Engine(waiting: 0, kvCache: 0.1)])
            }
        }
        defer { exporters.forEach { $0.stop() } }
        let f = try await scrapingController()
        try await f.installLeaderWorkerSetCRD()
        try await f.createLeaderWorkerSet("llama", replicas: 2, size: 2)
        try await f.createScrapedPool("llama", model: "meta-llama/Llama-3.1-8B-Instruct",
                                      target: ["apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet", "name": "llama"], min: 2, max: 6,
                                      up: "waiting > 20 || kv_cache > 90%", down: "waiting < 1 && kv_cache < 40%", port: exporters[0].port, preset: "vllm")
        // Two groups of two, Ready: say which address is whose.
        var pods: [JSONValue] = []
        #expect(await f.eventually {
            pods = ((try? await f.client.list(.pods, namespace: "default").items) ?? []).filter { PodView($0).isReady }
            return pods.count == 4
        })
        roles.withLock { roles in
            for pod in pods {
                guard let ip = PodView(pod).podIP else { continue }
                roles[ip] = pod["metadata"]?["labels"]?["leaderworkerset.sigs.k8s.io/worker-index"] == "0" ? "leader" : "worker"
            }
        }
        #expect(await f.eventually { await f.pool("llama")?["status"]?["observed"]?["custom"]?["waiting"] == "12" },
                "two leaders × 6; the workers' 100s are not read")
        #expect(await f.pool("llama")?["status"]?["observed"]?["source"] == "PodScrape 2/2 pods")
        #expect(await f.pool("llama")?["status"]?["readyReplicas"] == 2, "ready groups")
        #expect(await f.object(leaderWorkerSetsResource, "llama")?["spec"]?["replicas"] == 2, "12 is not above 20: no step")
    }

    /// The mismatch: a pool that says `resnet50` on a Triton serving `resnet_50` and
    /// `densenet_onnx`. Mixing both gave a P90 of 936 ms and a scale-up; now the metric is unknown, the
    /// condition and the Event name the models the pods report, and the pool holds. Naming the model
    /// as the server does gives resnet_50's own P90, 333 ms.
    @Test func aModelMismatchIsReportedNotMixed() async throws {
        let start = Date()
        let exporters = try podExporters(4) { _ in
            let t = Date().timeIntervalSince(start) * 10 + 1  // 100 resnet_50 requests a second, 108 densenet_onnx
            return ServerExposition.triton([
                .init(name: "resnet_50", pending: 4, requests: 100 * t, buckets: [76 * t, 100 * t, 100 * t, 100 * t]),
                .init(name: "densenet_onnx", pending: 30, requests: 108 * t, buckets: [0, 0, 100 * t, 108 * t]),
            ])
        }
        defer { exporters.forEach { $0.stop() } }
        let f = try await scrapingController()
        try await f.createDeployment("resnet", replicas: 2)
        try await f.createScrapedPool("resnet", model: "resnet50", target: ["name": "resnet"], min: 2, max: 8,
                                      up: "P90 > 500ms", down: "P90 < 10ms", port: exporters[0].port)
        let reason = "no series with model=\"resnet50\"; the pods report densenet_onnx, resnet_50"
        #expect(await f.eventually(timeout: 20) {
            (await f.condition("resnet", "MetricsAvailable")?["message"]?.stringValue ?? "").contains("P90: \(reason)")
        })
        #expect(await f.condition("resnet", "MetricsAvailable")?["status"] == "False")
        #expect(await f.eventually {
            ((try? await f.client.list(.events, namespace: "default").items) ?? []).contains { $0["reason"] == "MetricsUnavailable" }
        })
        #expect(await f.replicas("resnet") == 2, "held: an unknown P90 never scales")
        #expect(await f.pool("resnet")?["status"]?["observed"]?["p90"] == nil)

        _ = try await f.client.patch(.elasticInferencePools, namespace: "default", name: "resnet",
                                     .merge(["spec": ["metrics": ["model": ["name": "resnet_50"]]]]))
        #expect(await f.eventually(timeout: 20) { await f.pool("resnet")?["status"]?["observed"]?["p90"] == "333.333ms" })
        #expect(await f.eventually { await f.condition("resnet", "MetricsAvailable")?["status"] == "True" })
        #expect(await f.replicas("resnet") == 2, "333 ms is under 500 ms")
    }
}

/// The vLLM preset's PromQL against a real Prometheus scraping vLLM-shaped exporters (the current
/// names, and an older release's), with the pod's labels attached by the scrape config.
@Suite("The vLLM preset through a real Prometheus", .serialized, .runsOnOwnThreads, .enabled(if: PrometheusServer.isInstalled))
struct VLLMPrometheusTests {
    /// 10 requests a second finish; half their TTFT under 0.1 s, 80 % under 0.25 s, all under 0.5 s.
    static func growing(since start: Date, release: String, model: String) -> String {
        let finished = (Date().timeIntervalSince(start) + 1) * 10
        var engine = ServerExposition.VLLMEngine(model: model, waiting: 7, running: 3, kvCache: 0.93, finished: finished)
        engine.ttft = [0.1: finished * 0.5, 0.25: finished * 0.8, 0.5: finished]
        engine.itl = [0.025: finished * 0.7, 0.05: finished]
        engine.e2e = [1.0: finished * 0.5, 2.5: finished * 0.95, 5.0: finished]
        return ServerExposition.vllm([engine, ServerExposition.VLLMEngine(model: "other-model", waiting: 50, kvCache: 0.1)], release: release)
    }

    @Test func thePresetsQueriesReadTheServersOwnFamilies() async throws {
        let start = Date()
        let current = try TestExporter(), legacy = try TestExporter()
        defer { current.stop(); legacy.stop() }
        current.bodyProvider.withLock { $0 = { Self.growing(since: start, release: "0.11", model: "meta-llama/Llama-3.1-8B-Instruct") } }
        legacy.bodyProvider.withLock { $0 = { Self.growing(since: start, release: "0.8", model: "meta-llama/Llama-3.1-8B-Instruct") } }
        let server = try PrometheusServer(targets: [
            "vllm": ("127.0.0.1:\(current.port)", ["namespace": "serving", "pod": "llama-0"]),
            "vllm-old": ("127.0.0.1:\(legacy.port)", ["namespace": "legacy", "pod": "llama-0"]),
        ])
        defer { server.stop() }
        #expect(await server.waitUntilReady())

        func read(_ namespace: String, model: String = "meta-llama/Llama-3.1-8B-Instruct") async throws -> (MetricSample, ElasticInferencePool) {
            var object = poolObject(port: 8000, model: model, source: "Prometheus",
                                    prometheus: ["address": .string(server.url)]).objectValue ?? [:]
            object["metadata"] = ["name": "llama", "namespace": .string(namespace)]
            var spec = object["spec"]?.objectValue ?? [:]
            var metrics = spec["metrics"]?.objectValue ?? [:]
            metrics["preset"] = "vllm"
            spec["metrics"] = .object(metrics)
            object["spec"] = .object(spec)
            let pool = try #require(ElasticInferencePool.check(.object(object)).pool)
            let wanted = try ["waiting", "running", "kv_cache", "ttft", "itl"].map { try #require(pool.spec.metricCatalog.metric(named: $0)) } + [.p90, .qps]
            let source = PrometheusQuerySource(connection: PrometheusConnection(address: server.url), templates: QueryTemplates.triton)
            let target = try #require(DeploymentView(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "llama", "namespace": .string(namespace)]]))
            return (await source.read(MetricsQuery(pool: pool, target: target, metrics: wanted, now: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970))), pool)
        }
        // Rates need two scrapes; Prometheus picks new targets up on a ~5 s tick.
        var sample = MetricSample()
        var pool: ElasticInferencePool?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            (sample, pool) = try await read("serving")
            if sample.readings.count == 7 { break }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        let catalog = try #require(pool?.spec.metricCatalog)
        func value(_ name: String) -> Double? { catalog.metric(named: name).flatMap { sample.readings[$0]?.value } }
        #expect(value("waiting") == 7, "the pool's model only (the other model waits 50): \(sample.unknownReasons)")
        #expect(value("running") == 3)
        #expect(value("kv_cache") == 0.93)
        #expect(near(value("ttft"), 0.375, 1e-6), "histogram_quantile over vllm:time_to_first_token_seconds")
        #expect(near(value("itl"), 0.025 + 0.025 * (0.9 - 0.7) / 0.3, 1e-6))
        #expect(near(value("P90"), 2 + 0.5 * (0.9 - 0.5) / 0.45, 1e-6), "the preset's P90: vllm:e2e_request_latency_seconds")
        #expect((value("qps") ?? 0) > 0, "vllm:request_success_total")

        // The older release's names through the same queries (`or`): vllm:gpu_cache_usage_perc and
        // vllm:time_per_output_token_seconds.
        var old = MetricSample()
        let oldDeadline = Date().addingTimeInterval(30)
        while Date() < oldDeadline {
            (old, _) = try await read("legacy")
            if old.readings.count == 7 { break }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        #expect(catalog.metric(named: "kv_cache").flatMap { old.readings[$0]?.value } == 0.93, "\(old.unknownReasons)")
        #expect(near(catalog.metric(named: "itl").flatMap { old.readings[$0]?.value }, 0.025 + 0.025 * (0.9 - 0.7) / 0.3, 1e-6))

        // A model Prometheus has no series of: no value, and the reason names the models it has.
        let (missing, _) = try await read("serving", model: "meta-llama/Llama-3.1-70B-Instruct")
        let waiting = try #require(catalog.metric(named: "waiting"))
        #expect(missing.readings[waiting] == nil)
        #expect(missing.unknownReasons[waiting]?.hasSuffix(
            "; no series in namespace serving has model_name=\"meta-llama/Llama-3.1-70B-Instruct\"; Prometheus has meta-llama/Llama-3.1-8B-Instruct, other-model") == true,
                "\(missing.unknownReasons)")
    }
}
