import Foundation
import Locking

/// Where the `Authorization` header comes from: a bearer token (fixed, from a file, from a kubeconfig
/// exec plugin) or basic auth. Called on the transfer's own thread, so it may block.
public protocol CredentialSource: Sendable {
    /// The token to send now, or nil for none.
    func bearerToken() throws(HTTPClientError) -> String?
    /// After a 401: forget what is cached; true when a fresh token may fix it (so the request is retried once).
    func refreshAfterUnauthorized() -> Bool
    /// The whole `Authorization` header value; by default `Bearer <token>` (basic auth overrides it).
    func authorizationHeader() throws(HTTPClientError) -> String?
}

extension CredentialSource {
    /// `Bearer <token>`, or nil without a token.
    public func authorizationHeader() throws(HTTPClientError) -> String? {
        try bearerToken().map { "Bearer \($0)" }
    }
}

/// A fixed token (kubeconfig `token`).
public struct StaticToken: CredentialSource {
    let token: String
    /// A source that always gives `token`.
    public init(_ token: String) { self.token = token }
    /// The token.
    public func bearerToken() throws(HTTPClientError) -> String? { token }
    /// A fixed token cannot get better: no retry.
    public func refreshAfterUnauthorized() -> Bool { false }
}

/// A token read from a file (kubeconfig `tokenFile`, the in-cluster service-account token): re-read
/// when the file changes, and at least every `maximumAge` seconds (client-go re-reads every minute),
/// so rotated tokens are picked up.
public final class TokenFile: CredentialSource {
    let path: String
    let maximumAge: Double
    private let cache = Locked<(token: String, read: Date, version: FileVersion?)?>(nil)

    /// What tells one content of the file from the next without reading it: the modification time
    /// (the kernel's coarse clock: two writes a few milliseconds apart may share it), the inode (a
    /// rotation by rename, as the kubelet's projected token and `atomically:` writes do it, gives a
    /// new one) and the size.
    struct FileVersion: Equatable {
        let modified: Date?
        let inode: UInt64?
        let size: UInt64?
    }

    /// `maximumAge`: seconds a read token is used before the file is read again (default 60).
    public init(path: String, maximumAge: Double = 60) {
        self.path = path
        self.maximumAge = maximumAge
    }

    /// The file's token (trimmed), re-read when the file changed or is older than `maximumAge`.
    /// Throws `.credentials` when the file cannot be read.
    public func bearerToken() throws(HTTPClientError) -> String? {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let version = attributes.map {
            FileVersion(modified: $0[.modificationDate] as? Date, inode: ($0[.systemFileNumber] as? NSNumber)?.uint64Value,
                        size: ($0[.size] as? NSNumber)?.uint64Value)
        }
        if let cached = cache.withLock({ $0 }), cached.version == version, Date().timeIntervalSince(cached.read) < maximumAge {
            return cached.token
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw HTTPClientError(.credentials, "cannot read the token file \(path)")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        cache.withLock { $0 = (token, Date(), version) }
        return token
    }

    /// Forgets the token (it may have rotated): the retry reads the file again.
    public func refreshAfterUnauthorized() -> Bool {
        cache.withLock { $0 = nil }
        return true
    }
}
