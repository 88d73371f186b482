import Foundation
import JSON
import Locking

/// The items of a list and the resourceVersion to watch from.
public struct ObjectList: Sendable {
    /// The objects, each with `kind` and `apiVersion`.
    public let items: [JSONValue]
    /// The list's resourceVersion: watch from it to miss nothing.
    public let resourceVersion: String
}

/// A Kubernetes API client over raw HTTPS (libcurl): the verbs for any group/version/resource,
/// objects as JSON values. Every call checks the HTTP status; error statuses become ``KubeError``s
/// that keep the server's `Status`.
public final class KubeClient: Sendable {
    /// The connection to the API server.
    public let transport: HTTPTransport
    /// The namespace of the current context (or the service account's), for callers that name none.
    public let defaultNamespace: String
    /// Every request made, by HTTP status and method (`rest_client_requests_total`).
    public let requestCounts = RequestCounts()

    /// A client over `transport`.
    public init(transport: HTTPTransport, defaultNamespace: String = "default") {
        self.transport = transport
        self.defaultNamespace = defaultNamespace
    }

    // MARK: Verbs

    /// GET one object (or its subresource). Throws `.notFound` when there is none.
    public func get(_ resource: ResourceRef, namespace: String?, name: String, subresource: String? = nil) async throws(KubeError) -> JSONValue {
        try await send(.get(resource, namespace: namespace, name: name, subresource: subresource))
    }

    /// Every matching object, following `continue` tokens page by page (`limit` per page). Items get
    /// `kind` and `apiVersion` even where the server leaves them out (built-in types).
    public func list(_ resource: ResourceRef, namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil,
                     limit: Int = 500) async throws(KubeError) -> ObjectList {
        var items: [JSONValue] = []
        var token: String?
        var resourceVersion = ""
        repeat {
            var query = [KubeRequest.QueryItem("limit", String(limit))]
            if let labelSelector { query.append(.init("labelSelector", labelSelector)) }
            if let fieldSelector { query.append(.init("fieldSelector", fieldSelector)) }
            if let token { query.append(.init("continue", token)) }
            let page = try await send(KubeRequest(.list, resource, namespace: namespace, query: query))
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

    /// POST: creates the object and answers it as stored. Throws `.alreadyExists`, `.invalid`, ….
    public func create(_ resource: ResourceRef, namespace: String?, _ object: JSONValue) async throws(KubeError) -> JSONValue {
        try await send(.create(resource, namespace: namespace, object))
    }

    /// PUT: replaces the object (409 `.conflict` when its resourceVersion is stale).
    public func replace(_ resource: ResourceRef, namespace: String?, name: String, _ object: JSONValue,
                        subresource: String? = nil) async throws(KubeError) -> JSONValue {
        try await send(.update(resource, namespace: namespace, name: name, object, subresource: subresource))
    }

    /// PATCH with the patch's type; answers the object as stored. Throws `.conflict` when a
    /// `metadata.resourceVersion` in the patch is stale, `.invalid` when a JSON patch's `test` fails.
    public func patch(_ resource: ResourceRef, namespace: String?, name: String, _ patch: Patch,
                      subresource: String? = nil) async throws(KubeError) -> JSONValue {
        try await send(.patch(resource, namespace: namespace, name: name, patch, subresource: subresource))
    }

    /// DELETE; answers the server's reply (a `Status`, or the object while finalizers hold it).
    @discardableResult
    public func delete(_ resource: ResourceRef, namespace: String?, name: String,
                       propagation: PropagationPolicy? = nil, preconditionUID: String? = nil) async throws(KubeError) -> JSONValue {
        try await send(.delete(resource, namespace: namespace, name: name, propagation: propagation, preconditionUID: preconditionUID))
    }

    /// The `autoscaling/v1` Scale of a Deployment (or anything with a `scale` subresource).
    public func scale(_ resource: ResourceRef, namespace: String?, name: String) async throws(KubeError) -> JSONValue {
        try await get(resource, namespace: namespace, name: name, subresource: "scale")
    }

    /// The resources of one API group version (`GET /apis/GROUP/VERSION`, `/api/v1` for the core
    /// group): the discovery document kubectl and client-go's REST mapper read. Nil when the server
    /// does not serve the group version (404).
    public func resources(apiVersion: String) async throws(KubeError) -> [APIResource]? {
        let path = apiVersion.contains("/") ? "/apis/\(apiVersion)" : "/api/\(apiVersion)"
        let list: JSONValue
        do throws(KubeError) {
            list = try await call("GET", path)
        } catch where error.kind == .notFound {
            return nil
        }
        return (list["resources"]?.arrayValue ?? []).compactMap(APIResource.init)
    }

    /// Sets replicas through the `scale` subresource with a merge patch, as `kubectl scale` does.
    @discardableResult
    public func setReplicas(_ resource: ResourceRef, namespace: String?, name: String, to replicas: Int) async throws(KubeError) -> JSONValue {
        try await send(.scale(resource, namespace: namespace, name: name, replicas: replicas))
    }

    // MARK: Plumbing

    /// Sends one request and answers the object (or `Status`, or list) the server returned. An HTTP
    /// error status throws its ``KubeError`` (with the server's `Status`); so does a transfer that
    /// failed, and an answer that is not JSON (`.malformedResponse`).
    public func send(_ request: KubeRequest) async throws(KubeError) -> JSONValue {
        try await call(request.method, request.path, body: request.body, contentType: request.contentType)
    }

    func call(_ method: String, _ path: String, body: JSONValue? = nil, contentType: String = "application/json") async throws(KubeError) -> JSONValue {
        var headers: [(String, String)] = []
        var bytes: [UInt8]?
        if let body {
            headers.append(("Content-Type", contentType))
            bytes = Array(body.compactText.utf8)
        }
        let response: HTTPResponse
        let started = ContinuousClock.now
        do throws(HTTPClientError) {
            response = try await transport.send(method: method, path: path, headers: headers, body: bytes)
        } catch {
            if error.kind != .cancelled { requestCounts.record(code: RequestCounts.noAnswer, method: method) }
            throw KubeError(error)
        }
        requestCounts.record(code: String(response.statusCode), method: method)
        let elapsed = ContinuousClock.now - started
        requestCounts.recordLatency(method: method, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        guard (200..<300).contains(response.statusCode) else {
            throw KubeError.fromResponse(statusCode: response.statusCode, body: response.body,
                                         retryAfter: KubeError.retryAfterSeconds(response.headers["retry-after"]))
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
