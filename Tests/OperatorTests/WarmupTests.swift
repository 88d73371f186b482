import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Locking
import Testing
@testable import Operator
import TestDoubles

extension ControllerFixture {
    /// Template writes that went through: PATCHes of the Deployment itself (not `/scale`), answered 200.
    func templateWrites(_ deployment: String = "model") -> Int {
        emulator.requests.filter { $0.method == "PATCH" && $0.path == "/apis/apps/v1/namespaces/default/deployments/\(deployment)" && $0.status == 200 }.count
    }

    func deployment(_ name: String = "model") async -> JSONValue? { try? await client.get(.deployments, namespace: "default", name: name) }

    func initContainers(_ name: String = "model") async -> [JSONValue] {
        await deployment(name)?["spec"]?["template"]?["spec"]?["initContainers"]?.arrayValue ?? []
    }

    func daemonSet(_ name: String = "pool-prepull") async -> JSONValue? { try? await client.get(.daemonSets, namespace: "default", name: name) }

    func setWarmup(_ warmup: JSONValue, pool: String = "pool") async throws {
        _ = try await client.patch(.elasticInferencePools, namespace: "default", name: pool, .merge(["spec": ["warmupStrategy": warmup]]))
    }

    /// Deployment `model`, and pool `pool` on it with an init container and a pre-pulled image; true
    /// once the init container is injected and the pre-pull DaemonSet exists.
    func createWarmedUpPool() async throws -> Bool {
        try await createDeployment("model", replicas: 2)
        try await createPool("pool", target: "model", initContainers: [preloader])
        try await setWarmup(["initContainers": [preloader], "preloadedImages": ["loader:2"]])
        return await eventually {
            let containers = await initContainers()
            return await daemonSet() != nil && !containers.isEmpty
        }
    }

    /// A Deployment with the placement a GPU server has.
    func createGPUDeployment(_ name: String = "model", replicas: Int = 2) async throws {
        _ = try await client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
            "spec": ["replicas": .integer(replicas), "selector": ["matchLabels": ["app": .string(name)]],
                     "template": ["metadata": ["labels": ["app": .string(name)]], "spec": [
                         "nodeSelector": ["gpu": "h100"],
                         "tolerations": [["key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"]],
                         "imagePullSecrets": [["name": "ngc"]],
                         "containers": [["name": "server", "image": "triton:24.01"]]]]],
        ])
    }
}

let preloader: JSONValue = ["name": "model-preload", "image": "loader:2"]

@Suite("Warmup end to end against the emulator", .serialized)
struct WarmupTests {
    @Test func initContainersInOneWriteAnImageChangeInOneMoreAndNoneForTheSameState() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("pool", target: "model", initContainers: [preloader])
        #expect(await f.eventually { await f.initContainers().first?["image"] == "loader:2" })
        #expect(await f.eventually { await f.condition("pool", "WarmupReady")?["status"] == "True" })
        #expect(f.templateWrites() == 1, "\(f.emulator.requests.filter { $0.method == "PATCH" }.map(\.path))")

        try await f.setWarmup(["initContainers": [["name": "model-preload", "image": "loader:3"]]])
        #expect(await f.eventually { await f.initContainers().first?["image"] == "loader:3" })
        #expect(await f.eventually { await f.condition("pool", "WarmupReady")?["status"] == "True" })
        #expect(f.templateWrites() == 2)

        // The same state, reconciled a hundred times: no template write.
        for _ in 0..<100 { _ = await f.controller.reconciler.reconcile(ObjectKey(namespace: "default", name: "pool")) }
        #expect(f.templateWrites() == 2)

        // Removing it from the pool removes it from the Deployment (one write), and the annotation with it.
        try await f.setWarmup(["initContainers": []])
        #expect(await f.eventually { await f.initContainers().isEmpty })
        #expect(await f.eventually { f.templateWrites() == 3 })
        #expect(await f.deployment()?["metadata"]?["annotations"]?[Defaults.ownedInitContainersAnnotation] == nil)
    }

    @Test func anotherClientsConcurrentLabelEditSurvives() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("pool", target: "model", initContainers: [preloader])
        #expect(await f.eventually { await f.initContainers().count == 1 })
        // Someone labels the Deployment while the pool's init container changes: the operator's
        // apply names only its own fields, so the label survives whichever write lands first (a
        // stale apply is refused on its resourceVersion and redone from the new one).
        // The operator's write (only its: the fault names its User-Agent) is held 0.3 s, so the edit lands in between.
        f.emulator.inject(Fault(verb: "patch", pathPrefix: "/apis/apps/v1/namespaces/default/deployments/model", delaySeconds: 0.3, count: 1,
                                userAgent: ControllerFixture.operatorUserAgent))
        async let edit: Void = {
            try? await Task.sleep(nanoseconds: 100_000_000)
            _ = try? await f.client.patch(.deployments, namespace: "default", name: "model", .merge(["metadata": ["labels": ["team": "search"]]]))
        }()
        try await f.setWarmup(["initContainers": [["name": "model-preload", "image": "loader:9"]]])
        await edit
        #expect(await f.eventually { await f.initContainers().first?["image"] == "loader:9" })
        #expect(await f.deployment()?["metadata"]?["labels"]?["team"] == "search")
    }

    @Test func aNameClashIsAConditionAndAnEventAndNoWrite() async throws {
        let f = try await ControllerFixture()
        _ = try await f.client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"],
            "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "model"]],
                     "template": ["metadata": ["labels": ["app": "model"]], "spec": [
                         "initContainers": [["name": "model-preload", "image": "theirs:1"]],
                         "containers": [["name": "server", "image": "triton:24.01"]]]]],
        ])
        try await f.createPool("pool", target: "model", initContainers: [preloader])
        #expect(await f.eventually { await f.condition("pool", "WarmupReady")?["reason"] == "Conflict" })
        #expect(await f.eventually { await f.eventReasons().contains("WarmupConflict") })
        #expect(f.templateWrites() == 0)
        #expect(await f.initContainers().first?["image"] == "theirs:1")
    }

    @Test func thePrePullDaemonSetFollowsTheImagesAndPlacementAndWarmupReadyFollowsItsRollout() async throws {
        let f = try await ControllerFixture()
        try await f.createGPUDeployment()
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { await f.condition("pool", "WarmupReady")?["status"] == "True" })
        #expect(await f.daemonSet() == nil)

        try await f.setWarmup(["preloadedImages": ["nvcr.io/triton:24.01", "loader:2"]])
        #expect(await f.eventually { await f.daemonSet() != nil })
        let ds = try #require(await f.daemonSet())
        let spec = ds["spec"]?["template"]?["spec"]
        #expect(spec?["nodeSelector"] == ["gpu": "h100"])
        #expect(spec?["tolerations"]?.arrayValue?.first?["key"] == "nvidia.com/gpu")
        #expect(spec?["imagePullSecrets"] == [["name": "ngc"]])
        #expect(spec?["initContainers"]?.arrayValue?.map { $0["image"]?.stringValue ?? "" } == ["nvcr.io/triton:24.01", "loader:2"])
        #expect(spec?["containers"]?.arrayValue?.first?["image"] == .string(Defaults.pauseImage))
        #expect(ds["metadata"]?["ownerReferences"]?.arrayValue?.first?["name"] == "pool")
        // Rolling out (the fake kubelet readies its pods after 0.1 s), then ready. Wait for the reason
        // too: until the reconcile that made the DaemonSet writes status, the condition is still the
        // earlier True (TemplateCurrent).
        #expect(await f.eventually { await f.condition("pool", "WarmupReady")?["reason"] == "WarmupReady" })
        #expect(await f.condition("pool", "WarmupReady")?["status"] == "True")
        let reasons = await f.eventReasons()
        #expect(reasons.contains("PrePullCreated"))

        // A new image: the DaemonSet is replaced once, and WarmupReady waits for the new rollout.
        let generation = ds["metadata"]?["generation"]?.intValue ?? 0
        try await f.setWarmup(["preloadedImages": ["nvcr.io/triton:24.02"]])
        #expect(await f.eventually {
            await f.daemonSet()?["spec"]?["template"]?["spec"]?["initContainers"]?.arrayValue?.first?["image"] == "nvcr.io/triton:24.02"
        })
        #expect(await f.daemonSet()?["metadata"]?["generation"]?.intValue == generation + 1)
        #expect(await f.eventually { await f.condition("pool", "WarmupReady")?["status"] == "True" })
        #expect(await f.eventually { await f.eventReasons().contains("PrePullUpdated") })
        let replaces = f.emulator.requests.filter { $0.method == "PUT" && $0.path.hasSuffix("/daemonsets/pool-prepull") && $0.status == 200 }
        #expect(replaces.count == 1)

        // The target moves to other nodes: the pre-pull follows.
        _ = try await f.client.patch(.deployments, namespace: "default", name: "model",
                                     .merge(["spec": ["template": ["spec": ["nodeSelector": ["gpu": "b200"]]]]]))
        #expect(await f.eventually { await f.daemonSet()?["spec"]?["template"]?["spec"]?["nodeSelector"] == ["gpu": "b200"] })

        // No images: the DaemonSet goes.
        try await f.setWarmup(["preloadedImages": []])
        #expect(await f.eventually { await f.daemonSet() == nil })
        #expect(await f.eventually { await f.eventReasons().contains("PrePullDeleted") })
    }

    @Test func warmupReadyIsFalseWhileThePrePullPodsStartThenTrue() async throws {
        let f = try await ControllerFixture()
        try await f.createGPUDeployment()
        f.emulator.setPodStartDelay(30)
        try await f.createPool("pool", target: "model")
        try await f.setWarmup(["preloadedImages": ["big:1"]])
        #expect(await f.eventually { await f.condition("pool", "WarmupReady")?["reason"] == "PrePulling" })
        // Before the DaemonSet reports its rollout the message says so; then it counts the nodes.
        let counted = await f.eventually { await f.condition("pool", "WarmupReady")?["message"] == "DaemonSet pool-prepull: 0/1 nodes ready, 1 updated" }
        let message = await f.condition("pool", "WarmupReady")?["message"]?.stringValue ?? ""
        #expect(counted, "\(message)")
        #expect(await f.condition("pool", "WarmupReady")?["reason"] == "PrePulling")

        // Pulls that finish quickly: a new image rolls the DaemonSet, and WarmupReady turns True.
        f.emulator.setPodStartDelay(0.1)
        try await f.setWarmup(["preloadedImages": ["big:2"]])
        #expect(await f.eventually { await f.condition("pool", "WarmupReady")?["status"] == "True" })
        #expect(await f.condition("pool", "WarmupReady")?["reason"] == "WarmupReady")
    }

    @Test func deletingThePoolRemovesTheInitContainersReleasesItAndCollectsTheDaemonSet() async throws {
        let f = try await ControllerFixture()
        #expect(try await f.createWarmedUpPool())
        #expect(await f.pool("pool")?["metadata"]?["finalizers"] == [.string(Defaults.warmupFinalizer)])

        try await f.client.delete(.elasticInferencePools, namespace: "default", name: "pool")
        #expect(await f.eventually { await f.pool("pool") == nil }, "the finalizer is released")
        #expect(await f.initContainers().isEmpty)
        #expect(await f.deployment()?["metadata"]?["annotations"]?[Defaults.ownedInitContainersAnnotation] == nil)
        #expect(await f.eventually { await f.daemonSet() == nil }, "garbage-collected through its owner reference")
        #expect(await f.deployment() != nil, "the Deployment itself stays")
    }

    /// `kubectl delete -f CRDs/` with pools still in place: the CRD waits (its cleanup finalizer,
    /// then the pools' own), so the warmup finalizer removes the init containers and the pre-pull
    /// DaemonSet goes with its owner, before the CRD itself goes.
    @Test func deletingTheCRDLetsTheWarmupCleanupRunFirst() async throws {
        let f = try await ControllerFixture()
        #expect(try await f.createWarmedUpPool())
        let crd = "elasticinferencepools.aiops.example.com"
        _ = try await f.client.delete(.customResourceDefinitions, namespace: nil, name: crd)
        #expect(await f.eventually { await f.initContainers().isEmpty })
        #expect(await f.eventually { await f.daemonSet() == nil }, "garbage-collected with its pool")
        #expect(await f.eventually { (try? await f.client.get(.customResourceDefinitions, namespace: nil, name: crd)) == nil }, "then the CRD goes")
        #expect(await f.deployment()?["metadata"]?["annotations"]?[Defaults.ownedInitContainersAnnotation] == nil)
        #expect(await f.deployment() != nil, "the Deployment itself stays")
    }

    @Test func aCleanupThatKeepsFailingIsAbandonedWithAnEventAndThePoolGoes() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("pool", target: "model", initContainers: [preloader])
        #expect(await f.eventually { await f.initContainers().count == 1 })
        // Every write to the Deployment is forbidden from now on.
        f.emulator.inject(Fault(verb: "patch", pathPrefix: "/apis/apps/v1/namespaces/default/deployments/model", status: 403, count: 1000))
        try await f.client.delete(.elasticInferencePools, namespace: "default", name: "pool")
        #expect(await f.eventually(timeout: 60, upTo: .seconds(60)) { await f.pool("pool") == nil }, "a finalizer never holds a deletion forever")
        let events = await f.events()
        let failed = events.first { $0["reason"] == "CleanupFailed" }
        #expect(failed?["message"]?.stringValue?.hasPrefix("could not remove init containers model-preload from Deployment model after \(Defaults.cleanupAttempts) attempts") == true,
                "\(events.map { $0["reason"]?.stringValue ?? "" })")
        #expect(await f.initContainers().count == 1, "left behind, and the Event says so")
        #expect(f.emulator.requests.filter { $0.status == 403 }.count == Defaults.cleanupAttempts, "retried with backoff, then let go")
    }

    @Test func aMissingDeploymentDoesNotHoldTheDeletion() async throws {
        let f = try await ControllerFixture()
        try await f.createPool("pool", target: "nowhere")
        #expect(await f.eventually { await f.pool("pool")?["metadata"]?["finalizers"] != nil })
        try await f.client.delete(.elasticInferencePools, namespace: "default", name: "pool")
        #expect(await f.eventually { await f.pool("pool") == nil })
    }

    @Test func aScaleUpWhileReplicasWarmDoesNotStackASecondStep() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { (await f.deployment())?["status"]?["readyReplicas"] == 2 })
        #expect(await f.eventually { f.cachedReadyReplicas("model") == 2 }, "as the controller sees it: steps are taken from ready replicas")
        f.emulator.setPodStartDelay(30)  // a GPU cold start: the new replicas stay warming
        f.metrics.set([.p90: 0.5, .gpuUtil: 0.5])
        #expect(await f.eventually { await f.replicas("model") == 6 })
        // The rule keeps firing and the step period (1 s) passes three times over: still 6, since
        // steps are taken from the 2 ready replicas, not from the 6 asked for.
        let reconciled = f.reconciles
        for _ in 0..<14 {
            await f.advance(by: .milliseconds(250))
            #expect(await f.replicas("model") == 6)
        }
        #expect(f.reconciles - reconciled >= 3, "it decided again each poll")
        let status = await f.pool("pool")?["status"]
        #expect(status?["warmingReplicas"] == 4)
        #expect(status?["readyReplicas"] == 2)
    }
}
