import JSON

/// The body of a PATCH, by patch type.
public enum Patch: Sendable {
    /// JSON merge patch (RFC 7386): what `kubectl scale` and `kubectl patch --type merge` send.
    case merge(JSONValue)
    /// JSON patch (RFC 6902): a list of operations; a failed `test` is `.invalid`.
    case json(JSONValue)
    /// Strategic merge patch (built-in types only; custom resources answer `.unsupportedMediaType`).
    case strategicMerge(JSONValue)
    /// Server-side apply of the whole intended object as `fieldManager`.
    case apply(JSONValue, fieldManager: String, force: Bool = false)

    /// The patch type's media type.
    public var contentType: String {
        switch self {
        case .merge: return "application/merge-patch+json"
        case .json: return "application/json-patch+json"
        case .strategicMerge: return "application/strategic-merge-patch+json"
        case .apply: return "application/apply-patch+yaml"
        }
    }

    /// The patch document.
    public var body: JSONValue {
        switch self {
        case .merge(let v), .json(let v), .strategicMerge(let v), .apply(let v, _, _): return v
        }
    }
}

/// What happens to dependents when an object is deleted.
public enum PropagationPolicy: String, Sendable {
    case background = "Background", foreground = "Foreground", orphan = "Orphan"
}

/// One API request, from typed parts: the verb, the object (resource, namespace, name,
/// subresource), query parameters and the body with its media type. The path is always
/// ``ResourceRef/path(namespace:name:subresource:)``'s, with names escaped, never built by hand.
/// The client's verbs build these, and so does the operator's write executor from its intents;
/// `eipctl reconcile --dry-run` prints them.
public struct KubeRequest: Sendable, Hashable, CustomStringConvertible {
    /// The API verbs a request can be (RBAC's names).
    public enum Verb: String, Sendable, Hashable {
        case get, list, create, update, patch, delete

        /// The HTTP method.
        public var method: String {
            switch self {
            case .get, .list: return "GET"
            case .create: return "POST"
            case .update: return "PUT"
            case .patch: return "PATCH"
            case .delete: return "DELETE"
            }
        }
    }

    /// One `name=value` of the query string.
    public struct QueryItem: Sendable, Hashable {
        /// The parameter's name.
        public let name: String
        /// Its value, not yet escaped.
        public let value: String
        /// `name=value`.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// What the request does.
    public var verb: Verb
    /// The kind of object.
    public var resource: ResourceRef
    /// nil: all namespaces, or a cluster-scoped resource.
    public var namespace: String?
    /// nil for create and list.
    public var name: String?
    /// `status`, `scale`, …
    public var subresource: String?
    /// Query parameters, in order (escaped when the path is made).
    public var query: [QueryItem]
    /// The object, patch or `DeleteOptions` sent; nil for reads.
    public var body: JSONValue?
    /// The body's media type: `application/json`, or the patch type's.
    public var contentType: String

    /// A request from its parts (the static functions below build the usual ones).
    public init(_ verb: Verb, _ resource: ResourceRef, namespace: String?, name: String? = nil, subresource: String? = nil,
                query: [QueryItem] = [], body: JSONValue? = nil, contentType: String = "application/json") {
        self.verb = verb
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.subresource = subresource
        self.query = query
        self.body = body
        self.contentType = contentType
    }

    /// The HTTP method.
    public var method: String { verb.method }
    /// The path and query: `/apis/apps/v1/namespaces/ns/deployments/model/scale`.
    public var path: String {
        resource.path(namespace: namespace, name: name, subresource: subresource) + HTTPTransport.query(query.map { ($0.name, $0.value) })
    }
    /// `PATCH /apis/apps/v1/namespaces/ns/deployments/model/scale`.
    public var description: String { "\(method) \(path)" }

    // MARK: The verbs' requests

    /// GET one object (or its subresource).
    public static func get(_ resource: ResourceRef, namespace: String?, name: String, subresource: String? = nil) -> KubeRequest {
        KubeRequest(.get, resource, namespace: namespace, name: name, subresource: subresource)
    }

    /// POST a new object to its collection.
    public static func create(_ resource: ResourceRef, namespace: String?, _ object: JSONValue) -> KubeRequest {
        KubeRequest(.create, resource, namespace: namespace, body: object)
    }

    /// PUT the whole object (409 `.conflict` when its resourceVersion is stale).
    public static func update(_ resource: ResourceRef, namespace: String?, name: String, _ object: JSONValue, subresource: String? = nil) -> KubeRequest {
        KubeRequest(.update, resource, namespace: namespace, name: name, subresource: subresource, body: object)
    }

    /// PATCH with the patch's type (server-side apply adds `fieldManager` and `force`).
    public static func patch(_ resource: ResourceRef, namespace: String?, name: String, _ patch: Patch, subresource: String? = nil) -> KubeRequest {
        var query: [QueryItem] = []
        if case .apply(_, let manager, let force) = patch {
            query.append(QueryItem("fieldManager", manager))
            if force { query.append(QueryItem("force", "true")) }
        }
        return KubeRequest(.patch, resource, namespace: namespace, name: name, subresource: subresource, query: query,
                           body: patch.body, contentType: patch.contentType)
    }

    /// DELETE with `DeleteOptions`: how dependents go, and a uid precondition.
    public static func delete(_ resource: ResourceRef, namespace: String?, name: String, propagation: PropagationPolicy? = nil,
                              preconditionUID: String? = nil) -> KubeRequest {
        var options: JSONObject = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let propagation { options["propagationPolicy"] = .string(propagation.rawValue) }
        if let preconditionUID { options["preconditions"] = ["uid": .string(preconditionUID)] }
        return KubeRequest(.delete, resource, namespace: namespace, name: name, body: .object(options))
    }

    /// Set replicas through the `scale` subresource with a merge patch, as `kubectl scale` does.
    public static func scale(_ resource: ResourceRef, namespace: String?, name: String, replicas: Int) -> KubeRequest {
        patch(resource, namespace: namespace, name: name, .merge(["spec": ["replicas": .integer(replicas)]]), subresource: "scale")
    }
}
