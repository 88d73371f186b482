import Foundation
import JSON
import TestSupport
import Testing
import YAML

/// `make run` hands KUBECONFIG to the operator whole: several files, merged as kubectl merges them.
@Suite("The eip-operator process and KUBECONFIG", .serialized, .runsOnOwnThreads)
struct KubeconfigProcessTests {
    @Test func severalKubeconfigFilesAreMerged() async throws {
        let f = try await ProcessFixture()
        let whole = try #require(try YAMLReader.jsonValues(in: String(contentsOfFile: f.kubeconfig, encoding: .utf8)).first)
        let first = f.directory + "/clusters.yaml", second = f.directory + "/contexts.yaml"
        try JSONValue.object(["apiVersion": "v1", "kind": "Config", "clusters": whole["clusters"] ?? [], "users": whole["users"] ?? []])
            .compactText.write(toFile: first, atomically: true, encoding: .utf8)
        try JSONValue.object(["apiVersion": "v1", "kind": "Config", "contexts": whole["contexts"] ?? [], "current-context": whole["current-context"] ?? ""])
            .compactText.write(toFile: second, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = "\(first):\(f.directory)/absent:\(second)"
        environment["KUBERNETES_SERVICE_HOST"] = nil
        let process = try ChildProcess(OperatorUnderTest.binary,
                                       ["--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--webhook-bind-address", "0", "--static-metrics", "P90=1ms"],
                                       environment: environment.map { "\($0.key)=\($0.value)" })
        process.closeInput()
        let lines = LineCollector(reading: process.errorOutput)
        defer { process.kill(SIGTERM); process.wait() }
        #expect(await eventually(timeout: 20) { lines.lines.contains { $0.contains("caches synced") } }, "\(lines.lines)")
        let starting = lines.lines.first { $0.contains("\"msg\":\"starting\"") } ?? ""
        #expect(starting.contains("\"context\":\"kube-emulator\"") && starting.contains(f.fixture.emulator.url), "\(starting)")
    }
}
