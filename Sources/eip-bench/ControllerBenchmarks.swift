// Benchmarks of the pool controller (issue 5): watch event → reconcile done with 100 pools;
// reconciles per second with 1,000 pools; and, with the emulator and the operator as separate
// processes, the operator's initial sync time and resident memory with 1,000 and 10,000 pools.
import Autoscaling
import Dispatch
import Foundation
import JSON
import Kube
import KubeEmulator
import Locking
import MetricsSources
import Operator

/// Creates `count` Deployments (at 2 replicas, their pods labelled `app: model-N`) and pools (min 2,
/// labelled `shard: a` for even N, `shard: b` for odd) over 4 connections.
func seedPools(_ client: KubeClient, count: Int) async {
    await withTaskGroup(of: Void.self) { group in
        for worker in 0..<4 {
            group.addTask {
                for i in stride(from: worker, to: count, by: 4) {
                    _ = try? await client.create(.deployments, namespace: "default", [
                        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string("model-\(i)")],
                        "spec": ["replicas": 2, "selector": ["matchLabels": ["app": .string("model-\(i)")]],
                                 "template": ["metadata": ["labels": ["app": .string("model-\(i)")]],
                                              "spec": ["containers": [["name": "server", "image": "triton:24.01"]]]]],
                    ])
                    _ = try? await client.create(.elasticInferencePools, namespace: "default", [
                        "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool",
                        "metadata": ["name": .string("pool-\(i)"), "labels": ["shard": i % 2 == 0 ? "a" : "b"]],
                        "spec": ["modelRef": .string("model-\(i)"), "minReplicas": 2, "maxReplicas": 12,
                                 "scaleUpThreshold": "P90>200ms || gpu.util>85%", "scaleDownThreshold": "P90<50ms && gpu.util<40%",
                                 "behavior": ["pollInterval": "1h"]],
                    ])
                }
            }
        }
    }
}

func crdDocument() -> JSONValue? {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    guard let text = try? String(contentsOf: here.appendingPathComponent("CRDs/aiops.example.com_elasticinferencepools.yaml"), encoding: .utf8) else { return nil }
    return try? YAMLBridge.first(text)
}

func runControllerBenchmarks(report: @escaping @Sendable (String, String) -> Void, enabled: @escaping @Sendable (String) -> Bool) {
    let latencyName = "controller: watch event -> reconcile done, 100 pools"
    let rateName = "controller: reconciles/s, 1,000 pools (first pass)"
    let noOpName = "controller: no-op reconcile (converged pool, no writes)"
    if enabled(noOpName) {
        report(noOpName, awaitBlocking { await noOpReconcileBenchmark() })
    }
    if enabled(latencyName) || enabled(rateName) {
        awaitBlocking { await inProcessControllerBenchmarks(latencyName: latencyName, rateName: rateName, report: report, enabled: enabled) }
    }
    for pools in [1000, 10_000] {
        let name = "operator process: initial sync and RSS, \(pools) pools"
        if enabled(name) { report(name, processBenchmark(pools: pools)) }
    }
    // Sharding (issue 18): the same 1,000 pools with their Deployments and 2,000 pods, one process
    // for all of them, then one shard of two (`--pool-selector shard=a`: half of them).
    for selector in [nil, "shard=a"] as [String?] {
        let name = "operator process, 1,000 pools + 2,000 pods, " + (selector.map { "--pool-selector \($0) (half)" } ?? "every pool")
        if enabled(name) { report(name, processBenchmark(pools: 1000, pods: true, poolSelector: selector)) }
    }
}

private func inProcessControllerBenchmarks(latencyName: String, rateName: String, report: @escaping @Sendable (String, String) -> Void,
                                           enabled: @escaping @Sendable (String) -> Bool) async {
    for (pools, name) in [(100, latencyName), (1000, rateName)] where enabled(name) {
        var configuration = KubeEmulator.Configuration()
        configuration.podStartDelaySeconds = nil
        guard let emulator = try? KubeEmulator(configuration), let crd = crdDocument() else { return }
        let client = KubeClient(transport: HTTPTransport(TransportConfiguration(server: emulator.url)))
        _ = try? await client.create(.customResourceDefinitions, namespace: nil, crd)
        await seedPools(client, count: pools)
        let done = Locked<[String: Date]>([:])
        // When each pool was last reconciled, from the controller's log lines.
        let log = Logger(level: .debug, sink: ReconcileTimes(done: done))
        let controller = PoolController(client: client, namespace: "default", metrics: StaticMetricsSource([.p90: 0.1, .gpuUtil: 0.5]),
                                        events: nil, workers: 4, log: log)
        let start = Date()
        controller.start()
        await controller.waitForSync()
        let workers = Task { await controller.runWorkers() }
        while done.withLock({ $0.count }) < pools { try? await Task.sleep(nanoseconds: 5_000_000) }
        let firstPass = Date().timeIntervalSince(start)
        if pools == 1000 {
            report(name, "\(Int((Double(pools) / firstPass).rounded())) reconciles/s (\(String(format: "%.2f", firstPass)) s incl. list and sync)")
        } else {
            // Settle, then touch one pool at a time and time until its reconcile finishes.
            try? await Task.sleep(nanoseconds: 500_000_000)
            var samples: [Double] = []
            for i in 0..<200 {
                let key = "default/pool-\(i % pools)"
                done.withLock { _ = $0.removeValue(forKey: key) }
                let t0 = Date()
                _ = try? await client.patch(.elasticInferencePools, namespace: "default", name: "pool-\(i % pools)",
                                            .merge(["metadata": ["annotations": ["bench": .string(String(i))]]]))
                while done.withLock({ $0[key] }) == nil { try? await Task.sleep(nanoseconds: 200_000) }
                samples.append((done.withLock { $0[key] } ?? t0).timeIntervalSince(t0) * 1000)
            }
            samples.sort()
            report(name, String(format: "p50 %.1f ms, p99 %.1f ms (the patch's own round trip included)", samples[samples.count / 2], samples[samples.count * 99 / 100]))
        }
        controller.shutDown()
        workers.cancel()
        emulator.stop()
    }
}

/// Starts kube-emulator and eip-operator as processes; seeds pools; measures the operator's time
/// to synced caches (/readyz) and to every pool reconciled, and its resident memory then.
/// `pods`: the emulator's kubelet runs the Deployments' pods (ready at once), and the operator
/// starts once they all exist; `poolSelector`: the operator's `--pool-selector` (it then reconciles
/// the pools it selects: half of them for `shard=a`).
private func processBenchmark(pools: Int, pods: Bool = false, poolSelector: String? = nil) -> String {
    let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let emulator = Process()
    emulator.executableURL = binaries.appendingPathComponent("kube-emulator")
    let kubeconfig = NSTemporaryDirectory() + "bench-kubeconfig-\(UUID().uuidString)"
    emulator.arguments = ["--pod-start-delay", pods ? "0s" : "off", "--kubeconfig-out", kubeconfig]
    let emulatorOut = Pipe()
    emulator.standardOutput = emulatorOut
    guard (try? emulator.run()) != nil else { return "kube-emulator not found next to eip-bench (make bench builds it)" }
    defer { emulator.terminate(); try? FileManager.default.removeItem(atPath: kubeconfig) }
    let first = String(decoding: emulatorOut.fileHandleForReading.availableData, as: UTF8.self)
    guard let url = first.split(separator: " ").last.map({ String($0).trimmingCharacters(in: .whitespacesAndNewlines) }) else { return "no emulator URL" }
    let client = KubeClient(transport: HTTPTransport(TransportConfiguration(server: url)))
    awaitBlocking {
        if let crd = crdDocument() { _ = try? await client.create(.customResourceDefinitions, namespace: nil, crd) }
        await seedPools(client, count: pools)
        // Every pod made (2 a Deployment) before the operator starts: its first list holds them all.
        let deadline = Date().addingTimeInterval(300)
        while pods, Date() < deadline, ((try? await client.list(.pods, namespace: "default").items.count) ?? 0) < 2 * pools {
            try? await Task.sleep(nanoseconds: 200_000_000)
        }
    }
    let expected = poolSelector == nil ? pools : pools / 2
    let op = Process()
    op.executableURL = binaries.appendingPathComponent("eip-operator")
    op.arguments = ["--kubeconfig", kubeconfig, "--namespace", "default", "--metrics-bind-address", "127.0.0.1:18080",
                    "--health-probe-bind-address", "127.0.0.1:18081", "--log-level", "warning", "--workers", "4",
                    "--static-metrics", "P90=100ms,gpu.util=50%"] + (poolSelector.map { ["--pool-selector", $0] } ?? [])
        // With pods: the write limit raised, so that the time to reconcile is the operator's, not
        // the 20 writes/s default's (2 to 3 writes a new pool: 1,000 pools take 2 minutes at 20/s).
        + (pods ? ["--kube-api-qps", "1000", "--kube-api-burst", "1000"] : [])
    op.standardError = FileHandle.nullDevice
    let start = Date()
    guard (try? op.run()) != nil else { return "eip-operator not found next to eip-bench (make bench builds it)" }
    defer { op.terminate() }
    func fetch(_ path: String, port: Int) -> String? {
        guard let connection = LoopbackHTTPConnection(port: port) else { return nil }
        let (status, body) = connection.fetch("GET", path)
        return status == 200 ? body : nil
    }
    var synced: Double?
    var reconciled: Double?
    while Date().timeIntervalSince(start) < 600 {
        if synced == nil, fetch("/readyz", port: 18081) == "ok" { synced = Date().timeIntervalSince(start) }
        if let metrics = fetch("/metrics", port: 18080),
           let line = metrics.split(separator: "\n").first(where: { $0.hasPrefix("controller_runtime_reconcile_total{controller=\"elasticinferencepool\",result=\"success\"}") }),
           let count = Int(line.split(separator: " ").last ?? ""), count >= expected {
            reconciled = Date().timeIntervalSince(start)
            break
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
    let status = (try? String(contentsOfFile: "/proc/\(op.processIdentifier)/status", encoding: .utf8)) ?? ""
    let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.map { $0.dropFirst(6).trimmingCharacters(in: .whitespaces) } ?? "?"
    let scope = poolSelector == nil ? "all" : "its \(expected)"
    return "synced in \(synced.map { String(format: "%.2f s", $0) } ?? "-"), \(scope) reconciled in \(reconciled.map { String(format: "%.2f s", $0) } ?? "-"), RSS \(rss)"
}

/// One pool with warmup and pre-pull, converged (its Deployment patched, its DaemonSet rolled out,
/// its status written); then the reconciler is called directly, over and over: every call reads the
/// caches and the metrics, plans, and finds nothing to write. The figure is the median per call.
private func noOpReconcileBenchmark() async -> String {
    var configuration = KubeEmulator.Configuration()
    configuration.podStartDelaySeconds = 0
    guard let emulator = try? KubeEmulator(configuration), let crd = crdDocument() else { return "emulator did not start" }
    defer { emulator.stop() }
    let client = KubeClient(transport: HTTPTransport(TransportConfiguration(server: emulator.url)))
    _ = try? await client.create(.customResourceDefinitions, namespace: nil, crd)
    _ = try? await client.create(.deployments, namespace: "default", [
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "llm"],
        "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "llm"]],
                 "template": ["metadata": ["labels": ["app": "llm"]], "spec": ["containers": [["name": "server", "image": "triton:24.01"]]]]],
    ])
    _ = try? await client.create(.elasticInferencePools, namespace: "default", [
        "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "llm"],
        "spec": ["modelRef": "llm", "minReplicas": 2, "maxReplicas": 12,
                 "scaleUpThreshold": "P90>200ms || gpu.util>85%", "scaleDownThreshold": "P90<50ms && gpu.util<40%",
                 "warmupStrategy": ["initContainers": [["name": "model-preload", "image": "registry.example.com/ai/model-loader:v2.1"]],
                                    "preloadedImages": ["nvcr.io/nvidia/tritonserver:24.01-py3"]],
                 "behavior": ["pollInterval": "1h"]],
    ])
    let controller = PoolController(client: client, namespace: "default", metrics: StaticMetricsSource([.p90: 0.1, .gpuUtil: 0.5]),
                                    events: nil, workers: 1)
    controller.start()
    await controller.waitForSync()
    let workers = Task { await controller.runWorkers() }
    defer { controller.shutDown(); workers.cancel() }
    // Converged: WarmupReady (template patched, DaemonSet rolled out) and nothing left to write.
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
        let ready = controller.pools.get(namespace: "default", name: "llm")?["status"]?["conditions"]?.arrayValue?
            .contains { $0["type"] == "WarmupReady" && $0["status"] == "True" } ?? false
        if ready { break }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    try? await Task.sleep(nanoseconds: 300_000_000)
    let reconciler = controller.reconciler
    // The last status the convergence asked for (ready replicas, WarmupReady's time) goes out first:
    // reconcile until one writes nothing, then measure.
    for _ in 0..<10 where await reconciler.reconcile(ObjectKey(namespace: "default", name: "llm")).writes.count > 0 {
        try? await Task.sleep(nanoseconds: 100_000_000)
    }
    let before = emulator.requests.count
    var perCall: [Double] = []
    for _ in 0..<31 {
        let batch = 500
        let start = nanoseconds()
        for _ in 0..<batch { sink &+= await reconciler.reconcile(ObjectKey(namespace: "default", name: "llm")).writes.count }
        perCall.append(Double(nanoseconds() - start) / Double(batch))
    }
    perCall.sort()
    let writes = emulator.requests.count - before
    let median = perCall[perCall.count / 2] / 1000
    return String(format: "%.1f µs", median) + (writes == 0 ? "   (target ≤ 30 µs)" : "   (\(writes) requests: not a no-op!)")
}

/// Notes when each pool's reconcile finished (its `reconciled` log line), by `namespace/name`.
private struct ReconcileTimes: LogSink {
    let done: Locked<[String: Date]>

    func write(_ record: LogRecord) {
        guard record.message == "reconciled" || record.message == "Reconciler error",
              let namespace = record.field("namespace"), let pool = record.field("name") else { return }
        done.withLock { $0["\(namespace)/\(pool)"] = Date() }
    }
}
