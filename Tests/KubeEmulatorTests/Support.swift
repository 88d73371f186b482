import Foundation
import JSON
import TestSupport
import Locking
import Testing
@testable import KubeEmulator

/// An HTTP response as curl saw it.
struct Response {
    let status: Int
    let headers: [String: String]
    let text: String
    var json: JSONValue { (try? JSONValue(parsing: text)) ?? .null }
}

/// An emulator on TLS with a token, for one test; stopped when released.
final class TestCluster: @unchecked Sendable {
    let emulator: KubeEmulator
    let certificates = TestCertificates.shared
    let tokenFile: String
    let token = "test-token-1"

    /// A bare API server unless `podStartDelay` turns the fake kubelet on.
    init(bookmarkInterval: Double = 60, historyLimit: Int = 10_000, tls: Bool = true, podStartDelay: Double? = nil, nodes: Int = 1) throws {
        tokenFile = NSTemporaryDirectory() + "kube-emulator-token-\(UUID().uuidString)"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        var configuration = KubeEmulator.Configuration()
        if tls {
            configuration.tlsCertificateFile = certificates.serverCertificate
            configuration.tlsKeyFile = certificates.serverKey
        }
        configuration.tokenFile = tokenFile
        configuration.bookmarkIntervalSeconds = bookmarkInterval
        configuration.historyLimit = historyLimit
        configuration.podStartDelaySeconds = podStartDelay
        configuration.nodes = nodes
        emulator = try KubeEmulator(configuration)
    }

    deinit {
        emulator.stop()
        try? FileManager.default.removeItem(atPath: tokenFile)
    }

    var url: String { emulator.url }

    func curlArguments(token: String?, ca: String?) -> [String] {
        var args = ["-sS", "--max-time", "20"]
        if url.hasPrefix("https") { args += ["--cacert", ca ?? certificates.ca] }
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        return args
    }

    /// One request through curl; the status, headers and body.
    func request(_ method: String, _ path: String, _ body: JSONValue? = nil, contentType: String = "application/json",
                 rawBody: String? = nil, token: String?? = .none, ca: String? = nil) -> Response {
        var args = curlArguments(token: token ?? self.token, ca: ca) + ["-X", method, "-i", "-w", "\n%{http_code}"]
        let payload = rawBody ?? body?.compactText
        if payload != nil { args += ["-H", "Content-Type: \(contentType)", "--data-binary", "@-"] }
        let result = run("/usr/bin/curl", args + [url + path], stdin: payload)
        var text = result.stdout
        guard let lastNewline = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: lastNewline)...]) else {
            return Response(status: 0, headers: [:], text: result.stderr)
        }
        text = String(text[..<lastNewline])
        var headers: [String: String] = [:]
        if let split = text.range(of: "\r\n\r\n") {
            for line in text[..<split.lowerBound].split(separator: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
            }
            text = String(text[split.upperBound...])
        }
        return Response(status: status, headers: headers, text: text)
    }

    func get(_ path: String) -> Response { request("GET", path) }
    func post(_ path: String, _ body: JSONValue) -> Response { request("POST", path, body) }

    /// Creates a Deployment with one container and returns it.
    @discardableResult
    func createDeployment(_ name: String, namespace: String = "default", replicas: Int = 2, labels: JSONValue = ["app": "web"]) -> JSONValue {
        let body: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name), "labels": labels],
            "spec": ["replicas": .integer(replicas), "selector": ["matchLabels": ["app": .string(name)]],
                     "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "server", "image": "triton:24.01"]]]]],
        ]
        return post("/apis/apps/v1/namespaces/\(namespace)/deployments", body).json
    }

    /// Opens a watch with curl and collects its lines as they arrive.
    func watch(_ path: String) -> WatchStream { WatchStream(arguments: curlArguments(token: token, ca: nil) + ["-N", url + path]) }
}

/// A streaming curl: every line of the response body, as it arrives.
final class WatchStream: @unchecked Sendable {
    private let process = Process()
    private let collector: LineCollector

    init(executable: String = "/usr/bin/curl", arguments: [String]) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        collector = LineCollector(reading: out.fileHandleForReading)
        try? process.run()
    }

    deinit { stop() }

    func stop() { if process.isRunning { process.terminate() } }

    var lines: [String] { collector.lines }

    /// Waits (bounded) until `condition` holds for the raw lines so far.
    @discardableResult
    func waitForLines(timeout: Double = 10, until condition: ([String]) -> Bool) -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(lines) { return lines }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return lines
    }

    var events: [JSONValue] { collector.lines.compactMap { try? JSONValue(parsing: $0) } }
    var hasEnded: Bool { collector.finished }

    /// Waits (bounded) until `condition` holds for the events so far.
    @discardableResult
    func wait(timeout: Double = 10, until condition: ([JSONValue]) -> Bool) -> [JSONValue] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let current = events
            if condition(current) { return current }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return events
    }

    func waitForEnd(timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if hasEnded { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return hasEnded
    }
}

extension Array where Element == JSONValue {
    var types: [String] { compactMap { $0["type"]?.stringValue } }
    var names: [String] { compactMap { $0["object"]?["metadata"]?["name"]?.stringValue } }
}

