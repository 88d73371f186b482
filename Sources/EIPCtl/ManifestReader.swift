import Autoscaling
import JSON
import Kube

/// The objects of manifest files, read as the operator reads its caches: the offline dry run
/// gathers its inputs through it. An object without a namespace is taken to be in `namespace` (the
/// pool's), as `kubectl apply -n NAMESPACE -f FILES` would put it.
///
/// There is no API server behind it, so what the server would derive is derived from the files as
/// the server derives it: a workload's `Scale` from its `spec.replicas` and pod selector (a
/// CustomResourceDefinition in the files gives a custom kind's plural and scale paths; without one
/// the plural is guessed as kubectl guesses it), and, when the files hold no pods, the Ready pods
/// its `status.readyReplicas` counts (for a LeaderWorkerSet, whole groups).
struct ManifestReader: ObjectReader {
    let objects: [JSONValue]
    let namespace: String

    init(_ objects: [JSONValue], namespace: String) {
        self.objects = objects
        self.namespace = namespace
    }

    /// By kind, as the manifests say it (any API version of the kind).
    private func matches(_ object: JSONValue, _ resource: ResourceRef) -> Bool {
        guard let kind = object["kind"]?.stringValue else { return false }
        if let known = Self.kinds[resource.plural] { return known == kind }
        return self.resource(forKind: kind, group: WorkloadKind(apiVersion: object["apiVersion"]?.stringValue ?? "", kind: kind).group)?.resource == resource
    }

    private func namespace(of object: JSONValue) -> String { ObjectMeta(object).namespace ?? namespace }

    func object(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue? {
        objects.first { matches($0, resource) && namespace(of: $0) == key.namespace && ObjectMeta($0).name == key.name }
    }

    func objects(_ resource: ResourceRef, namespace: String) async throws(KubeError) -> [JSONValue] {
        let found = objects.filter { matches($0, resource) && self.namespace(of: $0) == namespace }
        guard resource == .pods, found.isEmpty else { return found }
        // No pods in the files: those the workloads' status says are Ready.
        return objects.filter { self.namespace(of: $0) == namespace }.flatMap(readyPods)
    }

    /// The workload's `Scale`, as the API server makes one from it.
    func scale(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue? {
        guard let object = try await object(resource, key) else { return nil }
        return ["apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": object["metadata"] ?? [:],
                "spec": ["replicas": .integer(replicas(of: object))],
                "status": ["replicas": object["status"]?["replicas"] ?? 0, "selector": .string(selector(of: object))]]
    }

    /// The known kinds' resources; a custom kind's from its CRD in the files, else guessed.
    func resource(for kind: WorkloadKind) async throws(KubeError) -> ScalableResource? {
        resource(forKind: kind.kind, group: kind.group) ?? ScalableResource(resource: kind.guessedResource, hasScale: true)
    }

    private func resource(forKind kind: String, group: String) -> ScalableResource? {
        if let known = WorkloadKind.known.first(where: { $0.kind == kind && $0.group == group }), let resource = known.knownResource {
            return ScalableResource(resource: resource, hasScale: true)
        }
        guard let crd = definition(kind: kind, group: group), let plural = crd["spec"]?["names"]?["plural"]?.stringValue else { return nil }
        let version = crd["spec"]?["versions"]?.arrayValue?.first { $0["storage"] == true }
        return ScalableResource(resource: ResourceRef(group: group, version: version?["name"]?.stringValue ?? "v1", plural: plural),
                                hasScale: version?["subresources"]?["scale"] != nil)
    }

    /// The CustomResourceDefinition in the files that defines `kind` in `group`.
    private func definition(kind: String, group: String) -> JSONValue? {
        objects.first { $0["kind"] == "CustomResourceDefinition" && $0["spec"]?["group"]?.stringValue == group && $0["spec"]?["names"]?["kind"]?.stringValue == kind }
    }

    /// A custom kind's scale paths (`.spec.replicas`, `.status.selector`) from its CRD, if in the files.
    private func scalePath(_ object: JSONValue, _ key: String) -> [String]? {
        let kind = WorkloadKind(apiVersion: object["apiVersion"]?.stringValue ?? "", kind: object["kind"]?.stringValue ?? "")
        guard let crd = definition(kind: kind.kind, group: kind.group) else { return nil }
        let version = crd["spec"]?["versions"]?.arrayValue?.first { $0["name"]?.stringValue == kind.version }
        return version?["subresources"]?["scale"]?[key]?.stringValue.map { $0.split(separator: ".").map(String.init) }
    }

    private func value(_ object: JSONValue, at path: [String]) -> JSONValue? {
        var value: JSONValue? = object
        for key in path { value = value?[key] }
        return value
    }

    private func replicas(of object: JSONValue) -> Int {
        value(object, at: scalePath(object, "specReplicasPath") ?? ["spec", "replicas"])?.intValue ?? 1
    }

    /// The pods' selector as the `Scale` gives it: a LeaderWorkerSet's leaders, a custom kind's
    /// `labelSelectorPath`, else the workload's `spec.selector`.
    private func selector(of object: JSONValue) -> String {
        let name = ObjectMeta(object).name
        if object["kind"] == "LeaderWorkerSet" {
            return "leaderworkerset.sigs.k8s.io/name=\(name),leaderworkerset.sigs.k8s.io/worker-index=0"
        }
        if let path = scalePath(object, "labelSelectorPath") { return value(object, at: path)?.stringValue ?? "" }
        return (object["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:])
            .compactMap { key, value in value.stringValue.map { "\(key)=\($0)" } }.sorted().joined(separator: ",")
    }

    /// The Ready pods a workload's `status.readyReplicas` counts, labelled so that its selector picks
    /// them (a LeaderWorkerSet's groups: a leader and `size - 1` workers each).
    private func readyPods(of object: JSONValue) -> [JSONValue] {
        guard object["kind"] != "Deployment", object["kind"] != "Pod", let ready = object["status"]?["readyReplicas"]?.intValue, ready > 0 else { return [] }
        let name = ObjectMeta(object).name
        func pod(_ podName: String, _ labels: JSONObject) -> JSONValue {
            ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(podName), "namespace": .string(namespace(of: object)), "labels": .object(labels)],
             "status": ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]]
        }
        if object["kind"] == "LeaderWorkerSet" {
            let size = max(1, object["spec"]?["leaderWorkerTemplate"]?["size"]?.intValue ?? 1)
            return (0..<ready).flatMap { group in
                (0..<size).map { worker in
                    pod(worker == 0 ? "\(name)-\(group)" : "\(name)-\(group)-\(worker)",
                        ["leaderworkerset.sigs.k8s.io/name": .string(name), "leaderworkerset.sigs.k8s.io/group-index": .string(String(group)),
                         "leaderworkerset.sigs.k8s.io/worker-index": .string(String(worker))])
                }
            }
        }
        guard let selector = LabelSelector(selector: selector(of: object)) else { return [] }
        let labels = JSONObject(selector.matchLabels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
        return (0..<ready).map { pod("\(name)-\($0)", labels) }
    }

    /// The kinds of the resources a plan reads.
    static let kinds = ["deployments": "Deployment", "horizontalpodautoscalers": "HorizontalPodAutoscaler", "scaledobjects": "ScaledObject",
                        "daemonsets": "DaemonSet", "pods": "Pod", "statefulsets": "StatefulSet", "leaderworkersets": "LeaderWorkerSet",
                        ElasticInferencePool.plural: ElasticInferencePool.kind]
}
