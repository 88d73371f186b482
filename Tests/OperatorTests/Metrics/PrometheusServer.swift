import Foundation
import HTTPKit
import Kube

/// The real Prometheus server (Debian's `prometheus` package) on 127.0.0.1 with a temporary data
/// directory, scraping the given targets every second. Stopped, and its directory removed, by `stop()`.
final class PrometheusServer: @unchecked Sendable {
    let directory: String
    let port: Int
    private let process = Process()
    var url: String { "http://127.0.0.1:\(port)" }

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus") }

    /// `targets`: job name → (`host:port`, labels added to every series of the job).
    init(targets: [String: (address: String, labels: [String: String])]) throws {
        directory = NSTemporaryDirectory() + "eip-prometheus-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        var config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
        for (job, target) in targets.sorted(by: { $0.key < $1.key }) {
            config += "  - job_name: \(job)\n    static_configs:\n      - targets: ['\(target.address)']\n"
            if !target.labels.isEmpty {
                config += "        labels:\n" + target.labels.sorted(by: { $0.key < $1.key }).map { "          \($0.key): '\($0.value)'\n" }.joined()
            }
        }
        try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        // A free port: bind port 0, note it, let it go (Prometheus binds it a moment later).
        let probe = try HTTPServer(host: "127.0.0.1", port: 0, tls: nil) { _, _ in }
        port = probe.port
        probe.stop()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        process.arguments = ["--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
                             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn", "--storage.tsdb.retention.time=1h"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
    }

    /// Waits (bounded) until `/-/ready` answers 200.
    func waitUntilReady(timeout: Double = 30) async -> Bool {
        let transport = HTTPTransport(TransportConfiguration(server: url))
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let response = try? await transport.send(method: "GET", path: "/-/ready"), response.statusCode == 200 { return true }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return false
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
