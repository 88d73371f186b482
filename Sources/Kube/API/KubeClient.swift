import Foundation
import JSON
import Locking

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

    var contentType: String {
        switch self {
        case .merge: return "application/merge-patch+json"
        case .json: return "application/json-patch+json"
        case .strategicMerge: return "application/strategic-merge-patch+json"
        case .apply: return "application/apply-patch+yaml"
        }
    }

    var body: JSONValue {
        switch self {
        case .merge(let v), .json(let v), .strategicMerge(let v), .apply(let v, _, _): return v
        }
    }
}

/// What happens to dependents when an object is deleted.
public enum PropagationPolicy: String, Sendable {
    case background = "Background", foreground = "Foreground", orphan = "Orphan"
}

/// The items of a list and the resourceVersion to watch from.
public struct ObjectList: Sendable {
    public let items: [JSONValue]
    public let resourceVersion: String
}

/// A Kubernetes API client over raw HTTPS (libcurl): the verbs for any group/version/resource,
/// objects as JSON values. Every call checks the HTTP status; error statuses become ``KubeError``s
/// that keep the server's `Status`.
public final class KubeClient: Sendable {
    public let transport: HTTPTransport
    /// The namespace of the current context (or the service account's), for callers that name none.
    public let defaultNamespace: String

    public init(transport: HTTPTransport, defaultNamespace: String = "default") {
        self.transport = transport
        self.defaultNamespace = defaultNamespace
    }

    // MARK: Verbs

    public func get(_ resource: ResourceRef, namespace: String?, name: String, subresource: String? = nil) async throws(KubeError) -> JSONValue {
        try await call("GET", resource.path(namespace: namespace, name: name, subresource: subresource))
    }

    /// Every matching object, following `continue` tokens page by page (`limit` per page). Items get
    /// `kind` and `apiVersion` even where the server leaves them out (built-in types).
    public func list(_ resource: ResourceRef, namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil,
                     limit: Int = 500) async throws(KubeError) -> ObjectList {
        var items: [JSONValue] = []
        var token: String?
        var resourceVersion = ""
        repeat {
            var query: [(String, String)] = [("limit", String(limit))]
            if let labelSelector { query.append(("labelSelector", labelSelector)) }
            if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
            if let token { query.append(("continue", token)) }
            let page = try await call("GET", resource.path(namespace: namespace) + Self.query(query))
            // The API server sends built-in list items without kind and apiVersion; fill them in from
            // the list, so that objects from a list look like objects from a get or a watch.
            let kind = page["kind"]?.stringValue.map { $0.hasSuffix("List") ? String($0.dropLast(4)) : $0 }
            items += (page["items"]?.arrayValue ?? []).map { item in
                guard var object = item.objectValue else { return item }
                if object["kind"] == nil, let kind { object["kind"] = .string(kind) }
                if object["apiVersion"] == nil, let apiVersion = page["apiVersion"] { object["apiVersion"] = apiVersion }
                return .object(object)
            }
            if resourceVersion.isEmpty { resourceVersion = page["metadata"]?["resourceVersion"]?.stringValue ?? "" }
            token = page["metadata"]?["continue"]?.stringValue
            if token?.isEmpty == true { token = nil }
        } while token != nil
        return ObjectList(items: items, resourceVersion: resourceVersion)
    }

    public func create(_ resource: ResourceRef, namespace: String?, _ object: JSONValue) async throws(KubeError) -> JSONValue {
        try await call("POST", resource.path(namespace: namespace), body: object)
    }

    /// PUT: replaces the object (409 `.conflict` when its resourceVersion is stale).
    public func replace(_ resource: ResourceRef, namespace: String?, name: String, _ object: JSONValue,
                        subresource: String? = nil) async throws(KubeError) -> JSONValue {
        try await call("PUT", resource.path(namespace: namespace, name: name, subresource: subresource), body: object)
    }

    public func patch(_ resource: ResourceRef, namespace: String?, name: String, _ patch: Patch,
                      subresource: String? = nil) async throws(KubeError) -> JSONValue {
        var query: [(String, String)] = []
        if case .apply(_, let manager, let force) = patch {
            query.append(("fieldManager", manager))
            if force { query.append(("force", "true")) }
        }
        return try await call("PATCH", resource.path(namespace: namespace, name: name, subresource: subresource) + Self.query(query),
                              body: patch.body, contentType: patch.contentType)
    }

    /// DELETE; answers the server's reply (a `Status`, or the object while finalizers hold it).
    @discardableResult
    public func delete(_ resource: ResourceRef, namespace: String?, name: String,
                       propagation: PropagationPolicy? = nil, preconditionUID: String? = nil) async throws(KubeError) -> JSONValue {
        var options: JSONObject = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let propagation { options["propagationPolicy"] = .string(propagation.rawValue) }
        if let preconditionUID { options["preconditions"] = ["uid": .string(preconditionUID)] }
        return try await call("DELETE", resource.path(namespace: namespace, name: name), body: .object(options))
    }

    /// The `autoscaling/v1` Scale of a Deployment (or anything with a `scale` subresource).
    public func scale(_ resource: ResourceRef, namespace: String?, name: String) async throws(KubeError) -> JSONValue {
        try await get(resource, namespace: namespace, name: name, subresource: "scale")
    }

    /// Sets replicas through the `scale` subresource with a merge patch, as `kubectl scale` does.
    @discardableResult
    public func setReplicas(_ resource: ResourceRef, namespace: String?, name: String, to replicas: Int) async throws(KubeError) -> JSONValue {
        try await patch(resource, namespace: namespace, name: name, .merge(["spec": ["replicas": .integer(replicas)]]), subresource: "scale")
    }

    // MARK: Plumbing

    func call(_ method: String, _ path: String, body: JSONValue? = nil, contentType: String = "application/json") async throws(KubeError) -> JSONValue {
        var headers: [(String, String)] = []
        var bytes: [UInt8]?
        if let body {
            headers.append(("Content-Type", contentType))
            bytes = Array(body.compactText.utf8)
        }
        let response: HTTPResponse
        do throws(HTTPClientError) {
            response = try await transport.send(method: method, path: path, headers: headers, body: bytes)
        } catch {
            throw KubeError(error)
        }
        guard (200..<300).contains(response.statusCode) else {
            throw KubeError.fromResponse(statusCode: response.statusCode, body: response.body,
                                         retryAfter: response.headers["retry-after"].flatMap(Double.init))
        }
        do throws(JSONParseError) {
            return try JSONValue(parsing: response.body)
        } catch {
            throw KubeError(.malformedResponse, "the response to \(method) \(path) is not JSON: \(error)")
        }
    }

    /// `?name=value&…` (``HTTPTransport/query(_:)``); "" for none.
    public static func query(_ items: [(String, String)]) -> String { HTTPTransport.query(items) }
}
