import JSON
import Testing
@testable import Autoscaling

@Suite("Pre-pull DaemonSet plan")
struct PrePullPlanTests {
    func pool(images: [String], command: [String] = Defaults.prePullCommand) -> ElasticInferencePool {
        let spec = PoolSpec(modelRef: "model", targetName: "model", minReplicas: 1, maxReplicas: 4, scaleUpThreshold: "P90>200ms",
                            scaleDownThreshold: "P90<50ms", warmup: WarmupStrategy(preloadedImages: images, prePullCommand: command),
                            metrics: nil, behavior: ScalingBehavior(), paused: false)
        return ElasticInferencePool(name: "pool", namespace: "ns", uid: "uid-1", generation: 1, resourceVersion: nil, spec: spec, state: ScalingState())
    }

    /// A GPU Deployment: node selector, node affinity, a pod anti-affinity against its own replicas,
    /// a GPU taint toleration, a pull secret and a GPU limit.
    let gpuTarget: DeploymentView = {
        let object: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model", "namespace": "ns"],
                                 "spec": ["template": ["spec": [
                                     "nodeSelector": ["nvidia.com/gpu.product": "H100"],
                                     "affinity": ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": [
                                         ["matchExpressions": [["key": "zone", "operator": "In", "values": ["a"]]]]]]],
                                                  "podAntiAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": [
                                                      ["labelSelector": ["matchLabels": ["app": "model"]], "topologyKey": "kubernetes.io/hostname"]]]],
                                     "tolerations": [["key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"]],
                                     "imagePullSecrets": [["name": "ngc"]],
                                     "containers": [["name": "triton", "image": "triton", "resources": ["limits": ["nvidia.com/gpu": 1]]]],
                                 ]]]]
        guard let view = DeploymentView(object) else { fatalError("not a Deployment") }
        return view
    }()

    @Test func createsOneInitContainerPerImageThenPauseWhereTheTargetRuns() throws {
        let plan = PrePullPlan.plan(pool: pool(images: ["nvcr.io/triton:24.01", "loader:2"]), target: gpuTarget, current: nil, pauseImage: "pause:3.9")
        guard case .create(let ds)? = plan.change else { Issue.record("expected a create, got \(String(describing: plan.change))"); return }
        #expect(ds["metadata"]?["name"] == "pool-prepull")
        #expect(ds["metadata"]?["ownerReferences"]?.arrayValue?.first?["uid"] == "uid-1")
        #expect(ds["metadata"]?["ownerReferences"]?.arrayValue?.first?["kind"] == "ElasticInferencePool")
        #expect(ds["metadata"]?["ownerReferences"]?.arrayValue?.first?["controller"] == true)
        let spec = try #require(ds["spec"]?["template"]?["spec"])
        #expect(spec["initContainers"]?.arrayValue?.map { $0["image"]?.stringValue ?? "" } == ["nvcr.io/triton:24.01", "loader:2"])
        #expect(spec["initContainers"]?.arrayValue?.first?["command"] == ["sh", "-c", "true"])
        #expect(spec["containers"]?.arrayValue?.first?["image"] == "pause:3.9")
        #expect(spec["containers"]?.arrayValue?.first?["resources"]?["requests"] == ["cpu": "1m", "memory": "8Mi"])
        #expect(spec["nodeSelector"] == ["nvidia.com/gpu.product": "H100"])
        #expect(spec["tolerations"]?.arrayValue?.first?["key"] == "nvidia.com/gpu")
        #expect(spec["imagePullSecrets"] == [["name": "ngc"]])
        #expect(spec["affinity"]?["nodeAffinity"] != nil)
        #expect(spec["affinity"]?["podAntiAffinity"] == nil, "it names the serving pods and would keep pre-pulls off their nodes")
        #expect(!spec.compactText.contains("nvidia.com/gpu\":1"), "a pre-pull pod takes no GPU")
        #expect(ds["spec"]?["selector"]?["matchLabels"] == ds["spec"]?["template"]?["metadata"]?["labels"])
    }

    @Test func theSameSpecIsLeftAloneAndAChangeReplacesWithTheResourceVersion() throws {
        let first = PrePullPlan.plan(pool: pool(images: ["a:1"]), target: gpuTarget, current: nil, pauseImage: "pause:3.9")
        guard case .create(var stored)? = first.change else { Issue.record("expected a create"); return }
        // What the API server keeps: defaults added, a resourceVersion, a status.
        stored = stored.applyingMergePatch(["metadata": ["resourceVersion": "7", "generation": 1],
                                            "spec": ["revisionHistoryLimit": 10, "template": ["spec": ["dnsPolicy": "ClusterFirst"]]],
                                            "status": ["observedGeneration": 1, "desiredNumberScheduled": 3, "numberReady": 2, "updatedNumberScheduled": 3]])
        let same = PrePullPlan.plan(pool: pool(images: ["a:1"]), target: gpuTarget, current: stored, pauseImage: "pause:3.9")
        #expect(same.change == nil)
        #expect(same.rollout == DaemonSetView.Rollout(desired: 3, ready: 2, updated: 3))
        #expect(same.rollout?.isComplete == false)

        let changed = PrePullPlan.plan(pool: pool(images: ["a:2"]), target: gpuTarget, current: stored, pauseImage: "pause:3.9")
        guard case .replace(let replacement)? = changed.change else { Issue.record("expected a replace, got \(String(describing: changed.change))"); return }
        #expect(replacement["metadata"]?["resourceVersion"] == "7")
        #expect(replacement["spec"]?["template"]?["spec"]?["initContainers"]?.arrayValue?.first?["image"] == "a:2")
        // So does a new pre-pull command (images without a shell need one).
        let command = PrePullPlan.plan(pool: pool(images: ["a:1"], command: ["/pull-done"]), target: gpuTarget, current: stored, pauseImage: "pause:3.9")
        if case .replace? = command.change {} else { Issue.record("a new pre-pull command must replace the DaemonSet") }
    }

    @Test func noImagesMeansNoDaemonSetAndAnOldOneIsDeleted() {
        #expect(PrePullPlan.plan(pool: pool(images: []), target: gpuTarget, current: nil, pauseImage: "p").change == nil)
        let old: JSONValue = ["metadata": ["name": "pool-prepull"]]
        #expect(PrePullPlan.plan(pool: pool(images: []), target: gpuTarget, current: old, pauseImage: "p").change == .delete)
    }

    @Test func aRolloutCountsOnlyOnceTheControllerHasSeenTheSpec() {
        let behind: JSONValue = ["metadata": ["generation": 2], "status": ["observedGeneration": 1, "desiredNumberScheduled": 1, "numberReady": 1, "updatedNumberScheduled": 1]]
        #expect(DaemonSetView(behind).rollout == nil)
    }
}
