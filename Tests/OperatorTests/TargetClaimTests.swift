import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Testing
@testable import Operator

/// One workload, one scaler, against the emulator on the controller's manual clock: a second pool on
/// a Deployment, a KEDA ScaledObject and an HPA each hold a pool with `Ready=False`
/// (`TargetClaimed`), an Event, and no writes; the older pool keeps control, and the replicas never
/// go back and forth between the two pools' wishes.
@Suite("Target claims: two pools, KEDA, HPAs", .serialized)
struct TargetClaimTests {
    func scaleWrites(_ f: ControllerFixture, _ deployment: String) -> Int {
        f.operatorRequests.filter { $0.verb == "patch" && $0.path.hasSuffix("/deployments/\(deployment)/scale") }.count
    }

    @Test func theOlderPoolKeepsControlAndTheReplicasNeverFlap() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 1)
        // The first pool wants 3, the second 7: were both to write, replicas would go 3 → 7 → 3 each poll.
        try await f.createPool("a-first", target: "model", min: 3, max: 3)
        #expect(await f.eventually { await f.replicas("model") == 3 })
        #expect(await f.eventually { await f.condition("a-first", "Ready")?["status"] == "True" })
        try await f.createPool("b-second", target: "model", min: 7, max: 7)
        #expect(await f.eventually { await f.condition("b-second", "Ready")?["reason"] == "TargetClaimed" })
        let writesBefore = scaleWrites(f, "model")
        var seen: Set<Int> = []
        for _ in 0..<10 {  // ten poll intervals of both pools
            await f.advance(by: .seconds(1))
            if let replicas = await f.replicas("model") { seen.insert(replicas) }
        }
        #expect(seen == [3], "replicas only ever 3: \(seen)")
        #expect(scaleWrites(f, "model") == writesBefore, "no scale writes once the first pool holds the target")
        let ready = await f.condition("b-second", "Ready")
        #expect(ready?["status"] == "False")
        #expect(ready?["message"]?.stringValue?.hasPrefix("ElasticInferencePool/a-first also targets Deployment model") == true, "\(ready ?? .null)")
        #expect(await f.condition("b-second", "ScalingActive")?["reason"] == "OtherAutoscaler")
        #expect(await f.condition("a-first", "Ready")?["status"] == "True", "the holder stays ready")
        #expect(await f.pool("b-second")?["status"]?["target"] == "Deployment/model")
        #expect(await f.eventually {
            ((try? await f.client.list(.events, namespace: "default").items) ?? [])
                .contains { $0["reason"] == "TargetClaimed" && $0["involvedObject"]?["name"] == "b-second" }
        })
        // No warmup either: the second pool's init containers never reach the Deployment.
        let deployment = try await f.client.get(.deployments, namespace: "default", name: "model")
        #expect(deployment["metadata"]?["annotations"]?["aiops.example.com/owned-init-containers"] == nil)

        // The holder goes: the second takes over at once (the deletion enqueues it) and brings its 7.
        _ = try await f.client.delete(.elasticInferencePools, namespace: "default", name: "a-first")
        #expect(await f.eventually { await f.replicas("model") == 7 })
        #expect(await f.eventually { await f.condition("b-second", "Ready")?["status"] == "True" })
    }

    @Test func aKEDAScaledObjectHoldsThePoolWhereKEDAIsInstalled() async throws {
        let f = try await ControllerFixture(installKEDA: true)
        try await f.createDeployment("model", replicas: 1)
        _ = try await f.client.create(.scaledObjects, namespace: "default", [
            "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": ["name": "queue"],
            "spec": ["scaleTargetRef": ["name": "model"], "triggers": [["type": "prometheus"]]],
        ])
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { await f.condition("pool", "Ready")?["reason"] == "TargetClaimed" })
        #expect(await f.condition("pool", "Ready")?["message"]?.stringValue?.hasPrefix("ScaledObject/queue also targets Deployment model") == true)
        await f.advance(by: .seconds(3))
        #expect(await f.replicas("model") == 1, "not even brought to minReplicas")
        #expect(scaleWrites(f, "model") == 0)
        #expect(await f.eventReasons().contains("OtherAutoscaler"))
        // KEDA's object goes: the ScaledObject informer enqueues the pool, which takes over.
        _ = try await f.client.delete(.scaledObjects, namespace: "default", name: "queue")
        #expect(await f.eventually { await f.replicas("model") == 2 })
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
    }

    @Test func withoutKEDATheControllerSyncsAndAnHPAStillHoldsThePool() async throws {
        // The fixture's emulator serves no scaledobjects.keda.sh: the controller has synced anyway.
        let f = try await ControllerFixture()
        #expect(f.controller.scaledObjects.hasSynced && f.controller.scaledObjects.list().isEmpty)
        try await f.createDeployment("model", replicas: 1)
        _ = try await f.client.create(.horizontalPodAutoscalers, namespace: "default", [
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "cpu"],
            "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "model"], "maxReplicas": 3],
        ])
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { await f.condition("pool", "Ready")?["reason"] == "TargetClaimed" })
        #expect(await f.condition("pool", "Ready")?["message"]?.stringValue?.hasPrefix("HorizontalPodAutoscaler/cpu also targets Deployment model") == true)
    }

    /// A pool that never held its target leaves the Deployment alone when it is deleted: the init
    /// containers there are the holder's.
    @Test func deletingTheHeldPoolLeavesTheHoldersWarmup() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("a-first", target: "model", initContainers: [["name": "loader", "image": "loader:1"]])
        #expect(await f.eventually { await f.condition("a-first", "WarmupReady")?["status"] == "True" })
        try await f.createPool("b-second", target: "model", initContainers: [["name": "other", "image": "other:1"]])
        #expect(await f.eventually { await f.pool("b-second")?["metadata"]?["finalizers"] != nil })
        #expect(await f.eventually { await f.condition("b-second", "Ready")?["reason"] == "TargetClaimed" })
        _ = try await f.client.delete(.elasticInferencePools, namespace: "default", name: "b-second")
        #expect(await f.eventually { await f.pool("b-second") == nil })
        let deployment = try await f.client.get(.deployments, namespace: "default", name: "model")
        #expect(deployment["spec"]?["template"]?["spec"]?["initContainers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["loader"])
        #expect(deployment["metadata"]?["annotations"]?["aiops.example.com/owned-init-containers"] == "loader")
    }
}
