import Autoscaling
import CommandLineSupport
import Foundation
import JSON
import LoadModel
import Simulation
import YAML

/// `eipctl simulate`: a pool's decisions on a traffic trace, against the calibrated load model and
/// beside the anchors (HPA, KEDA, Knative KPA), with scores and a plot.
enum SimulateCommand {
    static let spec = CommandSpec(
        name: "simulate",
        abstract: "What-if: run a pool's autoscaling on a traffic trace, beside HPA, KEDA and Knative, and score each.",
        usage: "eipctl simulate -f POOL.yaml --trace FILE|builtin:NAME [--profile FILE|builtin:NAME] [--cold-start 120s] [--slo 200ms] [--compare hpa-util=70,keda-p90=200ms,kpa] [--seed N] [-o text|json] [--plot FILE.svg] [[NS/]POOL]",
        discussion: """
        The pool's own decisions are made by the operator's decision engine, poll by poll, from what
        its metrics source would show (the direct scrape by default; Prometheus when the pool's
        metrics.source says so, or --metrics-source). The pool itself is a fluid queue calibrated on an
        H100 (LOADMODEL.md): replicas serve up to the profile's capacity, become Ready after the cold
        start, and latency grows with load and backlog; clients give up after 5 s.

        Traces: builtin:spike (1,800 s, 12k req/s with an 8.3x spike) or builtin:diurnal (7,200 s,
        8k-60k req/s), with seeded noise; a CSV of time,qps (seconds; one row per second or per interval,
        interpolated); or the JSON of a Prometheus range query (curl '.../api/v1/query_range?query=
        sum(rate(nv_inference_request_success[1m]))&start=...&end=...&step=15s').

        Anchors (--compare, comma-separated): hpa-util=PERCENT (HPA on GPU utilisation per pod),
        keda-p90=TIME (KEDA's Prometheus trigger on P90, metricType AverageValue, KEDA's default),
        keda-p90-value=TIME (metricType Value), kpa[=CONCURRENCY] (Knative KPA, default 70 per pod).
        Each runs with the pool's minReplicas and maxReplicas.

        Scores: SLO-violation seconds (true P90 above --slo), replica-seconds and GPU-hours (replicas
        that exist, ready or starting), scale events (changes of the replica count), dropped requests,
        peak replicas. -o json adds every scale event and the per-second series.

        EXIT CODES: 0 the simulation ran; 1 the pool, profile or trace is invalid or cannot be read;
        2 the command line is wrong.
        """,
        options: [
            OptionSpec(["-f", "--filename"], value: "FILE", repeatable: true, help: "The pool manifest (a file, a directory, or - for standard input)."),
            OptionSpec(["--trace"], value: "FILE|builtin:NAME", help: "Required: a CSV or Prometheus range-query JSON file, or builtin:spike, builtin:diurnal, builtin:step, builtin:bursts, builtin:ramp, builtin:idle, builtin:walk."),
            OptionSpec(["--profile"], value: "FILE|builtin:NAME", help: "The server profile: a YAML/JSON file, or builtin:h100-bert (default), builtin:gpu-bound."),
            OptionSpec(["--cold-start"], value: "DURATION", help: "Seconds from asking for a replica to its being Ready (default: the profile's, 10s)."),
            OptionSpec(["--slo"], value: "DURATION", help: "The P90 latency SLO the scores count against (default 200ms)."),
            OptionSpec(["--compare"], value: "ANCHORS", help: "Anchors to run beside the pool: hpa-util=70,keda-p90=200ms,kpa."),
            OptionSpec(["--seed"], value: "N", help: "Seed of the built-in traces' noise (default 1)."),
            OptionSpec(["--metrics-source"], value: "KIND", help: "podscrape or prometheus (default: the pool's metrics.source, else podscrape)."),
            OptionSpec(["-o", "--output"], value: "FORMAT", help: "text (default) or json."),
            OptionSpec(["--plot"], value: "FILE.svg", help: "Write an SVG: demand, ready capacity, replicas and P90 over time, one panel per scaler."),
        ],
        maximumPositionals: 1)

    static func run(_ args: ParsedArguments, io: CommandIO) throws(UsageError) -> ExitCode {
        let options = try SimulateOptions(args)
        guard let (pool, policy) = loadPool(args, io: io) else { return .invalidInput }
        let unmodelled = EngineScaler.unmodelledMetrics(of: policy)
        guard unmodelled.isEmpty else {
            io.err("error: the pool's rules read \(unmodelled.joined(separator: ", ")), which the load model does not give (it gives \(EngineScaler.modelledMetrics.map(\.rawValue).joined(separator: ", "))); simulate a pool whose rules use those")
            return .invalidInput
        }
        guard var profile = loadProfile(options.profile, io: io) else { return .invalidInput }
        if let coldStart = options.coldStart { profile.coldStart = coldStart }
        guard let trace = loadTrace(options.trace, seed: options.seed, io: io) else { return .invalidInput }

        var scalers: [any Scaler] = [EngineScaler(pool: pool, policy: policy, source: options.metricsSource)]
        scalers += options.anchors.map { $0.scaler(minReplicas: policy.minReplicas, maxReplicas: policy.maxReplicas) }
        let settings = SimulationSettings(profile: profile, slo: options.slo, initialReplicas: policy.minReplicas)
        let runs = scalers.map { Simulator.run($0, trace: trace, settings: settings) }
        let pipeline = (scalers.first as? EngineScaler)?.pipeline ?? .directScrape(rateWindow: 30)

        let report = SimulationReport(pool: pool, policy: policy, trace: trace, settings: settings, seed: options.seed,
                                      builtinTrace: options.trace.hasPrefix("builtin:"), pipeline: pipeline, anchors: options.anchors, runs: runs)
        if let path = options.plot {
            let svg = ComparisonPlot(title: report.title, subtitle: report.subtitle, runs: runs, settings: settings).svg
            do {
                try svg.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                io.err("error: cannot write the plot to \(path): \(error.localizedDescription)")
                return .invalidInput
            }
        }
        if options.format == "json" {
            io.out(report.json.prettyText)
        } else {
            io.writeOut(report.text)
            if let path = options.plot { io.out("Plot      \(path)") }
        }
        return .success
    }

    /// The one pool of the `-f` files (or the one named), validated.
    private static func loadPool(_ args: ParsedArguments, io: CommandIO) -> (ElasticInferencePool, ScalingPolicy)? {
        let inputs = args.all("filename")
        guard !inputs.isEmpty else {
            io.err("error: simulate needs the pool: -f POOL.yaml")
            return nil
        }
        let objects: [ManifestObject]
        switch ManifestLoader.load(inputs, recursive: false, io: io) {
        case .failure(let error): io.err(error.description); return nil
        case .success(let loaded): objects = loaded
        }
        let wanted = args.positionals.first
        let pools = objects.filter { object in
            guard object.kind == ElasticInferencePool.kind else { return false }
            guard let wanted else { return true }
            return wanted.contains("/") ? "\(object.namespace ?? "default")/\(object.name)" == wanted : object.name == wanted
        }
        guard let object = pools.first, pools.count == 1 else {
            io.err(pools.isEmpty ? "error: no \(ElasticInferencePool.kind)\(wanted.map { " named \($0)" } ?? "") in \(inputs.joined(separator: ", "))"
                                 : "error: the files hold \(pools.count) pools (\(pools.map(\.name).joined(separator: ", "))); name the one to simulate")
            return nil
        }
        let check = ElasticInferencePool.check(object.value)
        guard let pool = check.pool, let policy = check.policy else {
            for issue in check.errors { io.err("\(object.location(object.mark(for: issue))): error: \(issue)") }
            io.err("error: the pool is invalid")
            return nil
        }
        return (pool, policy)
    }

    private static func loadProfile(_ argument: String?, io: CommandIO) -> ServerProfile? {
        guard let argument else { return .h100BERT }
        if argument.hasPrefix("builtin:") {
            let name = String(argument.dropFirst("builtin:".count))
            guard let profile = ServerProfile.builtins[name] else {
                io.err("error: --profile: no built-in profile '\(name)'; the built-ins are \(ServerProfile.builtins.keys.sorted().map { "builtin:\($0)" }.joined(separator: ", "))")
                return nil
            }
            return profile
        }
        guard let text = readText(argument, io: io) else { return nil }
        do {
            guard let document = try YAMLReader.jsonValues(in: text).first else {
                io.err("\(argument): error: the file holds no profile")
                return nil
            }
            return try ServerProfile(json: document)
        } catch let error as YAMLError {
            io.err("\(argument):\(error.mark.line):\(error.mark.column): error: \(error.message)")
        } catch {
            io.err("\(argument): error: \(error)")
        }
        return nil
    }

    private static func loadTrace(_ argument: String, seed: UInt64, io: CommandIO) -> Trace? {
        if argument.hasPrefix("builtin:") {
            let name = String(argument.dropFirst("builtin:".count))
            guard let builtin = BuiltinTrace(rawValue: name) else {
                io.err("error: --trace: no built-in trace '\(name)'; the built-ins are \(BuiltinTrace.allCases.map { "builtin:\($0.rawValue)" }.joined(separator: ", "))")
                return nil
            }
            return builtin.trace(seed: seed)
        }
        guard let text = readText(argument, io: io) else { return nil }
        do throws(TraceError) {
            return try Trace.parse(text, name: argument)
        } catch {
            io.err("\(argument):\(error.line.map { "\($0):" } ?? "") error: \(error.message)")
            return nil
        }
    }

    private static func readText(_ path: String, io: CommandIO) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            io.err("\(path): error: cannot read the file")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            io.err("\(path): error: the file is not UTF-8 text")
            return nil
        }
        return text
    }
}

/// The command line of `simulate`, checked.
struct SimulateOptions {
    let trace: String
    let profile: String?
    let coldStart: Double?
    let slo: Double
    let anchors: [AnchorSpec]
    let seed: UInt64
    let metricsSource: MetricsSourceSpec.Kind?
    let format: String
    let plot: String?

    init(_ args: ParsedArguments) throws(UsageError) {
        guard let trace = args.value("trace") else {
            throw UsageError("simulate needs a trace: --trace FILE (CSV or Prometheus range-query JSON) or --trace builtin:spike|diurnal")
        }
        self.trace = trace
        profile = args.value("profile")
        coldStart = try Self.duration(args.value("cold-start"), "--cold-start", example: "120s")
        slo = try Self.duration(args.value("slo"), "--slo", example: "200ms") ?? 0.2
        guard slo > 0 else { throw UsageError("--slo must be greater than 0") }
        if let list = args.value("compare") {
            switch AnchorSpec.parseList(list) {
            case .success(let specs): anchors = specs
            case .failure(let error): throw UsageError("--compare: \(error.message)")
            }
        } else {
            anchors = []
        }
        let seedText = args.value("seed") ?? "1"
        guard let seed = UInt64(seedText) else { throw UsageError("--seed: expected a whole number from 0 to 2^64-1, not '\(seedText)'") }
        self.seed = seed
        switch args.value("metrics-source")?.lowercased() {
        case nil: metricsSource = nil
        case "podscrape": metricsSource = .podScrape
        case "prometheus": metricsSource = .prometheus
        case let other?: throw UsageError("--metrics-source: expected podscrape or prometheus, not '\(other)'")
        }
        format = args.value("output") ?? "text"
        guard ["text", "json"].contains(format) else { throw UsageError("unknown output format '\(format)'; use text or json") }
        plot = args.value("plot")
    }

    private static func duration(_ text: String?, _ option: String, example: String) throws(UsageError) -> Double? {
        guard let text else { return nil }
        guard let seconds = QuantityText.seconds(text), seconds >= 0, seconds <= 86_400 else {
            throw UsageError("\(option): expected a duration such as \(example), not '\(text)'")
        }
        return seconds
    }
}
