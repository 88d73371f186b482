#if canImport(Glibc)
import Glibc
#endif
import Locking

/// A connected, blocking byte stream: a plain TCP socket or TLS over one.
public protocol ByteStream: AnyObject, Sendable {
    /// Reads up to `count` bytes; 0 at end of stream or on error.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int
    /// Writes all of `bytes`; false when the peer is gone.
    func write(_ bytes: [UInt8]) -> Bool
    /// Closes the stream and its socket (idempotent).
    func close()
    /// True when the client has closed the connection or sent something (a TLS close_notify, say)
    /// while a response is still streaming to it: either way it is done listening.
    func clientLeft() -> Bool
}

/// A TCP socket. `send` uses MSG_NOSIGNAL so that a vanished peer is an error, not a SIGPIPE.
public final class SocketStream: ByteStream {
    /// The socket's descriptor (a ``ConnectionSecurity`` runs its handshake on it).
    public let fd: Int32
    private let closed = Locked(false)

    init(fd: Int32) { self.fd = fd }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = Glibc.recv(fd, buffer.baseAddress, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            return max(0, n)
        }
    }

    public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return Glibc.send(fd, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    public func clientLeft() -> Bool {
        var byte: UInt8 = 0
        let n = Glibc.recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR }
        return true  // 0: orderly close; >0: the client sent something mid-stream
    }

    /// The peer has sent bytes not read yet (without waiting, without reading them).
    public func hasPendingBytes() -> Bool {
        var byte: UInt8 = 0
        return Glibc.recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    /// Wakes a thread blocked in read or write without releasing the descriptor.
    public func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    /// How long a read may block before it fails (seconds; 0: forever): `SO_RCVTIMEO`. A TLS stream
    /// over this socket blocks in the same reads, so the limit holds for it too.
    public func setReceiveTimeout(_ seconds: Double) { setTimeout(SO_RCVTIMEO, seconds) }

    /// How long a write may block (a client that stops reading) before it fails: `SO_SNDTIMEO`.
    public func setSendTimeout(_ seconds: Double) { setTimeout(SO_SNDTIMEO, seconds) }

    private func setTimeout(_ option: Int32, _ seconds: Double) {
        let whole = max(0, seconds.rounded(.down))
        // At least a millisecond: a zero timeval means "no timeout".
        let micros = seconds > 0 ? max(1000, (seconds - whole) * 1e6) : 0
        var value = timeval(tv_sec: Int(whole), tv_usec: Int(micros))
        setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    public func close() {
        let shouldClose = closed.withLock { wasClosed in
            defer { wasClosed = true }
            return !wasClosed
        }
        if shouldClose {
            shutdown()
            _ = Glibc.close(fd)
        }
    }
}
