/// Why an HTTP request got no response: the connection, TLS, a timeout, cancellation, a response
/// too large to hold, or the credentials. An HTTP error status is a response, not this error. Match
/// on ``kind`` (`error.kind == .timedOut`); new kinds can be added without breaking callers.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a closed set of names behind a struct (so the set can grow).
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: String {
            case connectionFailed = "ConnectionFailed", timedOut = "TimedOut", tlsVerification = "TLSVerification"
            case cancelled = "Cancelled", responseTooLarge = "ResponseTooLarge", credentials = "Credentials", transport = "Transport"
        }

        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// The server could not be reached, or the connection broke (refused, reset, no answer).
        public static let connectionFailed = Kind(.connectionFailed)
        /// The connect or request timeout passed (or a stream was silent for its inactivity timeout).
        public static let timedOut = Kind(.timedOut)
        /// The server's certificate did not verify against the CA (never silently skipped).
        public static let tlsVerification = Kind(.tlsVerification)
        /// The caller cancelled the request (its task, or a stream's cancel flag).
        public static let cancelled = Kind(.cancelled)
        /// The body was longer than ``TransportConfiguration/maximumResponseBytes``; refused.
        public static let responseTooLarge = Kind(.responseTooLarge)
        /// The credential source could not produce an `Authorization` header (an unreadable token
        /// file, a failing exec plugin).
        public static let credentials = Kind(.credentials)
        /// Another failure; the message is libcurl's.
        public static let transport = Kind(.transport)

        public var description: String { code.rawValue }
    }

    /// What went wrong.
    public let kind: Kind
    /// libcurl's or the credential source's words.
    public let message: String

    /// An error of `kind`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }
}
