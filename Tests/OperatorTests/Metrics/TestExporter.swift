import Foundation
import HTTPKit
import HTTPKitTLS
import Locking

/// A `/metrics` endpoint on a loopback address for tests: serves whatever `body` says now, or
/// answers slowly, or not at all (stopped). Also answers other paths through `otherPaths`.
final class TestExporter: Sendable {
    enum Behaviour: Sendable {
        case serve
        /// Answers after this many seconds.
        case slow(Double)
    }

    let host: String
    private let server: HTTPServer
    let body = Locked("")
    /// When set, the body is made at each request (counters that grow with time).
    let bodyProvider = Locked<(@Sendable () -> String)?>(nil)
    let behaviour = Locked(Behaviour.serve)
    let requests = Locked(0)
    /// Request headers of the last request (for auth checks).
    let lastHeaders = Locked<[String: String]>([:])
    let otherPaths = Locked<[String: (status: Int, body: String)]>([:])

    var port: Int { server.port }
    var url: String { "http://\(host):\(port)" }

    init(host: String = "127.0.0.1", port: Int = 0, tls: TLSServerContext? = nil) throws {
        self.host = host
        let body = self.body, bodyProvider = self.bodyProvider, behaviour = self.behaviour, requests = self.requests, lastHeaders = self.lastHeaders, otherPaths = self.otherPaths
        server = try HTTPServer(host: host, port: port, tls: tls) { request, writer in
            requests.withLock { $0 += 1 }
            lastHeaders.withLock { $0 = request.headers }
            if case .slow(let seconds) = behaviour.withLock({ $0 }) { Thread.sleep(forTimeInterval: seconds) }
            if let other = otherPaths.withLock({ $0[request.path] }) {
                _ = writer.send(status: other.status, headers: [("Content-Type", "application/json")], body: Array(other.body.utf8))
                return
            }
            let text = bodyProvider.withLock { $0 }?() ?? body.withLock { $0 }
            _ = writer.send(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], body: Array(text.utf8))
        }
    }

    func stop() { server.stop() }
    deinit { server.stop() }
}
