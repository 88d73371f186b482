#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTPKit
import HTTPKitTLS
import Locking
import TestSupport
import Testing

/// A client socket to 127.0.0.1, speaking raw bytes: to play the clients a server must survive.
final class RawConnection {
    let fd: Int32

    init?(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else { Glibc.close(fd); return nil }
    }

    deinit { Glibc.close(fd) }

    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// What the server sent until it closed the connection or `seconds` passed; nil when it is still open.
    func readUntilClosed(within seconds: Double) -> String? {
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { return String(decoding: received, as: UTF8.self) }
            if n > 0 { received += buffer.prefix(n) }
        }
        return nil
    }

    /// One request on this connection; the response's status line (within `seconds`).
    func get(_ path: String, within seconds: Double = 10) -> String? {
        guard send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n") else { return nil }
        return readUntilClosed(within: seconds)?.split(separator: "\r\n").first.map(String.init)
    }
}

/// Many idle connections to a port, held by a process of their own (bash's `/dev/tcp`), so that the
/// test process itself holds no more descriptors than usual while others spawn processes beside it.
final class ConnectionFlood {
    let process = Process()
    private let lines: LineCollector

    /// Opens `count` connections to 127.0.0.1:`port` and holds them (until ``stop()``, or 2 minutes).
    init(port: Int, count: Int) throws {
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "for i in $(seq \(count)); do exec {fd}<>/dev/tcp/127.0.0.1/\(port) || exit 1; done; echo open; exec sleep 120"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        lines = LineCollector(reading: out.fileHandleForReading)
        try process.run()
    }

    /// True once every connection is open.
    func waitUntilOpen(timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !lines.lines.contains("open") && Date() < deadline && process.isRunning { usleep(10_000) }
        return lines.lines.contains("open")
    }

    func stop() { if process.isRunning { process.terminate() } }
    deinit { stop() }
}

@Suite("Bounded HTTP servers: floods, slow clients, large heads", .runsOnOwnThreads)
struct BoundedServerTests {
    func server(_ configure: (inout HTTPServer.Limits) -> Void = { _ in }, tls: (any ConnectionSecurity)? = nil,
                handler: @escaping RequestHandler = { _, writer in writer.send(status: 200, body: Array("ok".utf8)) }) throws -> HTTPServer {
        var limits = HTTPServer.Limits.endpoints
        configure(&limits)
        return try HTTPServer(host: "127.0.0.1", port: 0, tls: tls, limits: limits, handler: handler)
    }

    /// 500 connections that never send a request: the server keeps at most its limit open (the one
    /// waiting longest makes room), and requests made during and after the flood are all answered.
    @Test func aFloodOfIdleConnectionsDoesNotStarveRequests() throws {
        let server = try server { $0.maximumConnections = 16 }
        defer { server.stop() }
        let early = try #require(RawConnection(port: server.port), "one flood connection of our own, to see it closed")
        let flood = try ConnectionFlood(port: server.port, count: 500)
        defer { flood.stop() }
        // During the flood a request is answered at its first or second try: a connection the test
        // thread has opened but not yet written to is silent like the flood's, and when 15 newer
        // ones arrive first (a loaded machine) it is the oldest silent one and makes room, as a
        // probe's connection may; the probe's next period, here an immediate second try, is answered.
        var answers: [String?] = []
        var retried = 0
        while answers.count < 200 && !(flood.waitUntilOpen(timeout: 0) && answers.count >= 20) {
            var answer = RawConnection(port: server.port)?.get("/healthz")
            if answer == nil {
                retried += 1
                answer = RawConnection(port: server.port)?.get("/healthz")
            }
            answers.append(answer)
            #expect(server.connectionCount <= 16)
        }
        #expect(retried <= answers.count / 10, "few first tries lost: \(retried) of \(answers.count)")
        #expect(flood.waitUntilOpen())
        // After it, every request at its first try.
        for _ in 0..<10 { answers.append(RawConnection(port: server.port)?.get("/readyz")) }
        #expect(answers.allSatisfy { $0 == "HTTP/1.1 200 OK" }, "\(answers)")
        #expect(server.connectionCount <= 16)
        #expect(server.shed.evicted >= 500 - 16)
        #expect(early.readUntilClosed(within: 5) != nil, "the longest-waiting connections were closed by the server")
    }

    /// A client that sends its request head a byte at a time (slowloris) is cut at the head
    /// timeout, however steadily it trickles; the handler never runs.
    @Test func aSlowClientIsCutAtTheHeadTimeout() throws {
        let handled = Locked(0)
        let server = try server({ $0.requestHeadTimeout = 1 }) { _, writer in
            handled.withLock { $0 += 1 }
            writer.send(status: 200, body: [])
        }
        defer { server.stop() }
        let slow = try #require(RawConnection(port: server.port))
        let started = Date()
        var open = true
        for byte in "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            guard slow.send(String(byte)) else { open = false; break }
            if slow.readUntilClosed(within: 0.2) != nil { open = false; break }
            if Date().timeIntervalSince(started) > 15 { break }
        }
        #expect(!open, "the server closed the trickling connection")
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(handled.withLock { $0 } == 0)
        #expect(server.shed.timedOut == 1)
    }

    /// A kept-alive connection that sends nothing more is closed after the idle timeout.
    @Test func anIdleKeptAliveConnectionIsClosed() throws {
        let server = try server { $0.idleTimeout = 1 }
        defer { server.stop() }
        let connection = try #require(RawConnection(port: server.port))
        #expect(connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        let answered = connection.readUntilClosed(within: 15)
        #expect(answered?.hasPrefix("HTTP/1.1 200 OK") == true, "answered, then closed when idle: \(answered ?? "still open")")
        #expect(server.shed.timedOut == 1)
    }

    /// A head over the limit is refused with 431, not read on.
    @Test func aHeadTooLargeIs431() throws {
        let server = try server { $0.maximumHeaderBytes = 8 * 1024 }
        defer { server.stop() }
        let connection = try #require(RawConnection(port: server.port))
        connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + String(repeating: "a", count: 20 * 1024) + "\r\n\r\n")
        #expect(connection.readUntilClosed(within: 10)?.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large") == true)
    }

    /// When every connection is in a handler (a watch, a slow answer), there is none to close: a new
    /// connection is told 503 with Retry-After, and served once one is free.
    @Test func whenEveryConnectionIsBusyANewOneIsRefused() throws {
        let release = DispatchSemaphore(value: 0)
        let running = Locked(0)
        let server = try server({ $0.maximumConnections = 2 }) { request, writer in
            if request.path == "/slow" {
                running.withLock { $0 += 1 }
                release.wait()
            }
            writer.send(status: 200, body: [])
        }
        defer { server.stop() }
        let busy = (0..<2).compactMap { _ in RawConnection(port: server.port) }
        for connection in busy { connection.send("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") }
        #expect(busy.count == 2)
        let deadline = Date().addingTimeInterval(10)
        while running.withLock({ $0 }) < 2 && Date() < deadline { usleep(10_000) }
        #expect(RawConnection(port: server.port)?.get("/fast") == "HTTP/1.1 503 Service Unavailable")
        #expect(server.shed.refused == 1)
        release.signal()
        release.signal()
        var served: String?
        for _ in 0..<100 where served != "HTTP/1.1 200 OK" {
            served = RawConnection(port: server.port)?.get("/fast")
            usleep(20_000)
        }
        #expect(served == "HTTP/1.1 200 OK")
    }

    /// A TLS client that connects and never starts its handshake is cut at the head timeout too.
    @Test func aStalledTLSHandshakeIsCut() throws {
        let certificates = TestCertificates.shared
        let tls = try TLSServerContext(certificateFile: certificates.serverCertificate, keyFile: certificates.serverKey)
        let server = try server({ $0.requestHeadTimeout = 1 }, tls: tls)
        defer { server.stop() }
        let stalled = try #require(RawConnection(port: server.port))
        #expect(stalled.readUntilClosed(within: 15) != nil, "closed by the server")
        let curl = run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", certificates.ca, "https://127.0.0.1:\(server.port)/"])
        #expect(curl.stdout == "200", "and real clients are served: \(curl.stderr)")
    }
}
