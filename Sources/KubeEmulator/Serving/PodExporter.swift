#if canImport(Glibc)
import Glibc
#endif
import HTTPKit
import Locking

/// One simulated pod's `/metrics` listener on its own loopback pod IP, and the counters it serves.
final class PodExporter: Sendable {
    let podUID: String
    /// The Deployment's uid: the pool whose requests the pod serves.
    let ownerUID: String
    let ip: String
    let counters: Locked<TritonCounters>
    private let server: HTTPServer

    private init(podUID: String, ownerUID: String, counters: Locked<TritonCounters>, server: HTTPServer) {
        self.podUID = podUID
        self.ownerUID = ownerUID
        self.ip = server.host
        self.counters = counters
        self.server = server
    }

    /// Binds the next free address of `addresses` on `port` and serves the pod's counters there
    /// as `model`'s; nil when no address could be bound.
    static func start(podUID: String, ownerUID: String, model: String, port: Int, addresses: LoopbackAddresses) -> PodExporter? {
        let counters = Locked(TritonCounters())
        let gpu = "GPU-" + FakeKubelet.hash(podUID)
        let server = addresses.bind(port: port) { request, writer in
            guard request.method == "GET" || request.method == "HEAD", request.path == "/metrics" else {
                writer.send(status: 404, headers: [("Content-Type", "text/plain")], body: Array("not found\n".utf8))
                return
            }
            let text = counters.withLock { $0 }.exposition(model: model, gpu: gpu)
            writer.send(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                        body: request.method == "HEAD" ? [] : Array(text.utf8))
        }
        return server.map { PodExporter(podUID: podUID, ownerUID: ownerUID, counters: counters, server: $0) }
    }

    /// Stops listening and drops open connections.
    func stop() { server.stop() }
}

/// Loopback addresses for one emulator's pods: `127.B.x.y`, where the block B (2–254) differs
/// between the emulators of one process and, most likely, between processes (it mixes in the
/// process id), so emulators running side by side (parallel tests, a demo beside the test suite)
/// do not hand out the same pod IP. An address already taken on the port (another emulator in
/// another process drew the same block) is skipped: every pod IP handed out was bound first.
/// 127.1.x.y stays for pods without an exporter (the fake kubelet's plain pods).
final class LoopbackAddresses: Sendable {
    private static let emulators = Locked(0)
    /// The second octet of every address handed out.
    let block: Int
    private let next = Locked(0)

    init() {
        let instance = Self.emulators.withLock { n -> Int in
            defer { n += 1 }
            return n
        }
        block = 2 + Int((UInt64(getpid()) &* 37 &+ UInt64(instance)) % 253)
    }

    /// Addresses tried before giving up on one pod (each taken one is skipped for good).
    static let attempts = 64

    /// Binds an HTTP server on the next free address of the block, or nil after ``attempts`` taken ones.
    func bind(port: Int, handler: @escaping RequestHandler) -> HTTPServer? {
        for _ in 0..<Self.attempts {
            let n = next.withLock { n -> Int in
                defer { n += 1 }
                return n
            }
            let address = "127.\(block).\(n / 254 % 256).\(n % 254 + 1)"
            if let server = try? HTTPServer(host: address, port: port, tls: nil, handler: handler) { return server }
        }
        return nil
    }
}
