import JSON
import KubeObjects

extension ResourceRef {
    /// `elasticinferencepools.aiops.example.com/v1alpha2`: the pool's own resource, declared next to
    /// its model rather than in the generic Kubernetes client.
    public static let elasticInferencePools = ResourceRef(group: ElasticInferencePool.group, version: ElasticInferencePool.version,
                                                          plural: ElasticInferencePool.plural)
}

extension ElasticInferencePool {
    /// The name of the Deployment a pool object targets: `spec.targetRef.name`, else `spec.modelRef`
    /// (SPEC §2); nil when it names neither. The one statement of the rule: validation, the
    /// controller's target index, the finalizer and `eipctl` all read it here, including for pools
    /// that are not valid (so that a broken pool's Deployment is still found and cleaned up).
    public static func targetName(of object: JSONValue) -> String? {
        targetName(ofSpec: object["spec"])
    }

    /// ``targetName(of:)`` of a pool's `spec`.
    static func targetName(ofSpec spec: JSONValue?) -> String? {
        spec?["targetRef"]?["name"]?.stringValue ?? spec?["modelRef"]?.stringValue
    }

    /// The workload a pool object targets, in the pool's namespace ("default" when it does not say).
    public static func target(of object: JSONValue) -> ObjectKey? {
        targetName(of: object).map { ObjectKey(namespace: ObjectMeta(object).namespace ?? "default", name: $0) }
    }

    /// The kind of workload a pool object targets, when it is one the operator knows (a Deployment
    /// unless `targetRef.kind` says otherwise); nil for another kind. Read without validating, so
    /// that a broken pool's warmup is still undone.
    public static func knownTargetKind(of object: JSONValue) -> WorkloadKind? {
        let kind = object["spec"]?["targetRef"]?["kind"]?.stringValue ?? WorkloadKind.deployment.kind
        return WorkloadKind.known.first { $0.kind == kind }
    }

    /// The key of the pool itself.
    public var key: ObjectKey { ObjectKey(namespace: namespace, name: name) }
    /// The key of its target workload.
    public var targetKey: ObjectKey { ObjectKey(namespace: namespace, name: spec.targetName) }
}

extension DeploymentView {
    /// The names of the init containers the operator owns, from its annotation
    /// (`aiops.example.com/owned-init-containers`, comma-separated).
    public var ownedInitContainerNames: [String] { OwnedInitContainers.names(in: annotations) }

    /// The snapshot the decision engine reads: current (`spec.replicas`) and ready replicas.
    public func snapshot(otherAutoscalers: [String] = []) -> TargetSnapshot {
        TargetSnapshot(name: name, currentReplicas: replicas, readyReplicas: readyReplicas, otherAutoscalers: otherAutoscalers)
    }
}

extension WorkloadView {
    /// The names of the init containers the operator owns, from its annotation
    /// (`aiops.example.com/owned-init-containers`, comma-separated).
    public var ownedInitContainerNames: [String] { OwnedInitContainers.names(in: annotations) }

    /// The snapshot the decision engine reads: current and ready replicas.
    public func snapshot(otherAutoscalers: [String] = []) -> TargetSnapshot {
        TargetSnapshot(name: name, currentReplicas: replicas, readyReplicas: readyReplicas, otherAutoscalers: otherAutoscalers)
    }
}

/// The ownership annotation's list of init containers.
enum OwnedInitContainers {
    static func names(in annotations: JSONObject) -> [String] {
        guard let text = annotations[Defaults.ownedInitContainersAnnotation]?.stringValue else { return [] }
        return text.split(separator: ",").map(\.trimmingSpaces).filter { !$0.isEmpty }
    }
}

/// Finds the HorizontalPodAutoscalers that target a workload (SPEC §4 rule 7).
public enum OtherAutoscalers {
    /// `HorizontalPodAutoscaler/NAME` for each object in `objects` that is an HPA whose
    /// `scaleTargetRef` names the workload `target` of `kind` (an HPA scales only in its own
    /// namespace; its `apiVersion`, when it gives one, must be of the kind's group).
    public static func targeting(_ target: ObjectKey, kind: WorkloadKind = .deployment, in objects: [JSONValue]) -> [String] {
        objects.compactMap { object in
            let hpa = HorizontalPodAutoscalerView(object)
            guard object["kind"]?.stringValue == "HorizontalPodAutoscaler", hpa.targetKind == kind.kind, hpa.targetKey == target else { return nil }
            if let apiVersion = object["spec"]?["scaleTargetRef"]?["apiVersion"]?.stringValue,
               WorkloadKind(apiVersion: apiVersion, kind: kind.kind).group != kind.group { return nil }
            return "HorizontalPodAutoscaler/\(hpa.meta.name)"
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces (U+0020 only).
    var trimmingSpaces: String {
        let bytes = utf8
        guard let first = bytes.firstIndex(where: { $0 != UInt8(ascii: " ") }),
              let last = bytes.lastIndex(where: { $0 != UInt8(ascii: " ") }) else { return "" }
        return String(self[first...last])
    }
}
