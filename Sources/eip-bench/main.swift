// `make bench`: prints nanoseconds per operation, each the median of many timed batches.
// Figures are for reading and comparing, never asserted (the machine is shared and noisy).
import Autoscaling
import JSON
import YAML

#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds.
func nanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Defeats dead-code elimination: every result feeds this, and it is printed at the end.
nonisolated(unsafe) var sink = 0

/// Runs `body` in batches of `batch` iterations, `samples` times, and returns the median ns per iteration.
func measure(batch: Int, samples: Int = 51, _ body: () -> Int) -> Double {
    for _ in 0..<batch { sink &+= body() }  // warm up
    var perIteration: [Double] = []
    for _ in 0..<samples {
        let start = nanoseconds()
        for _ in 0..<batch { sink &+= body() }
        perIteration.append(Double(nanoseconds() - start) / Double(batch))
    }
    perIteration.sort()
    return perIteration[perIteration.count / 2]
}

/// `eip-bench WORDS`: run only the benchmarks whose name contains WORDS (for profiling one).
let filter = CommandLine.arguments.dropFirst().joined(separator: " ")

func report(_ name: String, _ ns: @autoclosure () -> Double, target: String = "") {
    guard filter.isEmpty || name.contains(filter) else { return }
    let ns = ns()
    let figure = ns >= 1000 ? "\(Double(Int(ns / 10)) / 100) µs" : "\(Int(ns.rounded())) ns"
    print("\(pad(name, 52)) \(pad(figure, 12)) \(target)")
}

let seedUp = "P90<200ms && gpu.util>85%"
let seedDown = "P90>350ms || gpu.util<40%"
/// Twenty comparisons over five metrics, mixing `&&`, `||` and `!`, in groups of four.
let twentyClauses: String = {
    let clauses = (0..<20).map { i -> String in
        let c = ["P90>\(100 + i)ms", "gpu.util>\(50 + i)%", "qps>\(100 * i)", "queue>\(i + 1)ms", "P99>\(i + 1)s"][i % 5]
        return i % 3 == 0 ? "!(\(c))" : c
    }
    return stride(from: 0, to: 20, by: 4).map { "(" + clauses[$0..<$0 + 4].joined(separator: " && ") + ")" }.joined(separator: " || ")
}()

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }

do {
    let up = try ThresholdExpression(parsing: seedUp)
    let down = try ThresholdExpression(parsing: seedDown)
    let big = try ThresholdExpression(parsing: twentyClauses)
    let values = MetricValues([.p90: 0.25, .p99: 0.9, .gpuUtil: 0.91, .qps: 1200, .queue: 0.004])
    let now = Timestamp(secondsSinceEpoch: 1_800_000_000)
    let sample = MetricSample(readings: [.p90: MetricReading(value: 0.15, sampledAt: now), .gpuUtil: MetricReading(value: 0.91, sampledAt: now)])
    let policy = ScalingPolicy(minReplicas: 2, maxReplicas: 12, scaleUp: up, scaleDown: down)
    let bigPolicy = ScalingPolicy(minReplicas: 2, maxReplicas: 12, scaleUp: big, scaleDown: down)
    let target = TargetSnapshot(name: "llm-finetune-v3", currentReplicas: 4, readyReplicas: 4)

    let seedText = """
    apiVersion: aiops.example.com/v1alpha2
    kind: ElasticInferencePool
    metadata:
      name: llm-finetune-v3
    spec:
      modelRef: "llm-finetune-v3"
      minReplicas: 2
      maxReplicas: 12
      scaleUpThreshold: "P90<200ms && gpu.util>85%"
      scaleDownThreshold: "P90>350ms || gpu.util<40%"
      warmupStrategy:
        preloadedImages: ["nvcr.io/nvidia/pytorch:23.10-py3"]
        initContainers:
        - name: model-preload
          image: "registry.example.com/ai/model-loader:v2.1"
    """
    let seedObject = try YAMLReader.jsonValues(in: seedText)[0]
    let warmup = WarmupStrategy(initContainers: [["name": "model-preload", "image": "registry.example.com/ai/model-loader:v2.1"]])
    let fresh = DeploymentView(name: "llm-finetune-v3", namespace: "default", replicas: 4, readyReplicas: 4)
    guard let applied = DeploymentView([
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": "llm-finetune-v3", "resourceVersion": "7",
                     "annotations": [Defaults.ownedInitContainersAnnotation: "model-preload"]],
        "spec": ["replicas": 4, "template": ["spec": [
            "containers": [["name": "server", "image": "triton:24.01", "imagePullPolicy": "IfNotPresent"]],
            "initContainers": [["name": "model-preload", "image": "registry.example.com/ai/model-loader:v2.1",
                                "imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
                                "terminationMessagePolicy": "File", "resources": [:]]],
        ]]],
    ]) else {
        print("benchmark setup failed: the sample Deployments are not Deployments")
        exit(1)
    }

    print("eip-operator benchmarks (release build; median of 51 batches; ns per operation)")
    print("SPEC §11 targets: decision < 2 µs with the parse cached; expression parse < 20 µs")
    print()
    report("parse: seed scale-up expression (2 clauses)", measure(batch: 20_000) {
        (try? ThresholdExpression(parsing: seedUp))?.comparisons.count ?? 0
    }, target: "(target < 20 µs)")
    report("parse: 20-clause expression", measure(batch: 2_000) {
        (try? ThresholdExpression(parsing: twentyClauses))?.comparisons.count ?? 0
    }, target: "(target < 20 µs)")
    let cache = ThresholdExpressionCache()
    report("parse: cached lookup (per spec generation)", measure(batch: 100_000) {
        (try? cache.expression(for: seedUp))?.comparisons.count ?? 0
    })
    report("evaluate: seed expression, result only", measure(batch: 200_000) { up.truth(values) == .true ? 1 : 0 })
    report("evaluate: seed expression, with explanation", measure(batch: 100_000) { up.evaluate(values).clauses.count })
    report("evaluate: 20-clause expression, result only", measure(batch: 100_000) { big.truth(values) == .true ? 1 : 0 })
    report("evaluate: 20-clause expression, with explanation", measure(batch: 20_000) { big.evaluate(values).clauses.count })
    report("decide: seed pool (parse cached)", measure(batch: 20_000) {
        DecisionEngine.decide(policy: policy, target: target, sample: sample, now: now, state: ScalingState()).to
    }, target: "(target < 2 µs)")
    report("decide: 20-clause scale-up rule (parse cached)", measure(batch: 10_000) {
        DecisionEngine.decide(policy: bigPolicy, target: target, sample: sample, now: now, state: ScalingState()).to
    }, target: "(target < 2 µs)")
    report("warmup plan: first injection (patch built)", measure(batch: 20_000) {
        WarmupPlan.plan(warmup, for: fresh).changes.count
    })
    report("warmup plan: steady state (no change)", measure(batch: 20_000) {
        WarmupPlan.plan(warmup, for: applied).changes.count
    })
    report("validate: seed pool object (parse + lints, no cache)", measure(batch: 2_000) {
        ElasticInferencePool.check(seedObject).issues.count
    })
    report("yaml: read seed manifest to JSON", measure(batch: 5_000) {
        (try? YAMLReader.jsonValues(in: seedText))?.count ?? 0
    })
    print()
    runEmulatorBenchmarks(report: { name, value, unit in
        print("\(pad(name, 52)) \(pad(String(Int(value.rounded())), 12)) \(unit)")
    }, enabled: { filter.isEmpty || $0.contains(filter) })
    runClientBenchmarks(report: { name, value in print("\(pad(name, 52)) \(value)") },
                        enabled: { filter.isEmpty || $0.contains(filter) })
    runControllerBenchmarks(report: { name, value in print("\(pad(name, 52)) \(value)") },
                            enabled: { filter.isEmpty || $0.contains(filter) })
    runExpositionBenchmarks(report: { name, value in print("\(pad(name, 52)) \(value)") },
                            enabled: { filter.isEmpty || $0.contains(filter) })
    runScrapeBenchmarks(report: { name, value in print("\(pad(name, 52)) \(value)") },
                        enabled: { filter.isEmpty || $0.contains(filter) })
    runSimulationBenchmarks(report: { name, value in print("\(pad(name, 52)) \(value)") },
                            enabled: { filter.isEmpty || $0.contains(filter) })
    print()
    print("checksum \(sink)")
} catch {
    print("benchmark setup failed: \(error)")
    exit(1)
}
