// Benchmarks of the API-server emulator on loopback: requests/s for GET and PATCH over keep-alive
// connections, and watch fan-out (events/s delivered to 10 watchers).
import Dispatch
import Foundation
import KubeEmulator
import Locking

/// A minimal blocking HTTP/1.1 client over one keep-alive connection (plain HTTP, loopback only).
final class LoopbackHTTPConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init?(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else { return nil }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    private func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return false }
            return Glibc.send(fd, base, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
        }
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer += chunk.prefix(n)
        return true
    }

    /// Sends a request and reads the whole response; returns the status code.
    func request(_ method: String, _ path: String, body: String = "", contentType: String = "application/json") -> Int {
        fetch(method, path, body: body, contentType: contentType).status
    }

    /// Sends a request; returns the status and the body.
    func fetch(_ method: String, _ path: String, body: String = "", contentType: String = "application/json") -> (status: Int, body: String) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if !body.isEmpty { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n" }
        guard send(head + "\r\n" + body) else { return (0, "") }
        while buffer.firstRange(of: [13, 10, 13, 10]) == nil { if !fill() { return (0, "") } }
        guard let end = buffer.firstRange(of: [13, 10, 13, 10]) else { return (0, "") }
        let headText = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
        buffer.removeSubrange(..<end.upperBound)
        let status = Int(headText.split(separator: " ").dropFirst().first ?? "") ?? 0
        let length = headText.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        while buffer.count < length { if !fill() { return (0, "") } }
        let text = String(decoding: buffer.prefix(length), as: UTF8.self)
        buffer.removeFirst(length)
        return (status, text)
    }

    /// Opens a watch and counts event lines until `count` arrived; returns when done or the stream ends.
    func countWatchEvents(_ path: String, until count: Int, onOpen: () -> Void) -> Int {
        guard send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") else { return 0 }
        onOpen()
        var seen = 0
        while seen < count {
            guard fill() else { break }
            // Count newlines: each event is one JSON line (chunk framing lines hold no '{').
            var lineStart = 0
            for (i, byte) in buffer.enumerated() where byte == 10 {
                if buffer[lineStart] == UInt8(ascii: "{") { seen += 1 }
                lineStart = i + 1
            }
            buffer.removeFirst(lineStart)
        }
        return seen
    }
}

func runEmulatorBenchmarks(report: (String, Double, String) -> Void, enabled: (String) -> Bool) {
    var configuration = KubeEmulator.Configuration()
    configuration.podStartDelaySeconds = nil
    guard let emulator = try? KubeEmulator(configuration), let setup = LoopbackHTTPConnection(port: emulator.port) else {
        print("emulator benchmarks: could not start the emulator")
        return
    }
    defer { emulator.stop() }
    let deployment = #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"triton:24.01"}]}}}}"#
    _ = setup.request("POST", "/apis/apps/v1/namespaces/default/deployments", body: deployment)
    let path = "/apis/apps/v1/namespaces/default/deployments/web"

    func throughput(connections: Int, requests: Int, _ body: @escaping @Sendable (LoopbackHTTPConnection, Int) -> Int) -> Double {
        let ok = Locked(0)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: connections) { c in
            guard let connection = LoopbackHTTPConnection(port: emulator.port) else { return }
            var good = 0
            for i in 0..<requests / connections where body(connection, c * requests + i) == 200 { good += 1 }
            ok.withLock { $0 += good }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(ok.withLock { $0 }) / seconds
    }

    let name1 = "emulator: GET a Deployment, 1 keep-alive connection"
    if enabled(name1) { report(name1, throughput(connections: 1, requests: 3000) { c, _ in c.request("GET", path) }, "req/s") }
    let name4 = "emulator: GET a Deployment, 4 connections"
    if enabled(name4) { report(name4, throughput(connections: 4, requests: 6000) { c, _ in c.request("GET", path) }, "req/s") }
    let patchName = "emulator: PATCH (merge) a Deployment, 1 connection"
    if enabled(patchName) {
        report(patchName, throughput(connections: 1, requests: 2000) { c, i in
            c.request("PATCH", path, body: "{\"metadata\":{\"labels\":{\"n\":\"\(i)\"}}}", contentType: "application/merge-patch+json")
        }, "req/s")
    }
    let fanName = "emulator: watch fan-out, 2,000 events to 10 watchers"
    if enabled(fanName) {
        let events = 2000
        let opened = DispatchSemaphore(value: 0)
        let delivered = Locked(0)
        let group = DispatchGroup()
        for _ in 0..<10 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                guard let watcher = LoopbackHTTPConnection(port: emulator.port) else { opened.signal(); return }
                let n = watcher.countWatchEvents("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(emulator.resourceVersion)",
                                                 until: events) { opened.signal() }
                delivered.withLock { $0 += n }
            }
        }
        for _ in 0..<10 { opened.wait() }
        while emulator.openWatches < 10 { usleep(1000) }
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<events { _ = setup.request("POST", "/api/v1/namespaces/default/configmaps", body: "{\"metadata\":{\"name\":\"c\(i)\"}}") }
        group.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        report(fanName, Double(delivered.withLock { $0 }) / seconds, "events/s delivered (writes included)")
    }
}
