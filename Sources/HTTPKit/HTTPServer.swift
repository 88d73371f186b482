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
/// reused) serves requests in turn (keep-alive), so a watch holds only its own connection's
/// thread. Secured (TLS) when given
/// a ``ConnectionSecurity``.
public final class HTTPServer: Sendable {
    public let port: Int
    public let host: String
    private let listener: Int32
    private let tls: (any ConnectionSecurity)?
    private let handler: RequestHandler
    private let connections = Locked<[Int32: SocketStream]>([:])
    private let stopped = Locked(false)
    private let acceptDone = DispatchSemaphore(value: 0)

    /// Binds `host:port` (port 0 picks a free one) and starts accepting.
    public init(host: String, port: Int, tls: (any ConnectionSecurity)?, handler: @escaping RequestHandler) throws(ServerError) {
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
                if errno == EINTR { continue }
                return  // the listener was closed
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let socket = SocketStream(fd: fd)
            connections.withLock { $0[fd] = socket }
            BlockingThreads.shared.run { [self] in serve(socket) }
        }
    }

    private func serve(_ socket: SocketStream) {
        defer { connections.withLock { _ = $0.removeValue(forKey: socket.fd) } }
        let stream: any ByteStream
        var clientName: String?
        if let tls {
            guard let secured = tls.secure(socket) else { socket.close(); return }
            stream = secured
            clientName = secured.verifiedClientName()
        } else {
            stream = socket
        }
        defer { stream.close() }
        var reader = HTTPRequestReader(stream: stream)
        while !stopped.withLock({ $0 }) {
            var request: HTTPRequest
            do throws(HTTPRequestReader.ReadError) {
                request = try reader.next()
                request.clientCertificateName = clientName
            } catch {
                if case .closed = error { return }
                let writer = HTTPResponseWriter(stream: stream, keepAlive: false)
                writer.send(status: error.isTooLarge ? 413 : 400, headers: [("Content-Type", "text/plain")], body: Array("bad request\n".utf8))
                return
            }
            let writer = HTTPResponseWriter(stream: stream, keepAlive: !request.wantsClose)
            handler(request, writer)
            if !writer.keepAlive { return }
        }
    }

    /// Open connections right now.
    public var connectionCount: Int { connections.withLock { $0.count } }

    /// Drops every open connection (the clients see them close), keeping the listener.
    public func dropConnections() {
        for socket in connections.withLock({ Array($0.values) }) { socket.shutdown() }
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
    var isTooLarge: Bool {
        if case .tooLarge = self { return true }
        return false
    }
}
