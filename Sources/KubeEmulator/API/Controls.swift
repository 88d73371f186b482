import HTTPKit
import Foundation
import JSON
import Locking

/// Bearer-token authentication against a file of tokens (one per line), re-read when it changes,
/// so tests can rotate tokens under a running server.
final class TokenAuthenticator: Sendable {
    let path: String
    private let cache = Locked<(modified: Date?, size: Int, tokens: Set<String>)>((nil, -1, []))

    init(path: String) { self.path = path }

    func allows(_ authorization: String?) -> Bool {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        let token = String(authorization.dropFirst("Bearer ".count)).trimmingSpaces()
        return !token.isEmpty && tokens().contains(token)
    }

    private func tokens() -> Set<String> {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let modified = attributes?[.modificationDate] as? Date
        let size = (attributes?[.size] as? Int) ?? -1
        if let cached = cache.withLock({ $0.modified == modified && $0.size == size ? $0.tokens : nil }) { return cached }
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let tokens = Set(text.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }.filter { !$0.isEmpty })
        cache.withLock { $0 = (modified, size, tokens) }
        return tokens
    }
}

/// A fault to inject: the next `count` requests matching `verb` (or any, when nil), a path prefix
/// and a `User-Agent` (any, when nil) are answered with `status` (and `Retry-After`, and the
/// `Status` reason and message the API server gives that status unless `message` says otherwise),
/// or delayed by `delaySeconds` and then served, or, with `hang`, never answered: held until the
/// client gives up (then closed unanswered, never served late) or the emulator stops.
public struct Fault: Sendable {
    public var verb: String?
    public var pathPrefix: String
    public var status: Int?
    public var retryAfterSeconds: Int?
    public var delaySeconds: Double
    public var count: Int
    /// Only requests whose `User-Agent` is this one (one client of several).
    public var userAgent: String?
    /// Hold the request unanswered until the client leaves.
    public var hang: Bool
    /// The `Status` message (default: what the API server says for the status).
    public var message: String?

    public init(verb: String? = nil, pathPrefix: String = "/", status: Int? = nil, retryAfterSeconds: Int? = nil,
                delaySeconds: Double = 0, count: Int = 1, userAgent: String? = nil, hang: Bool = false, message: String? = nil) {
        self.verb = verb
        self.pathPrefix = pathPrefix
        self.status = status
        self.retryAfterSeconds = retryAfterSeconds
        self.delaySeconds = delaySeconds
        self.count = count
        self.userAgent = userAgent
        self.hang = hang
        self.message = message
    }

    /// The `Status` reason of an injected status, as the API server names it.
    static func reason(_ code: Int) -> String {
        switch code {
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 409: return "Conflict"
        case 410: return "Expired"
        case 429: return "TooManyRequests"
        case 503: return "ServiceUnavailable"
        case 504: return "Timeout"
        default: return "InternalError"
        }
    }
}

/// One served request, for tests to assert on.
public struct RecordedRequest: Sendable, Equatable {
    public let verb: String
    public let method: String
    public let path: String
    public let query: [String: String]
    public let contentType: String?
    public let status: Int
    /// The client's `User-Agent` (tests tell the operator's requests from their own by it).
    public var userAgent: String? = nil
    /// When the request came in (monotonic seconds, `CLOCK_MONOTONIC`): for tests that measure the
    /// wait between two requests.
    public var time: Double = 0
}
