import JSON
import KubeObjects

extension ResourceRef {
    /// KEDA's `scaledobjects.keda.sh/v1alpha1`. Served only where KEDA is installed: readers treat
    /// a 404 for the resource as "none" (``OtherAutoscalers``).
    public static let scaledObjects = ResourceRef(group: "keda.sh", version: "v1alpha1", plural: "scaledobjects")
}

/// One workload, one scaler: which pool holds a workload when several target it, and which other
/// autoscalers (HPAs, KEDA ScaledObjects) claim it. A workload is its kind and name in the pool's
/// namespace (a Deployment and a StatefulSet of one name are two workloads). The operator's reconciler, its admission webhook,
/// `eipctl validate` and the dry run all read claims here.
///
/// The rule: among the pools that target a workload, the **oldest** holds it (the earliest
/// `creationTimestamp`, then the name, so that two pools made in the same second still agree); the
/// others write nothing to it until the holder goes or targets something else. A pool being deleted
/// keeps its claim until it is gone, so that its finalizer's cleanup and the next pool's warmup never
/// overlap. Age never changes, so the answer cannot flip from one poll to the next.
public enum TargetClaims {
    /// The pool among `pools` that holds the workload `target` of kind `kind` (`Deployment` by
    /// default): nil when none targets it.
    public static func holder(of target: ObjectKey, kind: String = WorkloadKind.deployment.kind, among pools: [JSONValue]) -> JSONValue? {
        pools.filter { ElasticInferencePool.target(of: $0) == target && targetKind(of: $0) == kind }.min(by: isOlder)
    }

    /// The other pool that holds the workload `pool` targets (`pool` itself excluded): nil when
    /// `pool` holds it, or no other pool targets it.
    public static func holder(over pool: JSONValue, among pools: [JSONValue]) -> JSONValue? {
        guard let target = ElasticInferencePool.target(of: pool) else { return nil }
        let me = ObjectMeta(pool).key
        let others = pools.filter { ObjectMeta($0).key != me }
        guard let holder = holder(of: target, kind: targetKind(of: pool), among: others), isOlder(holder, pool) else { return nil }
        return holder
    }

    /// The kind a pool object targets, as written (`spec.targetRef.kind`; `Deployment` by default).
    public static func targetKind(of pool: JSONValue) -> String {
        pool["spec"]?["targetRef"]?["kind"]?.stringValue ?? WorkloadKind.deployment.kind
    }

    /// Whether `a` was made before `b` (creation time, then name; an object not yet stored, without
    /// a creation time, is the newest).
    static func isOlder(_ a: JSONValue, _ b: JSONValue) -> Bool {
        let ta = ObjectMeta(a).creationTimestamp.flatMap(Timestamp.init(rfc3339:))
        let tb = ObjectMeta(b).creationTimestamp.flatMap(Timestamp.init(rfc3339:))
        switch (ta, tb) {
        case (let x?, let y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return ObjectMeta(a).name < ObjectMeta(b).name
        }
    }
}

extension OtherAutoscalers {
    /// Everything that claims the workload `pool` targets, in the order a message names them: the
    /// older pool holding it (``TargetClaims``), KEDA ScaledObjects on it (`spec.scaleTargetRef`,
    /// kind Deployment by default), then HPAs on it, except those a listed ScaledObject owns (KEDA's
    /// own `keda-hpa-*`: the ScaledObject is the one to name).
    public static func claiming(_ pool: JSONValue, pools: [JSONValue], scaledObjects: [JSONValue], autoscalers: [JSONValue]) -> [String] {
        guard let deployment = ElasticInferencePool.target(of: pool) else { return [] }
        let kindName = TargetClaims.targetKind(of: pool)
        let kind = pool["spec"]?["targetRef"]?["apiVersion"]?.stringValue.map { WorkloadKind(apiVersion: $0, kind: kindName) }
            ?? WorkloadKind.known.first { $0.kind == kindName } ?? WorkloadKind(apiVersion: "", kind: kindName)
        var claims: [String] = []
        if let holder = TargetClaims.holder(over: pool, among: pools) { claims.append("\(ElasticInferencePool.kind)/\(ObjectMeta(holder).name)") }
        let scaled = scaledObjects.filter { object in
            let ref = object["spec"]?["scaleTargetRef"]
            return object["kind"]?.stringValue == "ScaledObject" && (ref?["kind"]?.stringValue ?? "Deployment") == kindName
                && ref?["name"]?.stringValue == deployment.name && (ObjectMeta(object).namespace ?? deployment.namespace) == deployment.namespace
        }
        claims += scaled.map { "ScaledObject/\(ObjectMeta($0).name)" }
        let scaledUIDs = Set(scaled.compactMap { ObjectMeta($0).uid })
        let scaledNames = Set(scaled.map { ObjectMeta($0).name })
        let hpas = autoscalers.filter { object in
            !ObjectMeta(object).owners.contains { $0.kind == "ScaledObject" && (scaledUIDs.contains($0.uid) || scaledNames.contains($0.name)) }
        }
        claims += targeting(deployment, kind: kind, in: hpas)
        return claims
    }
}
