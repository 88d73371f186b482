import JSON
import KubeObjects
import Testing
@testable import Autoscaling

/// The admission webhook's verdict (`PoolAdmission`) and who holds a Deployment (`TargetClaims`).
@Suite("Pool admission and target claims")
struct PoolAdmissionTests {
    func pool(_ name: String, target: String? = nil, model: String = "model", created: String? = nil, up: String = "P90>200ms",
              min: Int = 2, max: Int = 8, labels: JSONValue? = nil, deleting: Bool = false) -> JSONValue {
        var metadata: JSONObject = ["name": .string(name), "namespace": "default"]
        if let created { metadata["creationTimestamp"] = .string(created) }
        if let labels { metadata["labels"] = labels }
        if deleting { metadata["deletionTimestamp"] = "2026-11-27T10:00:00Z" }
        var spec: JSONObject = ["modelRef": .string(model), "minReplicas": .integer(min), "maxReplicas": .integer(max),
                                "scaleUpThreshold": .string(up), "scaleDownThreshold": "P90<50ms"]
        if let target { spec["targetRef"] = ["name": .string(target)] }
        return ["apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": .object(metadata), "spec": .object(spec)]
    }

    @Test func theOldestPoolHoldsATargetThenTheName() {
        let older = pool("zeta", created: "2026-11-27T10:00:00Z")
        let newer = pool("alpha", created: "2026-11-27T10:00:05Z")
        let sameSecond = pool("beta", created: "2026-11-27T10:00:00Z")
        let elsewhere = pool("other", model: "other-model", created: "2026-11-27T09:00:00Z")
        let target = ObjectKey(namespace: "default", name: "model")
        #expect(TargetClaims.holder(of: target, among: [newer, older, elsewhere]).map { ObjectMeta($0).name } == "zeta")
        #expect(TargetClaims.holder(of: target, among: [older, sameSecond]).map { ObjectMeta($0).name } == "beta", "a tie goes by name")
        #expect(TargetClaims.holder(over: newer, among: [newer, older]).map { ObjectMeta($0).name } == "zeta")
        #expect(TargetClaims.holder(over: older, among: [newer, older]) == nil, "the holder itself is held by none")
        #expect(TargetClaims.holder(over: elsewhere, among: [newer, older, elsewhere]) == nil)
        // Not yet stored (admission): newer than any stored pool.
        #expect(TargetClaims.holder(over: pool("new"), among: [newer]).map { ObjectMeta($0).name } == "alpha")
        // A pool being deleted keeps its claim until it is gone.
        #expect(TargetClaims.holder(over: newer, among: [pool("zeta", created: "2026-11-27T10:00:00Z", deleting: true)]) != nil)
    }

    @Test func claimantsAreOlderPoolsScaledObjectsAndHPAsButNotKEDAsOwnHPA() {
        let me = pool("me", created: "2026-11-27T10:00:05Z")
        let older = pool("first", created: "2026-11-27T10:00:00Z")
        let scaled: JSONValue = ["kind": "ScaledObject", "metadata": ["name": "keda", "namespace": "default", "uid": "so-1"],
                                 "spec": ["scaleTargetRef": ["name": "model"]]]
        let scaledStatefulSet: JSONValue = ["kind": "ScaledObject", "metadata": ["name": "sts", "namespace": "default"],
                                            "spec": ["scaleTargetRef": ["name": "model", "kind": "StatefulSet"]]]
        let kedaHPA: JSONValue = ["kind": "HorizontalPodAutoscaler",
                                  "metadata": ["name": "keda-hpa-keda", "namespace": "default",
                                               "ownerReferences": [["kind": "ScaledObject", "name": "keda", "uid": "so-1"]]],
                                  "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "model"]]]
        let hpa: JSONValue = ["kind": "HorizontalPodAutoscaler", "metadata": ["name": "cpu", "namespace": "default"],
                              "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "model"]]]
        #expect(OtherAutoscalers.claiming(me, pools: [me, older], scaledObjects: [scaled, scaledStatefulSet], autoscalers: [kedaHPA, hpa])
                == ["ElasticInferencePool/first", "ScaledObject/keda", "HorizontalPodAutoscaler/cpu"])
        #expect(OtherAutoscalers.claiming(older, pools: [me, older], scaledObjects: [], autoscalers: []).isEmpty)
    }

    @Test func aValidPoolIsAllowedWithItsLintsAsWarnings() {
        let verdict = PoolAdmission.review(.create, object: pool("p", up: "P90<200ms"), old: nil, pools: [])
        #expect(verdict.allowed && verdict.message == nil)
        #expect(verdict.warnings.map(\.description) == [
            "spec.scaleUpThreshold: column 1: fires on low latency ('P90<200ms'); scale-up rules usually fire when latency is high",
            "spec.scaleDownThreshold: overlaps scaleUpThreshold: both are true when P90=25ms (scale-up wins)",
        ])
    }

    @Test func errorsAreRefusedInOneLine() {
        let verdict = PoolAdmission.review(.create, object: pool("p", up: "P90>200ms || gpu.utl>85%", min: 9, max: 4), old: nil, pools: [])
        #expect(!verdict.allowed)
        #expect(verdict.message == "spec.minReplicas: minReplicas (9) must not be greater than maxReplicas (4); spec.scaleUpThreshold: column 14: unknown metric 'gpu.utl'; did you mean 'gpu.util'?")
    }

    @Test func aSecondPoolOnATargetIsRefusedOnCreateAndOnRetarget() {
        let first = pool("first", created: "2026-11-27T10:00:00Z")
        let create = PoolAdmission.review(.create, object: pool("second"), old: nil, pools: [first])
        #expect(create.message == "spec.modelRef: the workload 'model' of type 'apps/v1.Deployment' is already managed by the ElasticInferencePool 'first'")
        let elsewhere = pool("second", target: "other", created: "2026-11-27T10:00:05Z")
        let retarget = PoolAdmission.review(.update, object: pool("second", target: "model", created: "2026-11-27T10:00:05Z"), old: elsewhere, pools: [first, elsewhere])
        #expect(retarget.errors.map(\.path.description) == ["spec.targetRef.name"])
        // An update that keeps the target is not checked again (the reconciler holds a pool that came second).
        let keeps = PoolAdmission.review(.update, object: pool("second", created: "2026-11-27T10:00:05Z", max: 9),
                                         old: pool("second", created: "2026-11-27T10:00:05Z"), pools: [first])
        #expect(keeps.allowed)
        // The pool itself is no rival (a re-create under the same name, a stale cache).
        #expect(PoolAdmission.review(.create, object: pool("first"), old: nil, pools: [first]).allowed)
    }

    @Test func withoutThePoolsTheClaimIsNotCheckedAndAWarningSaysSo() {
        let verdict = PoolAdmission.review(.create, object: pool("p"), old: nil, pools: nil)
        #expect(verdict.allowed)
        #expect(verdict.warnings.last?.message.hasPrefix("could not check whether another ElasticInferencePool already targets Deployment model") == true)
    }

    @Test func updatesThatLeaveTheSpecOrReleaseAFinalizerPass() {
        let broken = pool("old", up: "P90>")  // stored before the webhook existed
        #expect(PoolAdmission.review(.update, object: pool("old", up: "P90>", labels: ["team": "a"]), old: broken, pools: []).allowed)
        #expect(PoolAdmission.review(.update, object: pool("old", up: "P90>", max: 3, deleting: true), old: broken, pools: []).allowed)
        #expect(!PoolAdmission.review(.update, object: pool("old", up: "P90>", max: 3), old: broken, pools: []).allowed, "a spec change is checked")
    }
}
