import JSON

/// An error from the Kubernetes API or the way to it. Match on ``kind`` (`error.kind == .conflict`);
/// new kinds can be added without breaking callers. API errors keep the server's `Status` body.
public struct KubeError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a closed set of names behind a struct (so the set can grow).
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: String {
            case notFound = "NotFound", alreadyExists = "AlreadyExists", conflict = "Conflict", gone = "Gone"
            case invalid = "Invalid", forbidden = "Forbidden", unauthorized = "Unauthorized", tooManyRequests = "TooManyRequests"
            case serverTimeout = "ServerTimeout", internalError = "InternalError", serviceUnavailable = "ServiceUnavailable"
            case badRequest = "BadRequest", methodNotAllowed = "MethodNotAllowed", unsupportedMediaType = "UnsupportedMediaType"
            case otherStatus = "OtherStatus"
            case tlsVerification = "TLSVerification", connectionFailed = "ConnectionFailed", timedOut = "TimedOut"
            case cancelled = "Cancelled", transport = "Transport", malformedResponse = "MalformedResponse", configuration = "Configuration"
            case notLeader = "NotLeader"
        }

        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// 404.
        public static let notFound = Kind(.notFound)
        /// 409 with reason `AlreadyExists` (a create).
        public static let alreadyExists = Kind(.alreadyExists)
        /// 409 otherwise: the resourceVersion sent is stale (read again and retry).
        public static let conflict = Kind(.conflict)
        /// 410: the resourceVersion is too old (HTTP status or a watch `ERROR` event): relist.
        public static let gone = Kind(.gone)
        /// 422: the object fails validation (``KubeError/causes`` says where).
        public static let invalid = Kind(.invalid)
        /// 403: RBAC does not allow it.
        public static let forbidden = Kind(.forbidden)
        /// 401: the credentials were refused (after one refresh).
        public static let unauthorized = Kind(.unauthorized)
        /// 429: throttled (``KubeError/retryAfter`` says how long to wait).
        public static let tooManyRequests = Kind(.tooManyRequests)
        /// 504, or reason `Timeout`/`ServerTimeout`.
        public static let serverTimeout = Kind(.serverTimeout)
        /// 500.
        public static let internalError = Kind(.internalError)
        /// 503.
        public static let serviceUnavailable = Kind(.serviceUnavailable)
        /// 400.
        public static let badRequest = Kind(.badRequest)
        /// 405.
        public static let methodNotAllowed = Kind(.methodNotAllowed)
        /// 415: a patch type the resource does not take (strategic merge on a custom resource).
        public static let unsupportedMediaType = Kind(.unsupportedMediaType)
        /// Another HTTP error status.
        public static let otherStatus = Kind(.otherStatus)
        /// The server's certificate did not verify against the CA (never silently skipped).
        public static let tlsVerification = Kind(.tlsVerification)
        /// The server could not be reached, or the connection broke.
        public static let connectionFailed = Kind(.connectionFailed)
        /// The connect or request timeout passed (or a watch was silent too long).
        public static let timedOut = Kind(.timedOut)
        /// The caller cancelled the request.
        public static let cancelled = Kind(.cancelled)
        /// Another transport failure; the message is curl's.
        public static let transport = Kind(.transport)
        /// The answer is not the JSON it should be.
        public static let malformedResponse = Kind(.malformedResponse)
        /// A kubeconfig, in-cluster or credential problem.
        public static let configuration = Kind(.configuration)
        /// Not sent: the process does not hold the leader-election Lease (or has not renewed it
        /// within its renew deadline), so it must not write.
        public static let notLeader = Kind(.notLeader)

        public var description: String { code.rawValue }
    }

    /// What went wrong.
    public let kind: Kind
    /// The server's message (its `Status`), or the transport's.
    public let message: String
    /// The HTTP status, for API errors.
    public let statusCode: Int?
    /// The server's `Status` object, for API errors that carried one.
    public let status: JSONValue?
    /// `Retry-After` in seconds, when the server sent one.
    public let retryAfter: Double?

    /// An error from its parts.
    public init(_ kind: Kind, _ message: String, statusCode: Int? = nil, status: JSONValue? = nil, retryAfter: Double? = nil) {
        self.kind = kind
        self.message = message
        self.statusCode = statusCode
        self.status = status
        self.retryAfter = retryAfter
    }

    /// `Invalid` causes: (field, message).
    public var causes: [(field: String, message: String)] {
        (status?["details"]?["causes"]?.arrayValue ?? []).map { ($0["field"]?.stringValue ?? "", $0["message"]?.stringValue ?? "") }
    }

    /// Worth retrying the same request later: 429, 5xx timeouts and unavailability, connection trouble.
    public var isRetryable: Bool {
        [.tooManyRequests, .serverTimeout, .internalError, .serviceUnavailable, .connectionFailed, .timedOut].contains(kind)
    }

    public var description: String {
        statusCode.map { "\(kind) (\($0)): \(message)" } ?? "\(kind): \(message)"
    }

    /// How long the server asked the client to wait before trying again (`Retry-After`, or a
    /// `Status`'s `details.retryAfterSeconds`), nil when it did not say.
    public var retryAfterDuration: Duration? { retryAfter.map { .milliseconds(Int64(($0 * 1000).rounded(.up))) } }

    /// `Retry-After` in seconds: the delay-seconds form, as client-go's `retryAfterSeconds` reads it
    /// (an HTTP-date, or anything else, is ignored); negative values are none.
    public static func retryAfterSeconds(_ header: String?) -> Double? {
        guard let text = header?.filter({ $0 != " " && $0 != "\t" }), let seconds = Double(text), seconds.isFinite, seconds >= 0 else { return nil }
        return seconds
    }

    /// The error an HTTP error response stands for, from its status and `Status` body.
    static func fromResponse(statusCode: Int, body: [UInt8], retryAfter: Double?) -> KubeError {
        let status = try? JSONValue(parsing: body)
        let reason = status?["reason"]?.stringValue ?? ""
        let message = status?["message"]?.stringValue ?? String(decoding: body.prefix(512), as: UTF8.self)
        let kind: Kind
        switch (statusCode, reason) {
        case (404, _): kind = .notFound
        case (409, "AlreadyExists"): kind = .alreadyExists
        case (409, _): kind = .conflict
        case (410, _): kind = .gone
        case (422, _): kind = .invalid
        case (403, _): kind = .forbidden
        case (401, _): kind = .unauthorized
        case (429, _): kind = .tooManyRequests
        case (504, _), (_, "Timeout"), (_, "ServerTimeout"): kind = .serverTimeout
        case (500, _): kind = .internalError
        case (503, _): kind = .serviceUnavailable
        case (400, _): kind = .badRequest
        case (405, _): kind = .methodNotAllowed
        case (415, _): kind = .unsupportedMediaType
        default: kind = .otherStatus
        }
        // A `Status` may suggest the delay itself (`details.retryAfterSeconds`: client-go's SuggestsClientDelay).
        let suggested = status?["details"]?["retryAfterSeconds"]?.intValue.map(Double.init)
        return KubeError(kind, message.isEmpty ? "HTTP \(statusCode)" : message, statusCode: statusCode,
                         status: status?["kind"] == "Status" ? status : nil, retryAfter: retryAfter ?? suggested)
    }

    /// The error an `ERROR` watch event carries.
    static func fromWatchError(_ status: JSONValue) -> KubeError {
        let code = status["code"]?.intValue ?? 500
        return fromResponse(statusCode: code, body: Array(status.compactText.utf8), retryAfter: nil)
    }
}
