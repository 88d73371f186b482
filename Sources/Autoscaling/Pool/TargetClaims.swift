import JSON
import KubeObjects

extension ResourceRef {
    /// KEDA's `scaledobjects.keda.sh/v1alpha1`. Served only where KEDA is installed: readers treat
    /// a 404 for the resource as "none" (``OtherAutoscalers``).
    public static let scaledObjects = ResourceRef(group: "keda.sh", version: "v1alpha1", plural: "scaledobjects")
}

/// One workload, one scaler: which pool holds a Deployment when several target it, and which other
/// autoscalers (HPAs, KEDA ScaledObjects) claim it. The operator's reconciler, its admission webhook,
/// `eipctl validate` and the dry run all read claims here.
///
/// The rule: among the pools that target a Deployment, the **oldest** holds it (the earliest
/// `creationTimestamp`, then the name, so that two pools made in the same second still agree); the
/// others write nothing to it until the holder goes or targets something else. A pool being deleted
/// keeps its claim until it is gone, so that its finalizer's cleanup and the next pool's warmup never
/// overlap. Age never changes, so the answer cannot flip from one poll to the next.
public enum TargetClaims {
    /// The pool among `pools` that holds `deployment`: nil when none targets it.
    public static func holder(of deployment: ObjectKey, among pools: [JSONValue]) -> JSONValue? {
        pools.filter { ElasticInferencePool.target(of: $0) == deployment }.min(by: isOlder)
    }

    /// The other pool that holds the Deployment `pool` targets (`pool` itself excluded): nil when
    /// `pool` holds it, or no other pool targets it.
    public static func holder(over pool: JSONValue, among pools: [JSONValue]) -> JSONValue? {
        guard let target = ElasticInferencePool.target(of: pool) else { return nil }
        let me = ObjectMeta(pool).key
        let others = pools.filter { ObjectMeta($0).key != me }
        guard let holder = holder(of: target, among: others), isOlder(holder, pool) else { return nil }
        return holder
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
    /// Everything that claims the Deployment `pool` targets, in the order a message names them: the
    /// older pool holding it (``TargetClaims``), KEDA ScaledObjects on it (`spec.scaleTargetRef`,
    /// kind Deployment by default), then HPAs on it, except those a listed ScaledObject owns (KEDA's
    /// own `keda-hpa-*`: the ScaledObject is the one to name).
    public static func claiming(_ pool: JSONValue, pools: [JSONValue], scaledObjects: [JSONValue], autoscalers: [JSONValue]) -> [String] {
        guard let deployment = ElasticInferencePool.target(of: pool) else { return [] }
        var claims: [String] = []
        if let holder = TargetClaims.holder(over: pool, among: pools) { claims.append("\(ElasticInferencePool.kind)/\(ObjectMeta(holder).name)") }
        let scaled = scaledObjects.filter { object in
            let ref = object["spec"]?["scaleTargetRef"]
            return object["kind"]?.stringValue == "ScaledObject" && (ref?["kind"]?.stringValue ?? "Deployment") == "Deployment"
                && ref?["name"]?.stringValue == deployment.name && (ObjectMeta(object).namespace ?? deployment.namespace) == deployment.namespace
        }
        claims += scaled.map { "ScaledObject/\(ObjectMeta($0).name)" }
        let scaledUIDs = Set(scaled.compactMap { ObjectMeta($0).uid })
        let scaledNames = Set(scaled.map { ObjectMeta($0).name })
        let hpas = autoscalers.filter { object in
            !ObjectMeta(object).owners.contains { $0.kind == "ScaledObject" && (scaledUIDs.contains($0.uid) || scaledNames.contains($0.name)) }
        }
        claims += targeting(deployment, in: hpas)
        return claims
    }
}
