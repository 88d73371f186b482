#if canImport(FoundationXML)
import FoundationXML
#endif
import Foundation
import JSON
import TestSupport
import Testing

/// `eip-demo` as a person runs it, compressed to seconds: the built binaries, a short spike, a pool
/// with short windows. Outcomes are asserted with generous bounds, never timings.
final class DemoUnderTest: @unchecked Sendable {
    let process = Process()
    let output: LineCollector
    let errors: LineCollector
    let directory = NSTemporaryDirectory() + "eip-demo-test-\(UUID().uuidString)"

    static var binaries: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// A pool of 2..10 replicas polled every 20 s of trace (1 s at 20x): up when GPUs pass 55 % (this
    /// H100 server's plateau: overload), down when they are under 30 % for 40 s. Both read the GPU
    /// gauge at the scrape, so the outcome does not hang on the operator's 30 s rate window (600 s
    /// of trace at 20x), which a P90 rule would.
    static let pool = """
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata:
          name: spiky
          namespace: demo-test
        spec:
          modelRef: bert
          minReplicas: 2
          maxReplicas: 10
          scaleUpThreshold: "gpu.util >= 55%"
          scaleDownThreshold: "gpu.util < 30%"
          behavior:
            pollInterval: 20s
            scaleUp: {periodSeconds: 20}
            scaleDown: {periodSeconds: 20, stabilizationWindowSeconds: 40}
        """

    /// 12k req/s, a spike to 60k from 200 s to 400 s, then 12k again until 700 s.
    static let trace = "time,qps\n0,12000\n199,12000\n200,60000\n400,60000\n401,12000\n700,12000\n"

    init(arguments: [String] = [], trace: String = DemoUnderTest.trace) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.pool.write(toFile: directory + "/pool.yaml", atomically: true, encoding: .utf8)
        try trace.write(toFile: directory + "/trace.csv", atomically: true, encoding: .utf8)
        process.executableURL = Self.binaries.appendingPathComponent("eip-demo")
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        process.arguments = ["--pool", directory + "/pool.yaml", "--trace", directory + "/trace.csv", "--speed", "20",
                             "--output", directory + "/out", "--setup-timeout", "60"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        output = LineCollector(reading: out.fileHandleForReading)
        errors = LineCollector(reading: err.fileHandleForReading)
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// The operator's pid, from the line the demo prints when it starts it.
    var operatorPID: Int32? {
        output.lines.first { $0.hasPrefix("Started   eip-operator, pid ") }
            .flatMap { $0.dropFirst("Started   eip-operator, pid ".count).split(separator: ",").first }.flatMap { Int32($0) }
    }

    var summary: JSONValue? {
        (try? String(contentsOfFile: directory + "/out/summary.json", encoding: .utf8)).flatMap { try? JSONValue(parsing: $0) }
    }

    /// Whether a process with this id still exists (kill with signal 0 only checks).
    static func exists(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno != ESRCH }
}

@Suite("eip-demo end to end", .runsOnOwnThreads, .serialized)
struct DemoEndToEndTests {
    @Test func theOperatorScalesUpThroughTheSpikeAndBackDownAndEverythingStops() throws {
        let demo = try DemoUnderTest()
        let status = demo.waitForExit(timeout: 180)
        let text = demo.output.lines.joined(separator: "\n")
        #expect(status == 0, "\(text)\n\(demo.errors.lines.joined(separator: "\n"))")
        let summary = try #require(demo.summary, "no summary.json\n\(text)")

        // Scaled up while the spike was on (200–400 s), and back down after it.
        let asked = (summary["asked"]?.arrayValue ?? []).compactMap(\.intValue)
        #expect(asked.count == 701)
        let peak = asked[200..<420].max() ?? 0
        #expect(peak > 2, "never scaled up during the spike: \(asked)")
        #expect(asked[0..<200].allSatisfy { $0 == 2 }, "scaled before the spike")
        #expect((asked.last ?? 99) < peak, "never scaled down after the spike")
        let events = summary["events"]
        #expect((events?["ScaledUp"]?.intValue ?? 0) >= 1 && (events?["ScaledDown"]?.intValue ?? 0) >= 1, "\(String(describing: events))")
        // The operator's Events were shown as it wrote them.
        #expect(text.contains("ScaledUp: 2 -> ") && text.contains("ScaledDown: "), "\(text)")

        // The summary: the live run beside the simulator, and the plot.
        #expect(text.contains("SLO-VIOLATION  REPLICA-SECONDS"))
        #expect(text.contains("eip-operator, live on kube-emulator") && text.contains("eip-operator in eipctl simulate"))
        #expect(summary["live"]?["replicaSeconds"]?.intValue ?? 0 > 700 * 2)
        #expect(summary["simulated"] != nil)
        let svg = try String(contentsOfFile: demo.directory + "/out/demo.svg", encoding: .utf8)
        #expect(svg.contains("data-scaler=\"eip-operator, live on kube-emulator\""))
        #if canImport(FoundationXML)
        #expect(throws: Never.self) { try XMLDocument(xmlString: svg) }
        #endif

        // Nothing left running: the operator's pid is gone, and the demo said so.
        let pid = try #require(demo.operatorPID)
        #expect(!DemoUnderTest.exists(pid), "eip-operator (pid \(pid)) is still running")
        #expect(text.contains("Stopped   eip-operator (pid \(pid))"))
    }

    @Test func ctrlCStopsTheOperatorAndEndsWithAPartialSummary() throws {
        // An hour of traffic: far longer than the test waits.
        let demo = try DemoUnderTest(trace: "time,qps\n0,12000\n3600,12000\n")
        // Once the table's first row is out, the trace is playing.
        #expect(waitUntil(timeout: 90) { demo.output.lines.contains { $0.hasPrefix("  00:0") } || !demo.process.isRunning })
        let pid = try #require(demo.operatorPID, "\(demo.output.lines.joined(separator: "\n"))")
        #expect(DemoUnderTest.exists(pid))
        kill(demo.process.processIdentifier, SIGINT)
        #expect(demo.waitForExit(timeout: 30) == 130)
        #expect(!DemoUnderTest.exists(pid), "eip-operator (pid \(pid)) outlived Ctrl-C")
        let text = demo.output.lines.joined(separator: "\n")
        #expect(text.contains("Interrupted: stopped after") && text.contains("Stopped   eip-operator (pid \(pid))"))
        #expect(demo.summary?["interrupted"] == true)
    }

    @Test func anOperatorThatCannotStartIsAClearFailureAndLeavesNothing() throws {
        // `false` exits at once with status 1: the demo says so, with the log's place, and exits 1.
        let demo = try DemoUnderTest(arguments: ["--operator", "/bin/false"])
        #expect(demo.waitForExit(timeout: 60) == 1)
        let errors = demo.errors.lines.joined(separator: "\n")
        #expect(errors.contains("eip-operator exited with status 1 before the trace started"), "\(errors)")
        let pid = try #require(demo.operatorPID)
        #expect(!DemoUnderTest.exists(pid))
    }

    @Test func badInputIsAUsageOrInputErrorBeforeAnythingStarts() throws {
        let binary = DemoUnderTest.binaries.appendingPathComponent("eip-demo").path
        #expect(run(binary, ["--speed", "fast"]).status == 2)
        let help = run(binary, ["--help"])
        #expect(help.status == 0 && help.stdout.contains("--cold-start") && help.stdout.contains("--speed"))
        let missing = run(binary, ["--pool", "/nonexistent/pool.yaml", "--output", NSTemporaryDirectory() + "eip-demo-bad-\(UUID().uuidString)"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/pool.yaml: cannot read the file"))
    }
}
