#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSON
import KubeEmulator
import LoadModel
import Locking
import Simulation

/// One demo, top to bottom: read the inputs, start kube-emulator with simulated serving pods, apply
/// the CRDs, the Deployment and the pool, start the real `eip-operator`, wait until it reads the
/// pods, play the trace while showing what happens, then stop everything and summarise.
public enum DemoRun {
    /// Runs the demo and returns the process exit code (0, 1 for a failure, 130 when interrupted).
    @MainActor
    public static func run(_ options: DemoOptions) async -> Int32 {
        let interruption = Interruption()
        let session = Session()
        defer { session.shutDown() }
        do throws(DemoError) {
            return try await play(options, session: session, interruption: interruption)
        } catch {
            session.view?.clearPanel()
            LiveView.write("eip-demo: \(error)\n", to: STDERR_FILENO)
            if let child = session.operatorChild, !child.logTail().isEmpty {
                LiveView.write("The operator's last log lines (\(child.logPath)):\n\(child.logTail())\n", to: STDERR_FILENO)
            }
            return 1
        }
    }

    /// The processes and listeners a run owns; ``shutDown()`` stops them all, once, on every path out.
    @MainActor
    final class Session {
        var emulator: KubeEmulator?
        var operatorChild: OperatorChild?
        var view: LiveView?

        func shutDown() {
            operatorChild?.stop()
            emulator?.stop()
            operatorChild = nil
            emulator = nil
        }
    }

    @MainActor
    private static func play(_ options: DemoOptions, session: Session, interruption: Interruption) async throws(DemoError) -> Int32 {
        // Inputs, all checked before anything starts.
        let manifests = try DemoManifests(options: options)
        let trace: Trace
        var profile: ServerProfile
        do throws(ServingInputError) {
            trace = try SimulatedServing.trace(named: options.trace, seed: options.seed)
            profile = try SimulatedServing.profile(named: options.profile)
        } catch {
            throw DemoError(error.description)
        }
        if let coldStart = options.coldStart { profile.coldStart = coldStart }
        let binary = options.operatorBinary ?? Self.siblingBinary("eip-operator")
        do {
            try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        } catch {
            throw DemoError("\(options.output): cannot create the output folder: \(error.localizedDescription)")
        }
        let output = URL(fileURLWithPath: options.output).standardizedFileURL.path

        // The cluster: kube-emulator in this process, its pods serving the trace once it starts.
        var configuration = KubeEmulator.Configuration()
        configuration.servingPods = SimulatedServing(trace: trace, profile: profile, speed: options.speed,
                                                     port: manifests.scrapePort, traceStart: .onRequest)
        let emulator: KubeEmulator
        do throws(EmulatorError) {
            emulator = try KubeEmulator(configuration)
        } catch {
            throw DemoError("cannot start kube-emulator: \(error)")
        }
        session.emulator = emulator
        guard let serving = emulator.serving else { throw DemoError("kube-emulator started without its serving pods") }
        let kubeconfig = output + "/kubeconfig"
        do {
            try emulator.kubeconfig(certificateAuthorityFile: nil, token: nil, namespace: manifests.pool.namespace)
                .write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        } catch {
            throw DemoError("\(kubeconfig): cannot write the kubeconfig: \(error.localizedDescription)")
        }

        let p90Clause = manifests.policy.scaleUp.comparisons.first { $0.metric == .p90 }
        let view = LiveView(interactive: !options.plain && LiveView.standardOutputIsTerminal,
                            p90Threshold: p90Clause.map { ("\($0.op.rawValue) \($0.threshold.text)", $0.threshold.value) }, slo: options.slo,
                            interruption: interruption)
        session.view = view
        header(view, options: options, manifests: manifests, trace: trace, profile: profile, emulator: emulator, output: output)

        let cluster = DemoCluster(server: emulator.url, namespace: manifests.pool.namespace, poolName: manifests.pool.name,
                                  deploymentName: manifests.pool.spec.targetName)
        try await cluster.apply(manifests)
        view.say("Applied   \(options.crds)/ (\(manifests.crds.count) CRD), namespace \(manifests.pool.namespace), Deployment \(manifests.pool.spec.targetName) (\(manifests.deploymentOrigin)), pool \(manifests.pool.name)")

        // The serving Deployment runs before the operator comes (as when one installs it on a live service).
        try await waitForDeployment(cluster: cluster, replicas: manifests.pool.spec.minReplicas, timeout: options.setupTimeout, interruption: interruption)
        if interruption.signal != nil { return finish(interrupted: true, session: session, manifests: manifests, trace: trace, profile: profile,
                                                      options: options, output: output, events: EventLog(), wall: 0) }
        let child = try OperatorChild(binary: binary, kubeconfig: kubeconfig, logPath: output + "/operator.log")
        session.operatorChild = child
        view.say("Started   eip-operator, pid \(child.pid), direct scrape of the pods' :\(manifests.scrapePort)/metrics; its log: \(child.logPath)",
                 "          (while it runs: kubectl --kubeconfig \(kubeconfig) get eip,deploy,pods -n \(manifests.pool.namespace))")

        var events = EventLog()
        try await waitForOperator(cluster: cluster, child: child, manifests: manifests, view: view, events: &events,
                                  timeout: options.setupTimeout, interruption: interruption)
        if interruption.signal != nil { return finish(interrupted: true, session: session, manifests: manifests, trace: trace, profile: profile,
                                                      options: options, output: output, events: events, wall: 0) }

        // The trace.
        serving.startTrace()
        let started = Date()
        view.say("", "Traffic   \(trace.name) starts now (\(LiveView.clock(trace.duration)) of traffic at \(LiveView.number(options.speed))x: about \(LiveView.clock(Int((Double(trace.duration) / options.speed).rounded()))) here)",
                 "", LiveView.tableHeader)
        let rowEvery = Self.rowInterval(trace.duration)
        var nextRow = 0
        while !serving.traceFinished {
            if interruption.signal != nil { break }
            if let status = child.exitStatus { throw DemoError("eip-operator exited with status \(status) while the trace played") }
            guard let frame = await Self.frame(serving: serving, cluster: cluster, trace: trace) else {
                try? await Task.sleep(nanoseconds: 50_000_000)
                continue
            }
            for event in events.fresh(await cluster.events()) {
                view.event(at: frame.second, type: event.type, reason: event.reason, message: event.message, count: event.count)
            }
            while frame.second >= nextRow && nextRow < trace.duration {
                view.row(frame)
                nextRow += rowEvery
            }
            view.panel(frame, speed: options.speed, events: events.total)
            try? await Task.sleep(nanoseconds: 250_000_000)
        }
        // The last Events, then the end.
        let last = await Self.frame(serving: serving, cluster: cluster, trace: trace)
        for event in events.fresh(await cluster.events()) {
            view.event(at: last?.second, type: event.type, reason: event.reason, message: event.message, count: event.count)
        }
        if interruption.signal == nil, let last { view.row(last) }
        return finish(interrupted: interruption.signal != nil, session: session, manifests: manifests, trace: trace, profile: profile,
                      options: options, output: output, events: events, wall: Date().timeIntervalSince(started))
    }

    /// Waits until the Deployment's pods are Ready.
    private static func waitForDeployment(cluster: DemoCluster, replicas: Int, timeout: Double, interruption: Interruption) async throws(DemoError) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if interruption.signal != nil { return }
            if let ready = await cluster.deployment()?["status"]?["readyReplicas"]?.intValue, ready >= replicas { return }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        throw DemoError("Deployment \(cluster.deploymentName) did not get \(replicas) Ready pods within \(Int(timeout)) s")
    }

    /// Waits until the operator has synced, rolled out the warmup, and read the pods twice (a P90
    /// needs two scrapes), with the Deployment at its ready minimum.
    @MainActor
    private static func waitForOperator(cluster: DemoCluster, child: OperatorChild, manifests: DemoManifests, view: LiveView,
                                        events: inout EventLog, timeout: Double, interruption: Interruption) async throws(DemoError) {
        view.say("Waiting   for the operator to read the pods (a P90 needs two scrapes) and the pods to be Ready")
        let deadline = Date().addingTimeInterval(timeout)
        var lastState = "no status yet"
        while Date() < deadline {
            if interruption.signal != nil { return }
            if let status = child.exitStatus { throw DemoError("eip-operator exited with status \(status) before the trace started") }
            for event in events.fresh(await cluster.events()) {
                view.event(at: nil, type: event.type, reason: event.reason, message: event.message, count: event.count)
            }
            let status = await cluster.pool()?["status"]
            let deployment = await cluster.deployment()
            let replicas = deployment?["spec"]?["replicas"]?.intValue ?? 0
            let ready = deployment?["status"]?["readyReplicas"]?.intValue ?? 0
            let generation = deployment?["metadata"]?["generation"]?.intValue ?? 0
            let observedGeneration = deployment?["status"]?["observedGeneration"]?.intValue ?? -1
            let seen = status?["observed"]?["p90"]?.stringValue
            // Why the metrics are not there yet, in the operator's words (MetricsAvailable's message).
            let metrics = status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "MetricsAvailable" }
            let why = metrics?["status"]?.stringValue == "False" ? metrics?["message"]?.stringValue.map { " (\($0))" } ?? "" : ""
            lastState = "pool: \(status?["observed"]?["source"]?.stringValue ?? "not read yet"), P90 \(seen ?? "unknown")\(why); Deployment: \(ready)/\(replicas) ready"
            let rolledOut = deployment?["status"]?["updatedReplicas"]?.intValue == replicas && deployment?["status"]?["replicas"]?.intValue == replicas
            if seen != nil, replicas >= manifests.pool.spec.minReplicas, ready == replicas, generation == observedGeneration, rolledOut {
                view.say("Ready     \(lastState)")
                return
            }
            try? await Task.sleep(nanoseconds: 250_000_000)
        }
        throw DemoError("the operator did not get ready within \(Int(timeout)) s (\(lastState))")
    }

    /// The screen's numbers now: the load model's last second, the Deployment's replicas, and the
    /// operator's view from the pool's status; nil before the trace's first second is played.
    private static func frame(serving: ServingSimulation, cluster: DemoCluster, trace: Trace) async -> Frame? {
        guard let run = serving.runs.first(where: { $0.namespace == cluster.namespace && $0.name == cluster.deploymentName }),
              let tick = run.ticks.last, let asked = run.asked.last else { return nil }
        let status = await cluster.pool()?["status"]
        return Frame(second: run.ticks.count, duration: trace.duration, demand: tick.demand, trueP90: tick.p90,
                     seenP90: status?["observed"]?["p90"]?.stringValue.flatMap(QuantityText.seconds),
                     seenGPU: status?["observed"]?["gpuUtil"]?.stringValue.flatMap(QuantityText.fraction),
                     asked: asked, ready: tick.ready, warming: tick.replicas - tick.ready,
                     decision: status?["lastDecision"]?["reason"]?.stringValue)
    }

    /// Stops everything, then prints the summary and writes the plot.
    @MainActor
    private static func finish(interrupted: Bool, session: Session, manifests: DemoManifests, trace: Trace, profile: ServerProfile,
                               options: DemoOptions, output: String, events: EventLog, wall: Double) -> Int32 {
        let view = session.view
        view?.clearPanel()
        let run = session.emulator?.serving?.runs.first { $0.namespace == manifests.pool.namespace && $0.name == manifests.pool.spec.targetName }
        let pid = session.operatorChild?.pid
        let listeners = session.emulator?.serving?.podIPs.count ?? 0
        session.shutDown()
        var lines: [String] = [""]
        if interrupted { lines.append("Interrupted: stopped after \(LiveView.clock(run?.ticks.count ?? 0)) of traffic.") }
        lines.append("Stopped   eip-operator (pid \(pid.map(String.init) ?? "-")), kube-emulator and its \(listeners) pod listeners")
        if let run, !run.ticks.isEmpty {
            let settings = SimulationSettings(profile: profile, slo: options.slo, initialReplicas: manifests.pool.spec.minReplicas)
            let summary = DemoSummary(run: run, manifests: manifests, trace: trace, settings: settings, complete: !interrupted)
            let played = LiveView.clock(run.ticks.count)
            lines.append("Summary   \(trace.name): \(played) of traffic in \(LiveView.clock(Int(wall.rounded()))) (\(LiveView.number(options.speed))x); SLO: P90 <= \(LiveView.latency(options.slo)) (the load model's true P90)")
            lines += summary.table.map { "          " + $0 }
            if summary.simulated != nil {
                lines.append("          (the second row: the same pool, uncompressed, in eipctl simulate; the live run polls every \(Compression.duration(manifests.compression.applied.pollIntervalSeconds * options.speed)) of trace and reads P90 over \(Compression.duration(max(manifests.compression.appliedRateWindow, 4 * manifests.compression.applied.pollIntervalSeconds) * options.speed)) of it)")
            }
            lines.append("Events    " + (events.reasons.isEmpty ? "none" : events.reasons.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")))
            let report = summary.json(trace: trace, speed: options.speed, wallSeconds: wall, interrupted: interrupted, operatorPID: pid,
                                      events: events.reasons, asked: run.asked)
            do {
                try (report.prettyText + "\n").write(toFile: output + "/summary.json", atomically: true, encoding: .utf8)
            } catch {
                lines.append("Summary   not written to \(output)/summary.json: \(error.localizedDescription)")
            }
            let plot = output + "/demo.svg"
            let svg = summary.svg(title: "eip-operator live on kube-emulator: \(manifests.pool.namespace)/\(manifests.pool.name) on \(trace.name)",
                                  subtitle: "\(profile.name), cold start \(LiveView.number(profile.coldStart))s, \(LiveView.number(options.speed))x faster than the trace; the real operator scraping simulated Triton pods")
            do {
                try svg.write(toFile: plot, atomically: true, encoding: .utf8)
                lines.append("Plot      \(plot)")
            } catch {
                lines.append("Plot      not written: \(error.localizedDescription)")
            }
        }
        lines.append("Log       \(output)/operator.log")
        LiveView.write(lines.joined(separator: "\n") + "\n", to: STDOUT_FILENO)
        return interrupted ? 130 : 0
    }

    @MainActor
    private static func header(_ view: LiveView, options: DemoOptions, manifests: DemoManifests, trace: Trace, profile: ServerProfile,
                               emulator: KubeEmulator, output: String) {
        let pool = manifests.pool
        view.say("eip-demo: the real eip-operator on kube-emulator, whose pods serve Triton-like /metrics from the load model",
                 "",
                 "Pool      \(pool.namespace)/\(pool.name) -> Deployment \(pool.spec.targetName): replicas \(pool.spec.minReplicas)..\(pool.spec.maxReplicas), up \"\(pool.spec.scaleUpThreshold)\", down \"\(pool.spec.scaleDownThreshold)\"",
                 "Traffic   \(trace.name): \(LiveView.clock(trace.duration)), \(LiveView.rate(trace.demand.max() ?? 0)) at peak; \(profile.name): \(LiveView.rate(profile.capacity)) per Ready pod, cold start \(LiveView.number(profile.coldStart))s",
                 "Time      \(LiveView.number(options.speed))x: 1 s here is \(LiveView.number(options.speed)) s of traffic. The pool's behavior is compressed by the same factor:")
        for line in manifests.compression.lines { view.say("            " + line) }
        view.say("            cold start \(LiveView.number(profile.coldStart))s -> \(NumberText.fixed(profile.coldStart / options.speed, 2))s",
                 "          Times in the operator's messages are wall seconds. Counters grow by the trace's req/s per wall second.")
        for note in manifests.notes { view.say("Note      " + note) }
        view.say("Cluster   kube-emulator at \(emulator.url) (kubeconfig \(output)/kubeconfig)",
                 "Columns   P90 SEEN: what the operator read (* over its scale-up threshold); TRUE P90: the load model's (! over the \(LiveView.latency(options.slo)) SLO)")
    }

    /// Seconds of trace between table rows: about 30 rows per run.
    static func rowInterval(_ duration: Int) -> Int {
        [15, 30, 60, 120, 300, 600, 1800, 3600].first { duration / $0 <= 30 } ?? 3600
    }

    /// A binary in the same folder as this one (`.build/debug/eip-operator` beside `eip-demo`).
    static func siblingBinary(_ name: String) -> String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// SIGINT, SIGTERM and SIGHUP, caught: the run stops at its next step and cleans up (Ctrl-C).
final class Interruption: @unchecked Sendable {
    private let received = Locked<Int32?>(nil)
    /// Kept for the life of the run (a released source stops delivering); never mutated.
    private let sources: [any DispatchSourceSignal]

    init() {
        let received = self.received
        Glibc.signal(SIGPIPE, SIG_IGN)
        sources = [SIGINT, SIGTERM, SIGHUP].map { number in
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { received.withLock { $0 = $0 ?? number } }
            source.resume()
            return source
        }
    }

    /// The first signal received, if any.
    var signal: Int32? { received.withLock { $0 } }

    /// Standard output is gone: stop as for SIGPIPE, but after cleaning up.
    func outputClosed() { received.withLock { $0 = $0 ?? SIGPIPE } }

    deinit { sources.forEach { $0.cancel() } }
}
