import JSON

/// An `apps/v1` Deployment: only the fields the operator reads.
public struct DeploymentView: Sendable, Hashable {
    /// The Deployment as read.
    public let object: JSONObject

    /// nil unless `value` is an object of kind Deployment.
    public init?(_ value: JSONValue) {
        guard let object = value.objectValue, object["kind"]?.stringValue == "Deployment" else { return nil }
        self.object = object
    }

    /// A Deployment made from scratch (for dry runs and simulations): `replicas` in `spec`,
    /// `readyReplicas` in `status`, one serving container, no selector.
    public init(name: String, namespace: String, replicas: Int, readyReplicas: Int, resourceVersion: String? = nil) {
        var metadata: JSONObject = ["name": .string(name), "namespace": .string(namespace)]
        if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
        object = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": .object(metadata),
            "spec": ["replicas": .integer(replicas), "template": ["spec": ["containers": [["name": "server", "image": "model-server"]]]]],
            "status": ["replicas": .integer(replicas), "readyReplicas": .integer(readyReplicas)],
        ]
    }

    /// `metadata.name`.
    public var name: String { object["metadata"]?["name"]?.stringValue ?? "" }
    /// The namespace; "default" when the object does not say (a manifest).
    public var namespace: String { object["metadata"]?["namespace"]?.stringValue ?? "default" }
    /// Its namespace and name.
    public var key: ObjectKey { ObjectKey(namespace: namespace, name: name) }
    /// `metadata.resourceVersion` (nil in a manifest).
    public var resourceVersion: String? { object["metadata"]?["resourceVersion"]?.stringValue }
    /// `metadata.annotations`.
    public var annotations: JSONObject { object["metadata"]?["annotations"]?.objectValue ?? JSONObject() }
    /// `spec.replicas`; the API server defaults an absent value to 1.
    public var replicas: Int { object["spec"]?["replicas"]?.intValue ?? 1 }
    /// `status.readyReplicas`; absent means none.
    public var readyReplicas: Int { object["status"]?["readyReplicas"]?.intValue ?? 0 }
    /// `spec.selector`, which picks the Deployment's pods; nil when it has none (a manifest).
    public var selector: LabelSelector? { LabelSelector(object["spec"]?["selector"]) }
    /// `spec.template.spec`.
    public var podSpec: JSONObject { object["spec"]?["template"]?["spec"]?.objectValue ?? JSONObject() }
    /// `spec.template.spec.initContainers`.
    public var initContainers: [JSONValue] { podSpec["initContainers"]?.arrayValue ?? [] }
    /// `spec.template.spec.containers`.
    public var containers: [JSONValue] { podSpec["containers"]?.arrayValue ?? [] }
}
