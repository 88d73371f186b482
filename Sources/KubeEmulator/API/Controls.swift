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

/// A fault to inject: the next `count` requests matching `verb` (or any, when nil) and a path prefix
/// are answered with `status` (and `Retry-After`), or delayed by `delaySeconds` and then served.
public struct Fault: Sendable {
    public var verb: String?
    public var pathPrefix: String
    public var status: Int?
    public var retryAfterSeconds: Int?
    public var delaySeconds: Double
    public var count: Int

    public init(verb: String? = nil, pathPrefix: String = "/", status: Int? = nil, retryAfterSeconds: Int? = nil,
                delaySeconds: Double = 0, count: Int = 1) {
        self.verb = verb
        self.pathPrefix = pathPrefix
        self.status = status
        self.retryAfterSeconds = retryAfterSeconds
        self.delaySeconds = delaySeconds
        self.count = count
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
}
