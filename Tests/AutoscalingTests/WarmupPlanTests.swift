import JSON
import Testing
@testable import Autoscaling

let annotation = Defaults.ownedInitContainersAnnotation

func deployment(initContainers: [JSONValue] = [], owned: String? = nil, resourceVersion: String? = "100",
                containers: [JSONValue] = [["name": "server", "image": "triton:24"]]) -> DeploymentView {
    var metadata: JSONObject = ["name": "model", "namespace": "ns"]
    if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
    if let owned { metadata["annotations"] = .object(JSONObject([(annotation, .string(owned))])) }
    var podSpec: JSONObject = ["containers": .array(containers)]
    if !initContainers.isEmpty { podSpec["initContainers"] = .array(initContainers) }
    let object: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": .object(metadata),
                             "spec": ["replicas": 2, "template": ["spec": .object(podSpec)]],
                             "status": ["replicas": 2, "readyReplicas": 2]]
    guard let view = DeploymentView(object) else { fatalError("not a Deployment") }
    return view
}

let preload: JSONObject = ["name": "model-preload", "image": "loader:v2.1"]
let usersOwn: JSONValue = ["name": "fetch-config", "image": "busybox:1.36"]

/// What the API server stores for `container`: its defaults filled in.
func asStored(_ container: JSONObject) -> JSONValue {
    var c = container
    c["terminationMessagePath"] = "/dev/termination-log"
    c["terminationMessagePolicy"] = "File"
    c["imagePullPolicy"] = .string(ContainerComparison.defaultPullPolicy(c["image"]?.stringValue ?? ""))
    c["resources"] = [:]
    return .object(c)
}

@Suite("Warmup plan")
struct WarmupPlanTests {
    @Test func appliesOnlyTheOwnedContainersAndAnnotationWithPrecondition() throws {
        let plan = WarmupPlan.plan(WarmupStrategy(initContainers: [preload]), for: deployment(initContainers: [usersOwn]))
        #expect(plan.changes == [.add("model-preload")])
        #expect(plan.desiredInitContainers == [usersOwn, .object(preload)])
        // A server-side apply configuration: the workload's own init container is not named, so it is
        // neither owned nor touched; the merge places the new one after it.
        let expected: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "model", "namespace": "ns", "resourceVersion": "100", "annotations": [annotation: "model-preload"]],
            "spec": ["template": ["spec": ["initContainers": [.object(preload)]]]],
        ]
        #expect(plan.patch == expected)
        #expect(plan.patch?.compactText == #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"model","namespace":"ns","resourceVersion":"100","annotations":{"aiops.example.com/owned-init-containers":"model-preload"}},"spec":{"template":{"spec":{"initContainers":[{"name":"model-preload","image":"loader:v2.1"}]}}}}"#)
    }

    @Test func sameStateAfterTheServerDefaultedItNeedsNoPatch() throws {
        // Level-triggered: once applied (and defaulted by the API server), nothing changes again.
        let applied = deployment(initContainers: [usersOwn, asStored(preload)], owned: "model-preload")
        let plan = WarmupPlan.plan(WarmupStrategy(initContainers: [preload]), for: applied)
        #expect(plan.changes.isEmpty)
        #expect(!plan.changesAnnotation)
        #expect(plan.patch == nil)
    }

    @Test func changedImageUpdatesOnlyThatContainer() throws {
        let applied = deployment(initContainers: [usersOwn, asStored(preload)], owned: "model-preload")
        var newer = preload
        newer["image"] = "loader:v2.2"
        let plan = WarmupPlan.plan(WarmupStrategy(initContainers: [newer]), for: applied)
        #expect(plan.changes == [.update("model-preload")])
        #expect(plan.desiredInitContainers == [usersOwn, .object(newer)])
        #expect(!plan.changesAnnotation)
        // The whole owned state, every time: what an apply leaves out, it gives up.
        #expect(plan.patch?["metadata"]?["annotations"] == [annotation: "model-preload"])
        #expect(plan.patch?["spec"]?["template"]?["spec"]?["initContainers"] == [.object(newer)])
    }

    @Test func removingFromThePoolRemovesFromTheDeploymentAndClearsTheAnnotation() throws {
        let applied = deployment(initContainers: [usersOwn, asStored(preload)], owned: "model-preload")
        let plan = WarmupPlan.plan(WarmupStrategy(), for: applied)
        #expect(plan.changes == [.remove("model-preload")])
        #expect(plan.desiredInitContainers == [usersOwn])
        // An apply that names neither: the API server drops what this manager applied before.
        #expect(plan.patch == ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model", "namespace": "ns", "resourceVersion": "100"]])
    }

    @Test func nameClashWithAContainerTheOperatorDoesNotOwnMeansNoPatch() throws {
        let clash: JSONValue = ["name": "model-preload", "image": "someone-elses:1"]
        let plan = WarmupPlan.plan(WarmupStrategy(initContainers: [preload]), for: deployment(initContainers: [clash]))
        #expect(plan.clashes == ["model-preload"])
        #expect(plan.patch == nil)
        #expect(plan.changes.isEmpty)
    }

    @Test func clashWithAMainContainerToo() throws {
        let plan = WarmupPlan.plan(WarmupStrategy(initContainers: [["name": "server", "image": "x"]]), for: deployment())
        #expect(plan.clashes == ["server"])
    }

    @Test func ownedContainersOutOfTheirOrderAreReordered() throws {
        let second: JSONObject = ["name": "warm-cache", "image": "cache:1"]
        let applied = deployment(initContainers: [usersOwn, asStored(second), asStored(preload)], owned: "model-preload,warm-cache")
        let plan = WarmupPlan.plan(WarmupStrategy(initContainers: [preload, second]), for: applied)
        #expect(plan.changes == [.reorder])
        #expect(plan.patch?["spec"]?["template"]?["spec"]?["initContainers"] == [.object(preload), .object(second)])
    }

    @Test func anOwnedContainerBeforeTheWorkloadsOwnStaysThere() throws {
        // An apply orders only the elements it names: where the workload's own stand is their owner's.
        let applied = deployment(initContainers: [asStored(preload), usersOwn], owned: "model-preload")
        let plan = WarmupPlan.plan(WarmupStrategy(initContainers: [preload]), for: applied)
        #expect(plan.changes.isEmpty)
        #expect(plan.patch == nil)
    }

    @Test func ownedContainerRemovedByHandIsAddedBack() throws {
        let plan = WarmupPlan.plan(WarmupStrategy(initContainers: [preload]), for: deployment(initContainers: [usersOwn], owned: "model-preload"))
        #expect(plan.changes == [.add("model-preload")])
    }

    @Test func staleAnnotationAloneIsFixedWithoutTouchingTheTemplate() throws {
        let plan = WarmupPlan.plan(WarmupStrategy(), for: deployment(initContainers: [usersOwn], owned: "old-loader"))
        #expect(plan.changes.isEmpty)
        #expect(plan.changesAnnotation)
        #expect(plan.patch?["spec"] == nil)
    }

    @Test func nothingToDoWithoutWarmup() throws {
        #expect(WarmupPlan.plan(WarmupStrategy(), for: deployment(initContainers: [usersOwn])).patch == nil)
    }

    @Test func samePlanTwiceIsIdentical() throws {
        let d = deployment(initContainers: [usersOwn])
        #expect(WarmupPlan.plan(WarmupStrategy(initContainers: [preload]), for: d) == WarmupPlan.plan(WarmupStrategy(initContainers: [preload]), for: d))
    }
}

@Suite("Container comparison modulo API-server defaults")
struct ContainerComparisonTests {
    @Test(arguments: [
        ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.25", "IfNotPresent"),
        ("registry:5000/team/app", "Always"), ("registry:5000/team/app:v1", "IfNotPresent"), ("app@sha256:abc", "IfNotPresent"),
    ])
    func defaultPullPolicy(image: String, policy: String) {
        #expect(ContainerComparison.defaultPullPolicy(image) == policy)
    }

    @Test func defaultsAreIgnoredRealDifferencesAreNot() {
        let written: JSONValue = ["name": "a", "image": "x:1", "ports": [["containerPort": 80]],
                                  "env": [["name": "N", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]]]]
        let stored: JSONValue = ["name": "a", "image": "x:1", "imagePullPolicy": "IfNotPresent", "resources": [:],
                                 "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                                 "ports": [["containerPort": 80, "protocol": "TCP"]],
                                 "env": [["name": "N", "valueFrom": ["fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.name"]]]]]
        #expect(ContainerComparison.equivalent(written, stored))
        let pulledAlways: JSONValue = ["name": "a", "image": "x:1", "imagePullPolicy": "Always"]
        #expect(!ContainerComparison.equivalent(["name": "a", "image": "x:1"], pulledAlways))
    }
}

@Suite("Reconcile plan")
struct ReconcilePlanTests {
    func pool(_ warmup: WarmupStrategy = WarmupStrategy(initContainers: [preload])) throws -> (ElasticInferencePool, ScalingPolicy) {
        let policy = try makePolicy()
        let spec = PoolSpec(modelRef: "model", targetName: "model", minReplicas: 2, maxReplicas: 12, scaleUpThreshold: "P90>200ms",
                            scaleDownThreshold: "P90<50ms", warmup: warmup, metrics: nil, behavior: ScalingBehavior(), paused: false)
        return (ElasticInferencePool(name: "pool", namespace: "ns", generation: 3, spec: spec), policy)
    }

    @Test func templateFirstThenScaleThenStatus() throws {
        let (p, policy) = try pool()
        let plan = ReconcilePlan(pool: p, policy: policy, target: deployment(), sample: sample(hot, at: t0), now: t0, state: p.state)
        #expect(plan.writes.map(\.kind) == [.template, .scale, .status])
        let model = ObjectKey(namespace: "ns", name: "model")
        #expect(plan.writes.map(\.object) == [model, model, ObjectKey(namespace: "ns", name: "pool")])
        #expect(plan.changes[1] == .scale(target: model, replicas: 6, basedOn: "100"))
        guard case .patchTemplate(_, let patch, "100", _) = plan.changes[0] else { Issue.record("\(plan.changes[0])"); return }
        #expect(patch["metadata"]?["resourceVersion"] == "100", "the template patch is guarded by the version it was decided from")
        guard case .status(_, let fields, _)? = plan.writes.last else { Issue.record("no status write"); return }
        #expect(fields["observedGeneration"] == 3)
        #expect(fields["desiredReplicas"] == 6)
        #expect(fields["conditions"]?.arrayValue?.first?["type"] == "Ready")
    }

    @Test func anotherAutoscalerLeavesOnlyTheStatusWrite() throws {
        let (p, policy) = try pool()
        let plan = ReconcilePlan(pool: p, policy: policy, target: deployment(), sample: sample(hot, at: t0), now: t0, state: p.state,
                                 context: PlanContext(otherAutoscalers: ["HorizontalPodAutoscaler/h"]))
        #expect(plan.writes.map(\.kind) == [.status])
        #expect(plan.decision.reason.kind == .otherAutoscaler)
    }

    @Test func steadyStateWritesNoDeploymentChange() throws {
        let (p, policy) = try pool()
        let applied = deployment(initContainers: [asStored(preload)], owned: "model-preload")
        let plan = ReconcilePlan(pool: p, policy: policy, target: applied, sample: sample(steady, at: t0), now: t0, state: p.state)
        #expect(plan.writes.map(\.kind) == [.status])
    }

    @Test func aStatusThatAlreadySaysItAllIsNotWrittenAgain() throws {
        let (p, policy) = try pool()
        let applied = deployment(initContainers: [asStored(preload)], owned: "model-preload")
        let first = ReconcilePlan(pool: p, policy: policy, target: applied, sample: sample(steady, at: t0), now: t0, state: p.state)
        guard case .status(_, let fields, _)? = first.statusWrite() else { Issue.record("a new pool's status is written"); return }
        // The pool as the API server keeps it after that write; planned again a poll later, with
        // the same values sampled anew, nothing is left to write.
        var written = p
        written.status = JSONValue.object(p.status).applyingMergePatch(.object(fields)).objectValue ?? [:]
        let again = ReconcilePlan(pool: written, policy: policy, target: applied, sample: sample(steady, at: t0 + 5), now: t0 + 5, state: first.state)
        #expect(again.statusWrite() == nil)
        #expect(again.writes.isEmpty)
        // The same basis a poll later: the same (empty) status write, known without working it out.
        let later = ReconcilePlan(pool: written, policy: policy, target: applied, sample: sample(steady, at: t0 + 10), now: t0 + 10, state: again.state)
        #expect(later.statusBasis() == again.statusBasis())
        #expect(later.statusWrite() == nil)
        // Other values, another basis (and here another status).
        let hotter = ReconcilePlan(pool: written, policy: policy, target: applied, sample: sample(hot, at: t0 + 10), now: t0 + 10, state: again.state)
        #expect(hotter.statusBasis() != again.statusBasis())
        #expect(hotter.statusWrite() != nil)
        // A failed write turns Ready false: that is a change.
        guard case .status(_, let failed, _)? = again.statusWrite(writeError: "Conflict (409)") else { Issue.record("a write failure is reported"); return }
        #expect(failed["conditions"]?.arrayValue?.first?["reason"] == "WriteFailed")
    }

    @Test func hpaDiscovery() {
        let hpa: JSONValue = ["kind": "HorizontalPodAutoscaler", "metadata": ["name": "h", "namespace": "ns"],
                              "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "model"]]]
        let elsewhere: JSONValue = ["kind": "HorizontalPodAutoscaler", "metadata": ["name": "h2", "namespace": "other"],
                                    "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "model"]]]
        #expect(OtherAutoscalers.targeting(ObjectKey(namespace: "ns", name: "model"), in: [hpa, elsewhere]) == ["HorizontalPodAutoscaler/h"])
    }
}
