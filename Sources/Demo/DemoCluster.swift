import JSON
import Kube

/// The demo's client of the emulator: applies the manifests and reads what a person would read with
/// kubectl (the pool's status, its Deployment, its Events), through the project's Kubernetes client.
struct DemoCluster: Sendable {
    let client: KubeClient
    let namespace: String
    let poolName: String
    let deploymentName: String

    init(server: String, namespace: String, poolName: String, deploymentName: String) {
        client = KubeClient(configuration: ClientConfiguration(transport: TransportConfiguration(server: server), credentials: nil,
                                                                namespace: namespace, contextName: "kube-emulator"))
        self.namespace = namespace
        self.poolName = poolName
        self.deploymentName = deploymentName
    }

    /// `kubectl apply -f CRDs/`, the namespace when it is missing, the Deployment, then the pool.
    func apply(_ manifests: DemoManifests) async throws(DemoError) {
        for crd in manifests.crds { try await create(.customResourceDefinitions, namespace: nil, crd) }
        do {
            _ = try await client.get(.namespaces, namespace: nil, name: namespace)
        } catch where error.kind == .notFound {
            try await create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
        } catch {
            throw DemoError("cannot read namespace \(namespace): \(error)")
        }
        try await create(.deployments, namespace: namespace, manifests.deployment)
        try await create(.elasticInferencePools, namespace: namespace, manifests.appliedPool)
    }

    private func create(_ resource: ResourceRef, namespace: String?, _ object: JSONValue) async throws(DemoError) {
        do {
            _ = try await client.create(resource, namespace: namespace, object)
        } catch {
            let name = object["metadata"]?["name"]?.stringValue ?? "?"
            throw DemoError("cannot create \(resource.plural) \(name): \(error)" + error.causes.map { "\n  \($0.field): \($0.message)" }.joined())
        }
    }

    /// The pool as the operator last wrote it; nil when it cannot be read now.
    func pool() async -> JSONValue? {
        try? await client.get(.elasticInferencePools, namespace: namespace, name: poolName)
    }

    func deployment() async -> JSONValue? {
        try? await client.get(.deployments, namespace: namespace, name: deploymentName)
    }

    /// The pool's Events (`kubectl get events --field-selector involvedObject.name=POOL`).
    func events() async -> [JSONValue] {
        (try? await client.list(.events, namespace: namespace, fieldSelector: "involvedObject.name=\(poolName)").items) ?? []
    }
}

/// Events already shown, by name, with the count they had: a repeat the operator counted on the
/// same Event (its `count` grew) is shown again with its count.
struct EventLog {
    private var counts: [String: Int] = [:]
    private(set) var reasons: [String: Int] = [:]

    /// The Events of `all` that are new or counted again, oldest first.
    mutating func fresh(_ all: [JSONValue]) -> [(type: String, reason: String, message: String, count: Int)] {
        var out: [(String, String, String, Int)] = []
        let sorted = all.sorted { ($0["lastTimestamp"]?.stringValue ?? "", $0["metadata"]?["name"]?.stringValue ?? "")
            < ($1["lastTimestamp"]?.stringValue ?? "", $1["metadata"]?["name"]?.stringValue ?? "") }
        for event in sorted {
            guard let name = event["metadata"]?["name"]?.stringValue else { continue }
            let count = event["count"]?.intValue ?? 1
            guard count > counts[name] ?? 0 else { continue }
            let reason = event["reason"]?.stringValue ?? "?"
            reasons[reason, default: 0] += count - (counts[name] ?? 0)
            counts[name] = count
            out.append((event["type"]?.stringValue ?? "Normal", reason, event["message"]?.stringValue ?? "", count))
        }
        return out
    }

    /// Events shown, repeats included.
    var total: Int { reasons.values.reduce(0, +) }
}
