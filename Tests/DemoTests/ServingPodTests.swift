import Foundation
import JSON
import KubeEmulator
import LoadModel
import MetricsSources
import PrometheusText
import TestSupport
import Testing

/// An emulator with simulated serving pods, driven over HTTP with curl as any client would.
final class ServingCluster: Sendable {
    let emulator: KubeEmulator

    /// `demand` req/s for an hour, at `speed`, pods Ready after `coldStart` trace seconds.
    init(demand: Double = 12_000, speed: Double = 20, coldStart: Double = 2, traceStart: SimulatedServing.TraceStart = .firstReadyPod,
         trace: Trace? = nil) throws {
        var configuration = KubeEmulator.Configuration()
        var profile = ServerProfile.h100BERT
        profile.coldStart = coldStart
        configuration.servingPods = SimulatedServing(trace: trace ?? Trace(name: "flat", demand: Array(repeating: demand, count: 3600)),
                                                     profile: profile, speed: speed, traceStart: traceStart)
        emulator = try KubeEmulator(configuration)
    }

    deinit { emulator.stop() }

    @discardableResult
    func request(_ method: String, _ path: String, _ body: JSONValue? = nil, contentType: String = "application/json") -> JSONValue? {
        var arguments = ["-s", "-X", method, emulator.url + path]
        if let body { arguments += ["-H", "Content-Type: \(contentType)", "-d", body.compactText] }
        return try? JSONValue(parsing: run("/usr/bin/curl", arguments).stdout)
    }

    func createDeployment(_ name: String, replicas: Int) {
        request("POST", "/apis/apps/v1/namespaces/default/deployments", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
            "spec": ["replicas": .integer(replicas), "selector": ["matchLabels": ["app": .string(name)]],
                     "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "triton", "image": "tritonserver:24.01"]]]]],
        ])
    }

    func scale(_ name: String, to replicas: Int) {
        request("PATCH", "/apis/apps/v1/namespaces/default/deployments/\(name)/scale", ["spec": ["replicas": .integer(replicas)]],
                contentType: "application/merge-patch+json")
    }

    /// The pod IPs of Ready pods.
    func readyIPs() -> [String] {
        (request("GET", "/api/v1/namespaces/default/pods")?["items"]?.arrayValue ?? []).compactMap { pod in
            pod["status"]?["phase"] == "Running" ? pod["status"]?["podIP"]?.stringValue : nil
        }.sorted()
    }

    /// A pod's exposition, or nil when nothing answers.
    static func scrape(_ ip: String, port: Int = 8002) -> String? {
        let result = run("/usr/bin/curl", ["-s", "-f", "-m", "3", "http://\(ip):\(port)/metrics"])
        return result.status == 0 ? result.stdout : nil
    }
}

@Suite("Simulated serving pods", .runsOnOwnThreads)
struct ServingPodTests {
    @Test func readyPodsServeTheTraceOnTheirOwnAddressesAsTheLoadModelSays() throws {
        let cluster = try ServingCluster(demand: 12_000, speed: 20)
        cluster.createDeployment("bert", replicas: 2)
        #expect(waitUntil(timeout: 20) { cluster.readyIPs().count == 2 })
        let ips = cluster.readyIPs()
        // Their own block of loopback addresses, not the plain pods' 127.1.x.y.
        #expect(ips.allSatisfy { $0.hasPrefix("127.") && !$0.hasPrefix("127.1.") })
        #expect(Set(ips.map { $0.split(separator: ".")[1] }).count == 1)
        #expect(cluster.emulator.serving?.podIPs == ips)

        // Two scrapes of one pod, two seconds apart: its share of the trace (12,000 / 2 pods per
        // wall second), the model's P90 from the histogram's increase, the profile's GPU utilisation.
        let first = try #require(ServingCluster.scrape(ips[0]))
        let start = Date()
        Thread.sleep(forTimeInterval: 2)
        let second = try #require(ServingCluster.scrape(ips[0]))
        let elapsed = Date().timeIntervalSince(start)
        let before = try Reading(first), after = try Reading(second)
        let rate = (after.requests - before.requests) / elapsed
        #expect(abs(rate - 6_000) / 6_000 < 0.35, "\(rate) req/s")
        let increases = zip(after.buckets, before.buckets).map { (upperBound: $0.upperBound, count: $0.count - $1.count) }
        let p90 = HistogramQuantile.quantile(0.9, buckets: increases)
        let rho = 12_000.0 / (2 * ServerProfile.h100BERT.capacity)
        let model = try #require(cluster.emulator.serving?.runs.first?.ticks.last)
        #expect(abs(model.p90 - 0.009 * (1 + 1.6 * rho / (1 - rho))) < 1e-9)
        #expect(abs(p90 - model.p90) / model.p90 < 0.12, "histogram P90 \(p90), model \(model.p90)")
        #expect(abs(after.gpu - ServerProfile.h100BERT.gpuUtilisation.at(rho)) < 0.002)
    }

    @Test func aPodsListenerStopsWithThePodAndEveryListenerWithTheEmulator() throws {
        let cluster = try ServingCluster()
        cluster.createDeployment("bert", replicas: 3)
        #expect(waitUntil(timeout: 20) { cluster.readyIPs().count == 3 })
        let all = cluster.readyIPs()
        #expect(all.allSatisfy { ServingCluster.scrape($0) != nil })
        cluster.scale("bert", to: 1)
        #expect(waitUntil(timeout: 20) { cluster.readyIPs().count == 1 })
        let kept = cluster.readyIPs()
        for ip in all where !kept.contains(ip) { #expect(ServingCluster.scrape(ip) == nil, "\(ip) still answers after its pod went") }
        #expect(cluster.emulator.serving?.podIPs == kept)
        cluster.emulator.stop()
        #expect(ServingCluster.scrape(kept[0]) == nil, "the listener outlived the emulator")
    }

    @Test func emulatorsSideBySideServeOnTheSamePortFromDifferentAddresses() throws {
        let a = try ServingCluster(), b = try ServingCluster()
        a.createDeployment("bert", replicas: 2)
        b.createDeployment("bert", replicas: 2)
        #expect(waitUntil(timeout: 20) { a.readyIPs().count == 2 && b.readyIPs().count == 2 })
        #expect(Set(a.readyIPs()).isDisjoint(with: b.readyIPs()))
        for ip in a.readyIPs() + b.readyIPs() { #expect(ServingCluster.scrape(ip) != nil, "\(ip)") }
    }

    @Test func noTrafficBeforeTheFirstReadyPodAndTheTraceStartsWhenAsked() throws {
        // Second t of the trace offers 1,000 × (t + 1) req/s: the recorded demand says which second was played.
        let trace = Trace(name: "steps", demand: (0..<600).map { 1_000 * Double($0 + 1) })
        let cluster = try ServingCluster(speed: 20, coldStart: 60, traceStart: .onRequest, trace: trace)
        let serving = try #require(cluster.emulator.serving)
        cluster.createDeployment("bert", replicas: 1)
        // Not Ready yet (cold start 60 s of trace = 3 s): no pool, no traffic, no trace.
        #expect(serving.runs.isEmpty && serving.traceSeconds == nil)
        #expect(waitUntil(timeout: 20) { cluster.readyIPs().count == 1 })
        // In service, before the trace: the pod serves the first rate, nothing is recorded.
        #expect(waitUntil(timeout: 10) { (try? Reading(ServingCluster.scrape(cluster.readyIPs()[0]) ?? "").requests) ?? 0 > 0 })
        #expect(serving.runs.first?.ticks.isEmpty == true)
        serving.startTrace()
        #expect(waitUntil(timeout: 10) { (serving.traceSeconds ?? 0) >= 5 })
        let ticks = try #require(serving.runs.first?.ticks)
        #expect(ticks.prefix(5).map(\.demand) == [1_000, 2_000, 3_000, 4_000, 5_000])
        #expect(serving.runs.first?.asked.prefix(5).allSatisfy { $0 == 1 } == true)
    }
}

/// The numbers of one pod's exposition the tests compare.
struct Reading {
    var requests = 0.0
    var gpu = 0.0
    var buckets: [(upperBound: Double, count: Double)] = []

    init(_ text: String) throws {
        for family in try ExpositionParser.parse(text) {
            switch family.name {
            case ScrapedFamilies.requestCounter: requests = family.samples.first?.value ?? 0
            case ScrapedFamilies.gpuUtilFraction: gpu = family.samples.first?.value ?? 0
            case ScrapedFamilies.latencyHistograms[0]:
                buckets = family.samples.filter { $0.name.hasSuffix("_bucket") }.compactMap { sample in
                    sample.labels["le"].flatMap(Double.init).map { ($0 / 1000, sample.value) }
                }
            default: break
            }
        }
    }
}

@Suite("kube-emulator --serve-trace", .runsOnOwnThreads)
struct ServeTraceFlagTests {
    static var binary: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("kube-emulator").path
    }

    @Test func theFlagsAreCheckedAndWrongOnesSaySo() {
        #expect(run(Self.binary, ["--help"]).stdout.contains("--serve-trace"))
        #expect(run(Self.binary, ["--serve-trace", "builtin:spike", "--speed", "0"]).status == 2)
        #expect(run(Self.binary, ["--cold-start", "10s"]).stderr.contains("--cold-start goes with --serve-trace"))
        #expect(run(Self.binary, ["--serve-trace", "builtin:spike", "--pod-start-delay", "1s"]).status == 2)
        let unknown = run(Self.binary, ["--serve-trace", "builtin:flat"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no built-in trace 'flat'; the built-ins are builtin:spike, builtin:diurnal"))
        let missing = run(Self.binary, ["--serve-trace", "/nonexistent.csv"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent.csv: error: cannot read the file"))
    }

    @Test func itSaysWhatItServesAndStopsItsPodsListenersOnSIGTERM() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--listen", "127.0.0.1:0", "--serve-trace", "builtin:spike", "--speed", "20", "--cold-start", "2s"]
        let out = Pipe()
        process.standardOutput = out
        let lines = LineCollector(reading: out.fileHandleForReading)
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        #expect(waitUntil(timeout: 10) { lines.lines.count >= 2 })
        let url = String(lines.lines.first?.dropFirst("listening on ".count) ?? "")
        #expect(lines.lines.last?.hasPrefix("simulated serving pods: builtin:spike (1800 s) at 20x, profile h100-bert") == true)
        _ = run("/usr/bin/curl", ["-s", "-X", "POST", "-H", "Content-Type: application/json", url + "/apis/apps/v1/namespaces/default/deployments", "-d",
                                  #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"bert"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"bert"}},"template":{"metadata":{"labels":{"app":"bert"}},"spec":{"containers":[{"name":"triton","image":"t"}]}}}}"#])
        var ip = ""
        #expect(waitUntil(timeout: 20) {
            let pods = try? JSONValue(parsing: run("/usr/bin/curl", ["-s", url + "/api/v1/namespaces/default/pods"]).stdout)
            ip = pods?["items"]?.arrayValue?.first?["status"]?["podIP"]?.stringValue ?? ""
            return !ip.isEmpty
        })
        #expect(waitUntil(timeout: 10) { ServingCluster.scrape(ip)?.contains("nv_inference_request_success{model=\"bert\",version=\"1\"}") == true })
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(ServingCluster.scrape(ip) == nil, "a pod's listener outlived the emulator process")
    }
}
