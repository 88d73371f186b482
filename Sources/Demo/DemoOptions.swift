import CommandLineSupport
import Foundation
import LoadModel

/// The settings of one demo run (`eip-demo` flags). Paths are relative to the working directory,
/// which `scripts/demo.sh` and `make demo` set to the repository root.
public struct DemoOptions: Sendable {
    /// `--trace`: `builtin:spike` (the default), `builtin:diurnal`, or a CSV / Prometheus JSON file.
    public var trace = "builtin:spike"
    /// `--seed`: the built-in trace's noise (1, as `eipctl simulate`).
    public var seed: UInt64 = 1
    /// `--profile`: the server each pod is (`builtin:h100-bert`, LOADMODEL.md's H100 profile).
    public var profile = "builtin:h100-bert"
    /// `--cold-start`: trace seconds from a pod's creation to Ready; nil: the profile's (10 s).
    public var coldStart: Double?
    /// `--pool`: the pool to run (the bert-base sample: the rules of the calibration data).
    public var pool = "Manifests/samples/bert-triton-pool.yaml"
    /// `--deployment`: its target; nil: the Triton sample for the sample pool, else one made from the pool.
    public var deployment: String?
    /// `--crds`: the CRD manifests applied first.
    public var crds = "CRDs"
    /// `--speed`: trace seconds per wall second. 15 plays the 30-minute spike in 2 minutes.
    public var speed = 15.0
    /// `--slo`: the P90 the summary counts violations against (LOADMODEL.md's standard runs: 200 ms).
    public var slo = 0.2
    /// `--output`: where the plot, the operator's log and the kubeconfig go.
    public var output = ".build/demo"
    /// `--operator`: the `eip-operator` binary; nil: the one beside `eip-demo`.
    public var operatorBinary: String?
    /// `--plain`: line output even on a terminal (it is the default when stdout is not one).
    public var plain = false
    /// `--setup-timeout`: wall seconds the cluster and the operator have to get ready before the trace.
    public var setupTimeout = 90.0

    public init() {}

    public static let spec = CommandSpec(
        name: "eip-demo",
        abstract: "Watch the real eip-operator absorb a traffic spike, live, on kube-emulator's simulated Triton pods.",
        usage: "eip-demo [--trace builtin:spike|builtin:diurnal|FILE] [--cold-start 10s] [--pool POOL.yaml [--deployment D.yaml]] [--speed 15] [--output DIR]",
        discussion: """
        Starts kube-emulator in this process with simulated serving pods (each Ready pod of a Deployment
        serves a Triton-like /metrics on its pod IP, driven by the load model of 'eipctl simulate'),
        applies the CRDs, the Deployment and the pool, starts the real eip-operator (direct scrape of
        the pods), plays the trace and shows what happens: demand, P90 against the pool's threshold,
        GPU utilisation, replicas asked, ready and warming, and each of the operator's Events. At the
        end: a summary (SLO-violation seconds, replica-seconds, scale events), a plot of the run beside
        'eipctl simulate' of the same pool (OUTPUT/demo.svg), and every process it started stopped,
        on Ctrl-C too.

        Time runs --speed times faster than the trace: 15 plays the 30-minute spike in 2 minutes. The
        pool's behavior is compressed by the same factor (poll interval, stabilisation windows, step
        periods, the direct scrape's rate window), and so is the cold start; a poll interval below the
        CRD's 1 s minimum is held at 1 s, and the operator reads over at least 4 polls.

        EXIT CODES: 0 the demo ran; 1 it could not run (bad input, a setup that did not get ready, the
        operator exiting early); 2 the command line is wrong; 130 interrupted (Ctrl-C).
        """,
        options: [
            OptionSpec(["--trace"], value: "TRACE", help: "builtin:spike (default; 1,800 s, 12k req/s with an 8.3x spike), builtin:diurnal (7,200 s), or a CSV (time,qps) or Prometheus range-query JSON file."),
            OptionSpec(["--seed"], value: "N", help: "Seed of a built-in trace's noise (default 1)."),
            OptionSpec(["--profile"], value: "PROFILE", help: "The server each pod is: builtin:h100-bert (default), builtin:gpu-bound, or a YAML/JSON profile."),
            OptionSpec(["--cold-start"], value: "DURATION", help: "Trace time from a pod's creation to Ready (default: the profile's, 10s; try 120s for a large model)."),
            OptionSpec(["--pool"], value: "FILE", help: "The ElasticInferencePool to run (default Manifests/samples/bert-triton-pool.yaml)."),
            OptionSpec(["--deployment"], value: "FILE", help: "Its target Deployment (default: the Triton sample for the sample pool, else a minimal one named by the pool)."),
            OptionSpec(["--crds"], value: "DIR", help: "The CRD manifests to apply (default CRDs)."),
            OptionSpec(["--speed"], value: "N", help: "Trace seconds per wall second (default 15: the spike in 2 minutes)."),
            OptionSpec(["--slo"], value: "DURATION", help: "The P90 SLO the summary counts against (default 200ms)."),
            OptionSpec(["--output"], value: "DIR", help: "Where demo.svg, summary.json, operator.log and the kubeconfig go (default .build/demo)."),
            OptionSpec(["--operator"], value: "PATH", help: "The eip-operator binary (default: the one beside eip-demo)."),
            OptionSpec(["--plain"], help: "Plain line output, even on a terminal."),
            OptionSpec(["--setup-timeout"], value: "SECONDS", help: "Wall seconds the cluster and the operator have to get ready (default 90)."),
        ])

    /// The options of a command line (without the program name).
    public init(arguments: [String]) throws(UsageError) {
        let parsed = try ParsedArguments.parse(arguments, for: Self.spec)
        self.init()
        trace = parsed.value("trace") ?? trace
        if let text = parsed.value("seed") {
            guard let value = UInt64(text) else { throw UsageError("--seed: expected a whole number, not '\(text)'") }
            seed = value
        }
        profile = parsed.value("profile") ?? profile
        if let text = parsed.value("cold-start") {
            guard let seconds = QuantityText.seconds(text), seconds >= 0, seconds <= 3600 else {
                throw UsageError("--cold-start: expected a duration from 0s to 1h such as 10s or 2m, not '\(text)'")
            }
            coldStart = seconds
        }
        pool = parsed.value("pool") ?? pool
        deployment = parsed.value("deployment")
        crds = parsed.value("crds") ?? crds
        if let text = parsed.value("speed") {
            guard let value = Double(text), value >= 0.1, value <= 1000 else {
                throw UsageError("--speed: expected trace seconds per wall second, from 0.1 to 1000, not '\(text)'")
            }
            speed = value
        }
        if let text = parsed.value("slo") {
            guard let seconds = QuantityText.seconds(text), seconds > 0 else { throw UsageError("--slo: expected a duration such as 200ms, not '\(text)'") }
            slo = seconds
        }
        output = parsed.value("output") ?? output
        operatorBinary = parsed.value("operator")
        plain = parsed.has("plain")
        if let text = parsed.value("setup-timeout") {
            guard let value = Double(text), value > 0 else { throw UsageError("--setup-timeout: expected seconds, not '\(text)'") }
            setupTimeout = value
        }
        wantsHelp = parsed.has("help")
    }

    /// `--help` was given: print ``spec``'s help and run nothing.
    public private(set) var wantsHelp = false
}
