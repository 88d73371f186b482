import JSON

/// Where objects are read from: the informers' caches in the operator, the API server itself in
/// `eipctl` (controller-runtime's `client.Reader`). A reconcile and a live dry run gather their
/// inputs through this one protocol, so they plan from the same reads.
public protocol ObjectReader: Sendable {
    /// The object, or nil when there is none (404 is not an error here).
    func object(_ resource: ResourceRef, _ key: ObjectKey) async throws(KubeError) -> JSONValue?
    /// The objects of one namespace.
    func objects(_ resource: ResourceRef, namespace: String) async throws(KubeError) -> [JSONValue]
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
}
