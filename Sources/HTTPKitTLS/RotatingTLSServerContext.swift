#if canImport(Glibc)
import Glibc
#endif
import HTTPKit
import Locking

/// A TLS configuration read from a certificate and key file and read again when either changes, as
/// controller-runtime's `certwatcher` does for a webhook server: cert-manager renews the Secret, the
/// kubelet swaps the mounted files, and the next handshake uses the new pair without a restart.
///
/// A change is seen by the files' identity (device, inode, size, modification time), checked at each
/// handshake (a `stat` of two files). A pair that does not load (the key written, the certificate not
/// yet) keeps the previous one in use and is tried again at the next handshake.
public final class RotatingTLSServerContext: ConnectionSecurity, Sendable {
    /// The certificate (chain) file, PEM.
    public let certificateFile: String
    /// The key file, PEM.
    public let keyFile: String
    private struct Loaded {
        var context: TLSServerContext
        var identity: [FileIdentity]
        var reloads = 0
        var lastError: String?
    }
    private let state: Locked<Loaded>

    /// Loads the pair now. Throws when it cannot be read or the key does not match.
    public init(certificateFile: String, keyFile: String) throws(ServerError) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        let identity = [FileIdentity(certificateFile), FileIdentity(keyFile)]
        state = Locked(Loaded(context: try TLSServerContext(certificateFile: certificateFile, keyFile: keyFile), identity: identity))
    }

    /// How many times a changed pair was loaded since the start.
    public var reloads: Int { state.withLock { $0.reloads } }
    /// Why the last changed pair could not be loaded (nil once one loads).
    public var lastReloadError: String? { state.withLock { $0.lastError } }

    public func secure(_ socket: SocketStream) -> (any SecureStream)? {
        currentContext().secure(socket)
    }

    /// The context to use now, reloaded first when the files changed.
    private func currentContext() -> TLSServerContext {
        let identity = [FileIdentity(certificateFile), FileIdentity(keyFile)]
        let (context, changed) = state.withLock { ($0.context, $0.identity != identity) }
        guard changed else { return context }
        do throws(ServerError) {
            let fresh = try TLSServerContext(certificateFile: certificateFile, keyFile: keyFile)
            state.withLock { s in
                s.context = fresh
                s.identity = identity
                s.reloads += 1
                s.lastError = nil
            }
            return fresh
        } catch {
            state.withLock { $0.lastError = error.description }
            return context
        }
    }
}

/// What tells a file's new content from its old: device, inode, size, modification time (of the
/// file a symlink leads to, as a mounted Secret's `..data` link does).
struct FileIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: Int64
    let modifiedNanoseconds: Int64

    init(_ path: String) {
        var info = stat()
        if stat(path, &info) == 0 {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = Int64(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
        } else {
            (device, inode, size, modified, modifiedNanoseconds) = (0, 0, -1, 0, 0)
        }
    }
}
