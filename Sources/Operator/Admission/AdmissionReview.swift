import JSON

/// An `admission.k8s.io/v1` AdmissionReview request, the parts a validating webhook reads
/// (`v1beta1`, the same shape, is read too and answered in kind).
public struct AdmissionRequest: Sendable {
    /// `admission.k8s.io/v1` or `admission.k8s.io/v1beta1`: the answer carries the same.
    public let apiVersion: String
    /// Echoed in the response: the API server checks it.
    public let uid: String
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
    public let operation: String
    /// The object's namespace and name.
    public let namespace: String
    public let name: String
    /// The object as it would be stored; nil for DELETE.
    public let object: JSONValue?
    /// The stored object, for UPDATE and DELETE.
    public let oldObject: JSONValue?
    /// A dry run (`kubectl apply --dry-run=server`): nothing will be stored.
    public let dryRun: Bool

    /// Reads a review. Throws ``AdmissionReviewError`` when the body is not one.
    public init(body: [UInt8]) throws(AdmissionReviewError) {
        let review: JSONValue
        do throws(JSONParseError) {
            review = try JSONValue(parsing: body)
        } catch {
            throw AdmissionReviewError("couldn't decode the AdmissionReview: \(error)")
        }
        guard review["kind"]?.stringValue == "AdmissionReview" else {
            throw AdmissionReviewError("expected kind AdmissionReview, found \(review["kind"]?.compactText ?? "none")")
        }
        let version = review["apiVersion"]?.stringValue ?? ""
        guard ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"].contains(version) else {
            throw AdmissionReviewError("unsupported AdmissionReview apiVersion \(version.isEmpty ? "(none)" : version)")
        }
        guard let request = review["request"], let uid = request["uid"]?.stringValue else {
            throw AdmissionReviewError("the AdmissionReview has no request (or no request.uid)")
        }
        apiVersion = version
        self.uid = uid
        operation = request["operation"]?.stringValue ?? ""
        namespace = request["namespace"]?.stringValue ?? ""
        name = request["name"]?.stringValue ?? ""
        object = request["object"].flatMap { $0.isNull ? nil : $0 }
        oldObject = request["oldObject"].flatMap { $0.isNull ? nil : $0 }
        dryRun = request["dryRun"]?.boolValue ?? false
    }
}

/// A body that is not an AdmissionReview.
public struct AdmissionReviewError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The `response` of an AdmissionReview, written as controller-runtime's `admission.Allowed`,
/// `admission.Denied` (403, reason Forbidden) and `admission.Errored` (the code given) write it.
public struct AdmissionResponse: Sendable {
    public var uid: String
    public var allowed: Bool
    /// The refusal (or error): code, reason, message.
    public var status: (code: Int, reason: String?, message: String)?
    /// Shown to the client as `Warning:` lines.
    public var warnings: [String] = []

    /// The whole review to send back, in the request's apiVersion.
    public func review(apiVersion: String) -> JSONValue {
        var response: JSONObject = ["uid": .string(uid), "allowed": .bool(allowed)]
        if let status {
            var s: JSONObject = ["metadata": [:], "message": .string(status.message)]
            if let reason = status.reason { s["reason"] = .string(reason) }
            s["code"] = .integer(status.code)
            response["status"] = .object(s)
        }
        if !warnings.isEmpty { response["warnings"] = .array(warnings.map(JSONValue.string)) }
        return ["kind": "AdmissionReview", "apiVersion": .string(apiVersion), "response": .object(response)]
    }

    /// Allowed, with warnings.
    public static func allowed(_ uid: String, warnings: [String] = []) -> AdmissionResponse {
        AdmissionResponse(uid: uid, allowed: true, status: nil, warnings: warnings)
    }

    /// Refused: 403, reason Forbidden, the message (the API server prefixes who refused it).
    public static func denied(_ uid: String, _ message: String, warnings: [String] = []) -> AdmissionResponse {
        AdmissionResponse(uid: uid, allowed: false, status: (403, "Forbidden", message), warnings: warnings)
    }

    /// The request could not be handled (a malformed review): refused with `code`.
    public static func errored(_ uid: String, code: Int, _ message: String) -> AdmissionResponse {
        AdmissionResponse(uid: uid, allowed: false, status: (code, nil, message))
    }
}
