import JSON
import KubeObjects

/// Where objects are read from: the informers' caches in the operator, the API server itself in
/// `eipctl` (controller-runtime's `client.Reader`). A reconcile and a live dry run gather their
/// inputs through this one protocol, so they plan from the same reads.
public protocol ObjectReader: Sendable {
    /// The object, or nil when there is none (404 is not an error here).
    func object(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue?
    /// The objects of one namespace.
    func objects(_ resource: ResourceRef, namespace: String) async throws(KubeError) -> [JSONValue]
    /// The objects of one namespace whose values under `index` include `value` (client-go's
    /// `Indexer.ByIndex`): a lookup where the reader keeps the index, else its list, filtered.
    func objects(_ resource: ResourceRef, namespace: String, indexedBy index: ObjectIndex, value: String) async throws(KubeError) -> [JSONValue]
    /// An object's `scale` subresource (an `autoscaling/v1` `Scale`: replicas and the selector of
    /// its pods), or nil when there is no such object.
    func scale(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue?
    /// The resource that serves a kind, found by discovery as client-go's REST mapper finds it,
    /// and whether it has a `scale` subresource; nil when the server serves no such kind.
    func resource(for kind: WorkloadKind) async throws(KubeError) -> ScalableResource?
}

extension ObjectReader {
    /// Without an index: the namespace's objects, filtered by the index's function.
    public func objects(_ resource: ResourceRef, namespace: String, indexedBy index: ObjectIndex, value: String) async throws(KubeError) -> [JSONValue] {
        try await objects(resource, namespace: namespace).filter { index.values($0).contains(value) }
    }
}

/// A secondary index over the objects of one resource, as client-go's `cache.Indexers` defines
/// one: its name, and the values an object is found under (none: not in the index). An informer
/// given it keeps it current with its cache, so a lookup costs the objects found, not the namespace.
public struct ObjectIndex: Sendable {
    /// What it is called (one name, one function).
    public let name: String
    /// The values an object is found under.
    public let values: @Sendable (JSONValue) -> [String]

    public init(name: String, values: @escaping @Sendable (JSONValue) -> [String]) {
        self.name = name
        self.values = values
    }
}

/// A resource as discovery lists it, and whether objects of it can be scaled.
public struct ScalableResource: Sendable, Hashable {
    /// The resource.
    public let resource: ResourceRef
    /// It serves the `scale` subresource (`NAME/scale` in discovery).
    public let hasScale: Bool

    /// A resource and whether it scales.
    public init(resource: ResourceRef, hasScale: Bool) {
        self.resource = resource
        self.hasScale = hasScale
    }

    /// The resource of `kind` in a discovery list (`resources`), with its scale subresource.
    public static func find(_ kind: WorkloadKind, in resources: [APIResource]) -> ScalableResource? {
        guard let main = resources.first(where: { $0.kind == kind.kind && !$0.name.contains("/") }) else { return nil }
        return ScalableResource(resource: ResourceRef(group: kind.group, version: kind.version, plural: main.name, namespaced: main.namespaced),
                                hasScale: resources.contains { $0.name == main.name + "/scale" })
    }
}

/// One entry of a discovery document's `resources`: `deployments`, `deployments/scale`, ….
public struct APIResource: Sendable, Hashable {
    /// The resource name, with its subresource after a slash.
    public let name: String
    /// The kind it serves.
    public let kind: String
    /// Namespaced, or cluster-scoped.
    public let namespaced: Bool

    /// An entry of a discovery document.
    public init?(_ value: JSONValue) {
        guard let name = value["name"]?.stringValue, let kind = value["kind"]?.stringValue else { return nil }
        self.name = name
        self.kind = kind
        namespaced = value["namespaced"]?.boolValue ?? true
    }
}

extension KubeClient: ObjectReader {
    /// GET; nil on 404.
    public func object(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue? {
        do throws(KubeError) {
            return try await get(resource, namespace: key.namespaceOrNil, name: key.name)
        } catch where error.kind == .notFound {
            return nil
        }
    }

    /// LIST, every page.
    public func objects(_ resource: ResourceRef, namespace: String) async throws(KubeError) -> [JSONValue] {
        try await list(resource, namespace: namespace, labelSelector: nil).items
    }

    /// GET of the `scale` subresource; nil on 404.
    public func scale(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue? {
        do throws(KubeError) {
            return try await scale(resource, namespace: key.namespaceOrNil, name: key.name)
        } catch where error.kind == .notFound {
            return nil
        }
    }

    /// Discovery of the kind's group version (no cache: each call asks).
    public func resource(for kind: WorkloadKind) async throws(KubeError) -> ScalableResource? {
        guard let resources = try await resources(apiVersion: kind.apiVersion) else { return nil }
        return ScalableResource.find(kind, in: resources)
    }
}
