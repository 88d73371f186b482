#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Locking

/// A server that could not start (a port in use, unreadable certificates).
public struct ServerError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Handles one request; writes the response through the writer (whole, or streamed).
public typealias RequestHandler = @Sendable (HTTPRequest, HTTPResponseWriter) -> Void

/// Secures the connections a server accepts. `HTTPKitTLS` has the TLS one (OpenSSL), so that a
/// plain server, such as the operator's probe and metrics endpoints, links no TLS library.
public protocol ConnectionSecurity: Sendable {
    /// Performs the handshake on an accepted socket; nil when the client gives up or fails it.
    func secure(_ socket: SocketStream) -> (any SecureStream)?
}

/// A byte stream over a secured connection.
public protocol SecureStream: ByteStream {
    /// The common name of the client's certificate when it presented one that verified, else nil.
    func verifiedClientName() -> String?
}

/// A blocking HTTP/1.1 server (used by the API-server emulator and by the operator's probe and
/// metrics endpoints): one thread accepts, one thread per connection (from ``BlockingThreads``,
/// reused) serves requests in turn (keep-alive), so a watch holds only its own connection's thread.
/// Secured (TLS) when given a ``ConnectionSecurity``.
///
/// Bounded (``Limits``), so that a flood of connections cannot starve the requests that matter (a
/// kubelet's probe) nor grow threads and memory without end: at most ``Limits/maximumConnections``
/// connections at once, each with its own thread. When all are taken, the connection that has waited
/// longest without sending a byte is closed to make room (else the one waiting longest, a request
/// half-sent; a connection in a handler, such as a watch, is never taken), so a flood of idle
/// connections cannot push out a request on its way; when every one is in a handler, the new
/// connection is refused. Clients that are
/// idle or slow are timed out (Go's `IdleTimeout`, `ReadHeaderTimeout`, `ReadTimeout` and
/// `WriteTimeout`, with controller-runtime's values where it sets them), so a slowloris client that
/// sends its head a byte at a time holds a thread no longer than ``Limits/requestHeadTimeout``.
public final class HTTPServer: Sendable {
    /// How much a server takes on, and how long it waits for a client.
    public struct Limits: Sendable {
        /// Connections served at once (default 1,024: the emulator's watches each hold one).
        public var maximumConnections = 1024
        /// Seconds from a connection's start to the end of its first request's head, and from the
        /// first byte of each later request to the end of its head (default 32 s: controller-runtime's
        /// `ReadHeaderTimeout`, `pkg/internal/httpserver`). Also bounds the TLS handshake.
        public var requestHeadTimeout = 32.0
        /// Seconds a kept-alive connection may wait for its next request (default 90 s:
        /// controller-runtime's `IdleTimeout`, which matches Go's client keep-alive).
        public var idleTimeout = 90.0
        /// Seconds from the end of a request's head to the end of its body (default 60 s).
        public var bodyTimeout = 60.0
        /// Seconds a response write may stall on a client that does not read (default 60 s).
        public var writeTimeout = 60.0
        /// The largest request head, request line and headers (default 64 KiB; Go's default is 1 MiB,
        /// and no Kubernetes client sends more than a few KiB). Larger: 431.
        public var maximumHeaderBytes = 64 * 1024

        /// The defaults.
        public init() {}

        /// For a process's own probe and metrics endpoints: a kubelet's probes and a Prometheus or
        /// two, so 64 connections; the timeouts as above.
        public static var endpoints: Limits {
            var limits = Limits()
            limits.maximumConnections = 64
            return limits
        }
    }

    public let port: Int
    public let host: String
    /// Its limits.
    public let limits: Limits
    private let listener: Int32
    private let tls: (any ConnectionSecurity)?
    private let handler: RequestHandler
    private let connections = Locked<[Int32: Connection]>([:])
    private let counters = Locked((refused: 0, evicted: 0, timedOut: 0))
    private let stopped = Locked(false)
    private let acceptDone = DispatchSemaphore(value: 0)

    /// One open connection: its socket, and what it is doing (monotonic seconds).
    private final class Connection: Sendable {
        enum State {
            /// Waiting for a request since then: a candidate to make room.
            case waiting(since: Double)
            /// A request is arriving (its first bytes are in); it has the head timeout to finish.
            case arriving(since: Double)
            /// A handler has it (an answer being written, a watch).
            case busy
        }
        let socket: SocketStream
        let state: Locked<State>
        init(_ socket: SocketStream) {
            self.socket = socket
            state = Locked(.waiting(since: MonotonicTime.seconds()))
        }

        /// Since when it has waited, and whether it has sent nothing at all yet (nothing read, nothing
        /// in its socket's buffer); nil while busy.
        var idleness: (since: Double, silent: Bool)? {
            switch state.withLock({ $0 }) {
            case .waiting(let since): return (since, !socket.hasPendingBytes())
            case .arriving(let since): return (since, false)
            case .busy: return nil
            }
        }
    }

    /// Binds `host:port` (port 0 picks a free one) and starts accepting, within `limits`.
    public init(host: String, port: Int, tls: (any ConnectionSecurity)?, limits: Limits = Limits(),
                handler: @escaping RequestHandler) throws(ServerError) {
        signal(SIGPIPE, SIG_IGN)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            Glibc.close(fd)
            throw ServerError("\(host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw ServerError("cannot listen on \(host):\(port): \(message)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.host = host
        self.limits = limits
        self.listener = fd
        self.tls = tls
        self.handler = handler
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    private func acceptLoop() {
        defer { acceptDone.signal() }
        while !stopped.withLock({ $0 }) {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE {
                    // Out of descriptors: let the connections we have finish before taking more.
                    usleep(100_000)
                    continue
                }
                return  // the listener was closed
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let socket = SocketStream(fd: fd)
            guard admit(socket) else {
                refuse(socket)
                continue
            }
            BlockingThreads.shared.run { [self] in serve(socket) }
        }
    }

    /// Makes room for a new connection: under the limit, it is registered; at it, the connection
    /// waiting longest for a request is closed and forgotten; when every connection is in a
    /// handler, there is no room (false).
    private func admit(_ socket: SocketStream) -> Bool {
        let (admitted, victim) = connections.withLock { open -> (Bool, SocketStream?) in
            var victim: SocketStream?
            if open.count >= limits.maximumConnections {
                // The longest-waiting silent connection, else the longest-waiting one.
                let idle = open.compactMap { fd, c in c.idleness.map { (fd, $0.since, $0.silent) } }
                guard let chosen = idle.min(by: { ($0.2 ? 0 : 1, $0.1) < ($1.2 ? 0 : 1, $1.1) }) else { return (false, nil) }
                victim = open.removeValue(forKey: chosen.0)?.socket
            }
            open[socket.fd] = Connection(socket)
            return (true, victim)
        }
        if let victim {
            counters.withLock { $0.evicted += 1 }
            victim.shutdown()  // its thread's read returns, and the thread ends
        }
        return admitted
    }

    /// No room: a plain client is told so (503, try again in a second); then the socket is closed.
    private func refuse(_ socket: SocketStream) {
        counters.withLock { $0.refused += 1 }
        if tls == nil {
            socket.setSendTimeout(1)
            _ = socket.write(Array("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".utf8))
        }
        socket.close()
    }

    private func serve(_ socket: SocketStream) {
        let connection = connections.withLock { $0[socket.fd] }
        defer { connections.withLock { if $0[socket.fd] === connection { $0[socket.fd] = nil } } }
        socket.setSendTimeout(limits.writeTimeout)
        let stream: any ByteStream
        var clientName: String?
        if let tls {
            // The handshake is part of the first request's head: a client that stalls in it is timed out.
            socket.setReceiveTimeout(limits.requestHeadTimeout)
            guard let secured = tls.secure(socket) else { socket.close(); return }
            stream = secured
            clientName = secured.verifiedClientName()
        } else {
            stream = socket
        }
        defer { stream.close() }
        let readLimits = HTTPRequestReader.ReadLimits(head: limits.requestHeadTimeout, idle: limits.idleTimeout, body: limits.bodyTimeout)
        var reader = HTTPRequestReader(stream: stream, maximumHeaderBytes: limits.maximumHeaderBytes, limits: readLimits,
                                       armTimeout: { socket.setReceiveTimeout($0) },
                                       onArrival: { connection?.state.withLock { $0 = .arriving(since: MonotonicTime.seconds()) } })
        while !stopped.withLock({ $0 }) {
            var request: HTTPRequest
            connection?.state.withLock { if case .busy = $0 { $0 = .waiting(since: MonotonicTime.seconds()) } }
            do throws(HTTPRequestReader.ReadError) {
                request = try reader.next()
                request.clientCertificateName = clientName
            } catch {
                switch error {
                case .closed: return
                case .timedOut:
                    counters.withLock { $0.timedOut += 1 }
                    return
                default:
                    let writer = HTTPResponseWriter(stream: stream, keepAlive: false)
                    writer.send(status: error.status, headers: [("Content-Type", "text/plain")], body: Array("bad request\n".utf8))
                    return
                }
            }
            connection?.state.withLock { $0 = .busy }
            socket.setReceiveTimeout(0)
            let writer = HTTPResponseWriter(stream: stream, keepAlive: !request.wantsClose)
            handler(request, writer)
            if !writer.keepAlive { return }
        }
    }

    /// Open connections right now.
    public var connectionCount: Int { connections.withLock { $0.count } }

    /// Connections refused for want of room, closed to make room, and timed out (idle or slow) so far.
    public var shed: (refused: Int, evicted: Int, timedOut: Int) { counters.withLock { $0 } }

    /// Drops every open connection (the clients see them close), keeping the listener.
    public func dropConnections() {
        for connection in connections.withLock({ Array($0.values) }) { connection.socket.shutdown() }
    }

    /// Stops accepting, drops every connection, and waits for the accept thread to end.
    public func stop() {
        let first = stopped.withLock { s in
            defer { s = true }
            return !s
        }
        guard first else { return }
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        acceptDone.wait()
        dropConnections()
    }
}

extension HTTPRequestReader.ReadError {
    /// The status a request that could not be read is answered with.
    var status: Int {
        switch self {
        case .tooLarge: return 413
        case .headTooLarge: return 431
        default: return 400
        }
    }
}
