// Benchmark of the direct-scrape source (issue 6): one read of a 50-pod pool, each pod serving a
// Triton-sized `/metrics` (about 10 KB) on its own loopback IP: 50 concurrent HTTP GETs through
// libcurl, 50 parses, and the aggregation (rates, summed histograms, P50–P99, GPU mean).
import Autoscaling
import Foundation
import HTTPKit
import JSON
import Locking
import MetricsSources
import Operator

func runScrapeBenchmarks(report: @escaping @Sendable (String, String) -> Void, enabled: @escaping @Sendable (String) -> Bool) {
    let name = "scrape: read a 50-pod pool (GET + parse + aggregate)"
    guard enabled(name) else { return }
    var servers: [HTTPServer] = []
    defer { servers.forEach { $0.stop() } }
    do {
        for pod in 0..<50 {
            let body = Array(tritonPodExposition(pod: pod).utf8)
            let server = try HTTPServer(host: "127.1.252.\(pod + 1)", port: servers.first?.port ?? 0, tls: nil) { _, writer in
                _ = writer.send(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], body: body)
            }
            servers.append(server)
        }
    } catch {
        report(name, "setup failed: \(error)")
        return
    }
    let port = servers[0].port
    let poolObject: JSONValue = [
        "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "bench", "namespace": "default"],
        "spec": ["modelRef": "llm-finetune-v3", "minReplicas": 1, "maxReplicas": 60, "scaleUpThreshold": "P90>200ms", "scaleDownThreshold": "P90<50ms",
                 "metrics": ["source": "PodScrape", "podScrape": ["port": .integer(port)]]],
    ]
    guard let pool = ElasticInferencePool.check(poolObject).pool,
          let target = DeploymentView(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "llm", "namespace": "default"]]) else {
        report(name, "setup failed: the bench pool is invalid")
        return
    }
    let pods: [JSONValue] = (0..<50).map { i in
        ["metadata": ["name": .string("llm-\(i)"), "uid": .string("uid-\(i)")],
         "status": ["podIP": .string("127.1.252.\(i + 1)"), "conditions": [["type": "Ready", "status": "True"]]]]
    }
    let source = PodScrapeSource()
    let durations = Locked<[Double]>([])
    let answered = Locked("")
    awaitBlocking {
        for round in 0..<41 {
            let query = MetricsQuery(pool: pool, target: target, pods: pods, metrics: [.p90], now: Timestamp(secondsSinceEpoch: Double(round)))
            let started = DispatchTime.now().uptimeNanoseconds
            let sample = await source.read(query)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            if round > 0 { durations.withLock { $0.append(seconds) } }  // the first read opens the connections
            answered.withLock { $0 = sample.source ?? "" }
        }
    }
    let sorted = durations.withLock { $0.sorted() }
    let median = sorted[sorted.count / 2] * 1000
    let p90 = sorted[sorted.count * 9 / 10] * 1000
    report(name, String(format: "%.1f ms median, %.1f ms p90 (%@)", median, p90, answered.withLock { $0 }))
}
