import Autoscaling
import JSON
import Kube

/// The objects of manifest files, read as the operator reads its caches: the offline dry run
/// gathers its inputs through it. An object without a namespace is taken to be in `namespace` (the
/// pool's), as `kubectl apply -n NAMESPACE -f FILES` would put it.
struct ManifestReader: ObjectReader {
    let objects: [JSONValue]
    let namespace: String

    init(_ objects: [JSONValue], namespace: String) {
        self.objects = objects
        self.namespace = namespace
    }

    /// By kind, as the manifests say it (any API version of the kind).
    private func matches(_ object: JSONValue, _ resource: ResourceRef) -> Bool {
        Self.kinds[resource.plural] == object["kind"]?.stringValue
    }

    private func namespace(of object: JSONValue) -> String { ObjectMeta(object).namespace ?? namespace }

    func object(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue? {
        objects.first { matches($0, resource) && namespace(of: $0) == key.namespace && ObjectMeta($0).name == key.name }
    }

    func objects(_ resource: ResourceRef, namespace: String) async throws(KubeError) -> [JSONValue] {
        objects.filter { matches($0, resource) && self.namespace(of: $0) == namespace }
    }

    /// The kinds of the resources a plan reads.
    static let kinds = ["deployments": "Deployment", "horizontalpodautoscalers": "HorizontalPodAutoscaler", "scaledobjects": "ScaledObject",
                        "daemonsets": "DaemonSet", "pods": "Pod",
                        ElasticInferencePool.plural: ElasticInferencePool.kind]
}
