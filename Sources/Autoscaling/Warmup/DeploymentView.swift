import JSON

/// A typed view of an `apps/v1` Deployment object: only the fields the operator reads.
public struct DeploymentView: Sendable, Hashable {
    public let object: JSONObject

    /// nil unless `value` is an object of kind Deployment.
    public init?(_ value: JSONValue) {
        guard let object = value.objectValue, object["kind"]?.stringValue == "Deployment" else { return nil }
        self.object = object
    }

    private init(deployment: JSONObject) { object = deployment }

    public var name: String { object["metadata"]?["name"]?.stringValue ?? "" }
    public var namespace: String { object["metadata"]?["namespace"]?.stringValue ?? "default" }
    public var resourceVersion: String? { object["metadata"]?["resourceVersion"]?.stringValue }
    public var annotations: JSONObject { object["metadata"]?["annotations"]?.objectValue ?? JSONObject() }
    /// `spec.replicas`; the API server defaults an absent value to 1.
    public var replicas: Int { object["spec"]?["replicas"]?.intValue ?? 1 }
    /// `status.readyReplicas`; absent means none.
    public var readyReplicas: Int { object["status"]?["readyReplicas"]?.intValue ?? 0 }
    /// `spec.template.spec`.
    public var podSpec: JSONObject { object["spec"]?["template"]?["spec"]?.objectValue ?? JSONObject() }
    public var initContainers: [JSONValue] { podSpec["initContainers"]?.arrayValue ?? [] }
    public var containers: [JSONValue] { podSpec["containers"]?.arrayValue ?? [] }

    /// The names of the init containers the operator owns, from its annotation.
    public var ownedInitContainerNames: [String] {
        guard let text = annotations[Defaults.ownedInitContainersAnnotation]?.stringValue else { return [] }
        return text.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
    }

    /// The snapshot the decision engine reads.
    public func snapshot(otherAutoscalers: [String] = []) -> TargetSnapshot {
        TargetSnapshot(name: name, currentReplicas: replicas, readyReplicas: readyReplicas, otherAutoscalers: otherAutoscalers)
    }

    /// A stand-in for a Deployment that is not at hand: `replicas` replicas, all ready, one serving container.
    public static func assumed(name: String, namespace: String, replicas: Int) -> DeploymentView {
        DeploymentView(deployment: [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": ["replicas": .integer(replicas), "template": ["spec": ["containers": [["name": "server", "image": "model-server"]]]]],
            "status": ["replicas": .integer(replicas), "readyReplicas": .integer(replicas)],
        ])
    }
}

/// Finds the HorizontalPodAutoscalers that target a Deployment (SPEC §4 rule 7).
public enum OtherAutoscalers {
    /// `HorizontalPodAutoscaler/NAME` for each object in `objects` that is an HPA in `namespace` whose
    /// `scaleTargetRef` names the Deployment `deployment`.
    public static func targeting(deployment: String, namespace: String, in objects: [JSONValue]) -> [String] {
        objects.compactMap { object in
            guard object["kind"]?.stringValue == "HorizontalPodAutoscaler",
                  (object["metadata"]?["namespace"]?.stringValue ?? "default") == namespace,
                  let target = object["spec"]?["scaleTargetRef"],
                  target["kind"]?.stringValue == "Deployment", target["name"]?.stringValue == deployment,
                  let name = object["metadata"]?["name"]?.stringValue
            else { return nil }
            return "HorizontalPodAutoscaler/\(name)"
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
