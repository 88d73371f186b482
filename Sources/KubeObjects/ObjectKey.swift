import JSON

/// Names one object: its namespace ("" for a cluster-scoped object) and name, as client-go's
/// `types.NamespacedName`. The key of informer caches, of the work queue and of a reconcile.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The namespace; "" for cluster-scoped objects.
    public var namespace: String
    /// The object's name.
    public var name: String

    /// A key ("" namespace: a cluster-scoped object).
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The key of an object, from its `metadata` (an object without one has the key `""/""`).
    public init(of object: JSONValue) {
        let metadata = object["metadata"]
        self.init(namespace: metadata?["namespace"]?.stringValue ?? "", name: metadata?["name"]?.stringValue ?? "")
    }

    /// `namespace/name`, or `name` for a cluster-scoped object (kubectl's and client-go's form).
    public var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    /// The namespace for a request: nil for a cluster-scoped object.
    public var namespaceOrNil: String? { namespace.isEmpty ? nil : namespace }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }
}
