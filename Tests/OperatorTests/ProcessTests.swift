import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Locking
import TestSupport
import Testing
@testable import Operator

/// An `eip-operator` process under test: its log lines, its endpoint addresses.
final class OperatorUnderTest: @unchecked Sendable {
    let process = Process()
    private let collector: LineCollector

    static var binary: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("eip-operator").path
    }

    /// `metrics`: the flags for the metrics source (default: fixed values).
    init(kubeconfig: String, extra: [String] = [], metrics: [String] = ["--static-metrics", "P90=100ms,gpu.util=50%"]) throws {
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--kubeconfig", kubeconfig, "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address", "127.0.0.1:0"]
            + metrics + extra
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        collector = LineCollector(reading: err.fileHandleForReading)
        try process.run()
    }

    deinit { if process.isRunning { process.terminate() } }

    var logs: [JSONValue] { collector.lines.compactMap { try? JSONValue(parsing: $0) } }

    func address(_ kind: String) -> String? {
        logs.first { $0["msg"]?.stringValue == "serving \(kind)" }?["address"]?.stringValue
    }

    func get(_ kind: String, _ path: String) -> (status: Int32, body: String) {
        guard let address = address(kind) else { return (-1, "") }
        let r = run("/usr/bin/curl", ["-s", "-o", "-", "-w", "\n%{http_code}", "http://\(address)\(path)"])
        let parts = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int32(parts.last ?? "") ?? -1, parts.dropLast().joined(separator: "\n"))
    }

    func waitForExit(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(nanoseconds: 20_000_000) }
        return process.isRunning ? nil : process.terminationStatus
    }
}

/// An emulator (fake kubelet, the CRD) and a kubeconfig for it.
final class ProcessFixture: @unchecked Sendable {
    let fixture: OperatorFixture
    let directory = NSTemporaryDirectory() + "eip-operator-test-\(UUID().uuidString)"
    var kubeconfig: String { directory + "/kubeconfig" }
    var client: KubeClient { fixture.client }

    /// `installCRD`: false for a cluster where nobody has applied `CRDs/` yet.
    init(installCRD: Bool = true) async throws {
        fixture = try OperatorFixture(podStartDelay: 0.1)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try fixture.emulator.kubeconfig(certificateAuthorityFile: nil, token: nil).write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        guard installCRD else { return }
        let crd = try YAMLReaderBridge.crd()
        _ = try await client.create(.customResourceDefinitions, namespace: nil, crd)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite("The eip-operator process", .serialized, .runsOnOwnThreads)
struct ProcessTests {
    @Test func helpAndBadFlags() {
        let help = run(OperatorUnderTest.binary, ["--help"])
        #expect(help.status == 0)
        for flag in ["--kubeconfig", "--metrics-bind-address", "--health-probe-bind-address", "--leader-elect", "--namespace", "--log-format", "--log-level"] {
            #expect(help.stdout.contains(flag), "\(flag)")
        }
        #expect(run(OperatorUnderTest.binary, ["--workers", "none"]).status == 2)
        // Every setting may come from the environment too.
        let fromEnvironment = run("/usr/bin/env", ["EIP_WORKERS=none", OperatorUnderTest.binary])
        #expect(fromEnvironment.status == 2)
        #expect(fromEnvironment.stderr.contains("--workers: expected a positive number, not 'none'"))
        #expect(run(OperatorUnderTest.binary, ["--bogus"]).status == 2)
    }

    @Test func metricsSourceFlagsAreCheckedBeforeStarting() {
        let cases: [([String], String)] = [
            (["--metrics-source", "prometheus"], "--metrics-source prometheus needs --prometheus-address"),
            (["--metrics-source", "influx"], "--metrics-source: podscrape, prometheus or static, not 'influx'"),
            (["--prometheus-address", "prometheus:9090"], "--prometheus-address: expected an http:// or https:// URL, not 'prometheus:9090'"),
            (["--prometheus-address", "http://p:9090", "--prometheus-templates", "triton,dcmg"], "unknown template preset \"dcmg\""),
            (["--prometheus-address", "http://p:9090", "--prometheus-username", "eip"], "--prometheus-username and --prometheus-password-file go together"),
            (["--scrape-timeout", "0"], "--scrape-timeout: expected seconds, not '0'"),
        ]
        for (arguments, message) in cases {
            let result = run(OperatorUnderTest.binary, arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test func reconcilesServesProbesAndMetricsAndStopsCleanlyOnSIGTERM() async throws {
        let f = try await ProcessFixture()
        let op = try OperatorUnderTest(kubeconfig: f.kubeconfig)
        _ = try await f.client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "server", "image": "triton:24.01"]]]]],
        ])
        _ = try await f.client.create(.elasticInferencePools, namespace: "default", [
            "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "pool"],
            "spec": ["modelRef": "model", "minReplicas": 2, "maxReplicas": 8, "scaleUpThreshold": "P90>200ms", "scaleDownThreshold": "P90<50ms",
                     "behavior": ["pollInterval": "1s"]],
        ])
        #expect(await eventually { op.get("probes", "/readyz").status == 200 })
        #expect(op.get("probes", "/healthz").status == 200)
        #expect(await eventuallyAsync { (try? await f.client.get(.deployments, namespace: "default", name: "model"))?["spec"]?["replicas"] == 2 })
        #expect(await eventually { op.get("metrics", "/metrics").body.contains("controller_runtime_reconcile_total{controller=\"elasticinferencepool\",result=\"success\"}") })
        let metrics = op.get("metrics", "/metrics").body
        #expect(metrics.contains("# TYPE controller_runtime_reconcile_time_seconds histogram"))
        #expect(metrics.contains("workqueue_depth{controller=\"elasticinferencepool\",name=\"elasticinferencepool\"}"))
        #expect(metrics.contains("eip_pool_desired_replicas{namespace=\"default\",pool=\"pool\"} 2"))
        if let promtool {
            let check = run(promtool, ["check", "metrics"], stdin: metrics)
            #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)")
        }
        #expect(op.logs.contains { $0["msg"] == "caches synced; reconciling" })
        let reconciled = op.logs.first { $0["msg"] == "reconciled" }
        #expect(reconciled?["namespace"] == "default")
        #expect(reconciled?["name"] == "pool")
        #expect(reconciled?["controller"] == "elasticinferencepool")
        #expect(reconciled?["reconcileID"]?.stringValue.flatMap(UUID.init(uuidString:)) != nil)
        #expect(reconciled?["level"] == "info")
        #expect(reconciled?["logger"] == "eip-operator.controller.elasticinferencepool")
        #expect(reconciled?["ts"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) != nil)
        let start = Date()
        op.process.interrupt()  // SIGINT
        kill(op.process.processIdentifier, SIGTERM)
        #expect(await op.waitForExit(timeout: 6) == 0)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(op.logs.contains { $0["msg"] == "stopped" })
    }

    @Test func onlyTheLeaderWritesAndAStandbyTakesOver() async throws {
        let f = try await ProcessFixture()
        // An 8 s lease: wide enough apart from "at once" that a loaded machine cannot blur the two.
        let timing = ["--leader-elect", "--leader-election-lease-duration", "8", "--leader-election-renew-deadline", "6",
                      "--leader-election-retry-period", "0.3", "--leader-election-namespace", "default"]
        let first = try OperatorUnderTest(kubeconfig: f.kubeconfig, extra: timing)
        #expect(await eventually { first.logs.contains { $0["msg"] == "acquired the lease" } })
        let second = try OperatorUnderTest(kubeconfig: f.kubeconfig, extra: timing)
        #expect(await eventually { second.logs.contains { $0["msg"] == "waiting for the lease" } })
        try await Task.sleep(nanoseconds: 1_500_000_000)
        #expect(!second.logs.contains { $0["msg"] == "acquired the lease" }, "one leader at a time")
        #expect(first.get("metrics", "/metrics").body.contains("leader_election_master_status{name=\"eip-operator.aiops.example.com\"} 1"))
        #expect(second.get("metrics", "/metrics").body.contains("leader_election_master_status{name=\"eip-operator.aiops.example.com\"} 0"))
        #expect(second.get("probes", "/readyz").status == 200, "a standby is ready")

        // SIGTERM releases the Lease: the standby takes over at once, not after the lease duration.
        kill(first.process.processIdentifier, SIGTERM)
        #expect(await first.waitForExit(timeout: 6) == 0)
        let released = Date()
        #expect(await eventually { second.logs.contains { $0["msg"] == "acquired the lease" } })
        #expect(Date().timeIntervalSince(released) < 4, "well before the 8 s lease would run out")

        // A killed leader holds the Lease until it expires; then a third process takes over.
        let third = try OperatorUnderTest(kubeconfig: f.kubeconfig, extra: timing)
        #expect(await eventually { third.logs.contains { $0["msg"] == "waiting for the lease" } })
        kill(second.process.processIdentifier, SIGKILL)
        let killed = Date()
        #expect(await eventually(timeout: 25) { third.logs.contains { $0["msg"] == "acquired the lease" } })
        let takeover = Date().timeIntervalSince(killed)
        #expect(takeover >= 5 && takeover < 16, "after about the lease duration (8 s): \(takeover)")
        let lease = try await f.client.get(.leases, namespace: "default", name: "eip-operator.aiops.example.com")
        #expect(LeaseView(lease).leaseTransitions >= 2)
        kill(third.process.processIdentifier, SIGTERM)
        #expect(await third.waitForExit(timeout: 6) == 0)
    }

    @Test func losingTheLeaseStopsWritesAndExitsNonZero() async throws {
        let f = try await ProcessFixture()
        let op = try OperatorUnderTest(kubeconfig: f.kubeconfig, extra: [
            "--leader-elect", "--leader-election-namespace", "default", "--leader-election-lease-duration", "2",
            "--leader-election-renew-deadline", "1", "--leader-election-retry-period", "0.2"])
        #expect(await eventually { op.logs.contains { $0["msg"] == "acquired the lease" } })
        // Every renewal fails from now on: after the renew deadline the operator must give up.
        f.fixture.emulator.inject(Fault(verb: "update", pathPrefix: "/apis/coordination.k8s.io/v1/namespaces/default/leases", status: 500, count: 1000))
        #expect(await op.waitForExit(timeout: 8) == 1)
        #expect(op.logs.contains { $0["msg"] == "lost the lease" })
        #expect(op.logs.contains { $0["msg"] == "lost the lease; exiting" })
    }

    /// Caches that cannot sync (the CRD not installed; RBAC refusing a list) make the process exit
    /// 1 after the sync bound, with a line naming what is missing; until then `/readyz` says 503
    /// and why, and `/healthz` stays 200.
    @Test(arguments: ["crd", "rbac"])
    func cachesThatCannotSyncExitNonZeroNamingWhatIsMissing(_ missing: String) async throws {
        let f = try await ProcessFixture(installCRD: missing != "crd")
        if missing == "rbac" {
            f.fixture.emulator.inject(Fault(verb: "list", pathPrefix: "/apis/apps/v1/deployments", status: 403, count: 100_000,
                                            message: #"deployments.apps is forbidden: User "system:serviceaccount:eip-system:eip-operator" cannot list resource "deployments" in API group "apps" at the cluster scope"#))
        }
        let op = try OperatorUnderTest(kubeconfig: f.kubeconfig, extra: ["--cache-sync-timeout", "4"])
        #expect(await eventually { op.get("probes", "/readyz").status == 503 })
        let readyz = op.get("probes", "/readyz").body
        #expect(op.get("probes", "/healthz").status == 200)
        let expected = missing == "crd" ? "the CRD elasticinferencepools.aiops.example.com is not installed"
                                        : #"forbidden: deployments.apps is forbidden: User "system:serviceaccount:eip-system:eip-operator" cannot list resource "deployments""#
        #expect(readyz.contains(expected), "\(readyz)")
        #expect(await op.waitForExit(timeout: 30) == 1)
        let last = op.logs.last { $0["msg"]?.stringValue?.hasPrefix("caches did not sync") == true }
        #expect(last?["level"] == "error")
        #expect(last?["msg"]?.stringValue?.hasPrefix("caches did not sync within 4.0s; exiting") == true, "\(op.logs.suffix(3).map(\.compactText))")
        #expect(last?["msg"]?.stringValue?.contains(expected) == true, "\(last?.compactText ?? "")")
        #expect(op.logs.contains { $0["msg"] == "list failed" && $0["level"] == "error" && $0["missing"]?.stringValue?.contains(expected) == true })
        #expect(op.logs.contains { $0["msg"] == "cache not synced" })
    }

    /// When the leader's Lease requests hang, it gives up at its renew deadline (each attempt is cut
    /// at the time left), not after the HTTP client's 30 s timeout: it exits 1, its writes fenced.
    @Test func aLeaderWhoseLeaseRequestsHangExitsAtItsRenewDeadline() async throws {
        let f = try await ProcessFixture()
        let op = try OperatorUnderTest(kubeconfig: f.kubeconfig, extra: [
            "--leader-elect", "--leader-election-namespace", "default", "--leader-election-lease-duration", "6",
            "--leader-election-renew-deadline", "3", "--leader-election-retry-period", "0.5"])
        #expect(await eventually { op.logs.contains { $0["msg"] == "acquired the lease" } })
        let hung = Date()
        f.fixture.emulator.inject(Fault(pathPrefix: "/apis/coordination.k8s.io/v1/namespaces/default/leases", count: 100_000, hang: true))
        #expect(await op.waitForExit(timeout: 25) == 1)
        #expect(Date().timeIntervalSince(hung) < 25, "well before a 30 s request timeout would have ended a renewal")
        #expect(op.logs.contains { $0["msg"] == "lost the lease" && $0["reason"]?.stringValue?.contains("renew deadline") == true })
    }

    /// 500 idle connections to the probe port: the probes still answer, and the process keeps its
    /// threads and memory (the endpoints serve at most 64 connections, the longest-waiting one
    /// closed to make room).
    @Test func aFloodOfIdleConnectionsDoesNotStarveTheProbes() async throws {
        let f = try await ProcessFixture()
        let op = try OperatorUnderTest(kubeconfig: f.kubeconfig)
        #expect(await eventually { op.get("probes", "/readyz").status == 200 })
        let address = try #require(op.address("probes"))
        let port = try #require(Int(address.split(separator: ":").last ?? ""))
        func status(_ field: String) -> Int {
            let text = (try? String(contentsOfFile: "/proc/\(op.process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? -1
        }
        let threadsBefore = status("Threads"), memoryBefore = status("VmRSS")
        let flood = try ConnectionFlood(port: port, count: 500)
        defer { flood.stop() }
        #expect(flood.waitUntilOpen())
        for _ in 0..<5 {
            #expect(op.get("probes", "/healthz").status == 200)
            #expect(op.get("probes", "/readyz").status == 200)
        }
        #expect(op.get("metrics", "/metrics").status == 200)
        let threadsAfter = status("Threads"), memoryAfter = status("VmRSS")
        #expect(threadsAfter - threadsBefore < 100, "threads \(threadsBefore) -> \(threadsAfter)")
        #expect(memoryAfter - memoryBefore < 64 * 1024, "resident kB \(memoryBefore) -> \(memoryAfter)")
        kill(op.process.processIdentifier, SIGTERM)
        #expect(await op.waitForExit(timeout: 10) == 0)
    }
}
