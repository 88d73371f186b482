import JSON

/// An API error, answered as a `Status` object with the HTTP code, as the real API server does:
/// `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":…,"reason":…,"details":…,"code":…}`.
public struct APIError: Error, Sendable, Equatable {
    public let code: Int
    public let reason: String
    public let message: String
    public var details: JSONObject?
    /// Seconds for a `Retry-After` header (429, 503 from fault injection).
    public var retryAfterSeconds: Int?

    public init(code: Int, reason: String, message: String, details: JSONObject? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var status: JSONValue {
        var o: JSONObject = ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": .string(message), "reason": .string(reason)]
        if let details { o["details"] = .object(details) }
        o["code"] = .integer(code)
        return .object(o)
    }

    static func details(_ type: ResourceType, _ name: String) -> JSONObject {
        var d: JSONObject = ["name": .string(name)]
        if !type.group.isEmpty { d["group"] = .string(type.group) }
        d["kind"] = .string(type.plural)
        return d
    }

    static func notFound(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(type.qualifiedName) \"\(name)\" not found", details: details(type, name))
    }

    static func alreadyExists(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(type.qualifiedName) \"\(name)\" already exists", details: details(type, name))
    }

    static func conflict(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 409, reason: "Conflict",
                 message: "Operation cannot be fulfilled on \(type.qualifiedName) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
                 details: details(type, name))
    }

    static func expired(requested: Int, oldest: Int) -> APIError {
        APIError(code: 410, reason: "Expired", message: "too old resource version: \(requested) (\(oldest))")
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    /// One reason an object is invalid, as in `details.causes`.
    struct Cause: Sendable, Equatable {
        let reason: String  // FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueTypeInvalid
        let field: String
        let message: String  // "Invalid value: 0: spec.minReplicas in body should be greater than or equal to 1"
    }

    static func invalid(_ type: ResourceType, _ name: String, causes: [Cause]) -> APIError {
        var d = details(type, name)
        d["kind"] = .string(type.kind)
        d["causes"] = .array(causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] })
        let list = causes.map { "\($0.field): \($0.message)" }
        let summary = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        let qualifiedKind = type.group.isEmpty ? type.kind : "\(type.kind).\(type.group)"
        return APIError(code: 422, reason: "Invalid", message: "\(qualifiedKind) \"\(name)\" is invalid: \(summary)", details: d)
    }

    /// Invalid request options (`ListOptions`, `CreateOptions`, …), as `errors.NewInvalid` words them
    /// for the `meta.k8s.io` group: `ListOptions.meta.k8s.io "" is invalid: <field>: <detail>`.
    static func invalidOptions(_ kind: String, _ causes: [Cause]) -> APIError {
        let list = causes.map { "\($0.field): \($0.message)" }
        let summary = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        return APIError(code: 422, reason: "Invalid", message: "\(kind).meta.k8s.io \"\" is invalid: \(summary)",
                        details: ["group": "meta.k8s.io", "kind": .string(kind),
                                  "causes": .array(causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] })])
    }

    /// A verb refused while the resource's CustomResourceDefinition is being deleted: 405, as the
    /// apiextensions handler answers a create (`customresource_handler.go`).
    static func terminating(_ type: ResourceType, verb: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: "\(verb) not allowed while custom resource definition is terminating",
                 details: ["group": .string(type.group), "kind": .string(type.plural)])
    }

    static func methodNotAllowed(_ method: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
    }

    static func unsupportedMediaType(_ accepted: [String]) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType",
                 message: "the body of the request was in an unknown format - accepted media types include: \(accepted.joined(separator: ", "))")
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    /// Not an answer: the object moved on between a write's read and its commit (``KubeAPI/write``
    /// starts over, as `GuaranteedUpdate` does).
    static let storageConflict = APIError(code: 409, reason: "StorageConflict", message: "the object changed while it was being written")

    static func pathNotFound(_ path: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource", details: ["causes": [["reason": "UnexpectedServerResponse", "message": "404 page not found"]]])
    }
}
