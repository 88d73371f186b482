import Autoscaling
import JSON
import Kube
import Testing

/// Issue 13 §4, in the operator against the emulator: fallback is a floor, failures are counted per
/// poll, an idle pool gives its GPUs back, and freshness is judged by when the operator read a value.
@Suite("Missing data, in the operator", .serialized)
struct MissingDataControllerTests {
    @Test func aBusyPoolStaysAtItsReplicasWhenTheSourceFailsPastTheFallbackThreshold() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 10)
        try await f.createPool("pool", target: "model", max: 16,
                               behavior: ["pollInterval": "1s", "fallback": ["failureThreshold": 3, "replicas": 4]])
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
        f.metrics.fail("connection refused")
        #expect(await f.eventually { await f.pool("pool")?["status"]?["lastDecision"]?["reason"] == "Fallback" })
        let scales = f.operatorRequests.filter { $0.path.hasSuffix("/deployments/model/scale") }
        #expect(scales.isEmpty, "fallback.replicas 4 is a floor, never a cut: no scale write")
        #expect(await f.replicas("model") == 10)
        let message = await f.pool("pool")?["status"]?["lastDecision"]?["message"]?.stringValue ?? ""
        #expect(message.contains("fallback.replicas 4 is a floor, never a cut: holding at 10"), "\(message)")
    }

    @Test func extraReconcilesDoNotBringFallbackSooner() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("pool", target: "model",
                               behavior: ["pollInterval": "5s", "fallback": ["failureThreshold": 3, "replicas": 6]])
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
        await f.advance(by: .seconds(1))
        f.metrics.fail("connection refused")
        // A rollout's worth of Deployment updates: each enqueues the pool, a reconcile each, within 8 s.
        for i in 0..<16 {
            _ = try await f.client.patch(.deployments, namespace: "default", name: "model", .merge(["metadata": ["labels": ["rev": .string("r\(i)")]]]))
            await f.advance(by: .milliseconds(500))
        }
        #expect(await f.replicas("model") == 2, "3 failed polls of 5 s take 10 s, not 3 reconciles")
        #expect(await f.pool("pool")?["status"]?["lastDecision"]?["reason"] == "MetricsUnknown")
        // Past 10 s of failure: fallback.
        await f.advance(by: .seconds(6))
        #expect(await f.eventually { await f.replicas("model") == 6 })
    }

    @Test func anIdlePoolGivesItsGPUsBackAfterTheWindow() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 6)
        // The sample's rules: down only when latency and GPUs are calm; here nothing is served at all.
        try await f.createPool("pool", target: "model", up: "P90 > 150ms || gpu.util >= 55%", down: "P90 < 40ms && gpu.util < 30%", min: 1, max: 16,
                               behavior: ["pollInterval": "1s", "scaleDown": ["stabilizationWindowSeconds": 10, "periodSeconds": 1],
                                          "fallback": ["failureThreshold": 2, "replicas": 6]])
        f.metrics.set([.qps: 0, .gpuUtil: 0.02])
        #expect(await f.eventually { await f.condition("pool", "MetricsAvailable")?["reason"] == "Idle" })
        #expect(await f.condition("pool", "MetricsAvailable")?["status"] == "True", "idle is not a failure")
        #expect(await f.eventually(upTo: .seconds(30)) { (await f.replicas("model") ?? 6) < 6 }, "the idle pool scales down after its window")
        let status = await f.pool("pool")?["status"]
        #expect(status?["consecutiveMetricFailures"] == 0)
        #expect(status?["lastDecision"]?["message"]?.stringValue?.contains("idle") == true)
    }

    @Test func aSourceWhoseClockIsBehindIsStillFreshAndTheSkewIsSaid() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
        #expect(await f.eventually { f.cachedReadyReplicas("model") == 2 })
        // A Prometheus 15 s behind the operator, with an overloaded pool: every value's own time is past 2 polls.
        f.metrics.setClockBehind(15)
        f.metrics.set([.p90: 0.5, .gpuUtil: 0.5])
        #expect(await f.eventually(upTo: .seconds(60)) { (await f.replicas("model") ?? 2) > 2 }, "an overloaded pool is not held by a skewed clock")
        let available = await f.condition("pool", "MetricsAvailable")
        #expect(available?["status"] == "True")
        #expect(available?["message"]?.stringValue?.contains("the source's clock is 15s behind the operator's") == true, "\(available ?? .null)")
    }
}
