// Benchmark of `eipctl simulate` (issue 12): an hour of traffic through the load model, for the
// project's engine (the planning code the reconciler runs, each poll) and each anchor.
// SPEC §11: an hour of traffic simulated in under 1 s.
import Autoscaling
import LoadModel
import Simulation
import YAML

func runSimulationBenchmarks(report: (String, String) -> Void, enabled: (String) -> Bool) {
    let standardPool = """
    apiVersion: aiops.example.com/v1alpha2
    kind: ElasticInferencePool
    metadata: {name: standard}
    spec: {modelRef: bert-base, minReplicas: 2, maxReplicas: 40, scaleUpThreshold: "P90 > 200ms || gpu.util > 85%",
           scaleDownThreshold: "P90 < 100ms && gpu.util < 40%", behavior: {pollInterval: 5s}}
    """
    guard let object = try? YAMLReader.jsonValues(in: standardPool).first,
          let pool = ElasticInferencePool.check(object).pool, let policy = ElasticInferencePool.check(object).policy else {
        report("simulate: setup failed", "the standard pool does not validate")
        return
    }
    // The first hour of the diurnal trace: 8k rising to 60k req/s, so every scaler keeps deciding.
    let diurnal = BuiltinTrace.diurnal.trace(seed: 1)
    let hour = Trace(name: "diurnal, first hour", demand: Array(diurnal.demand.prefix(3_600)))
    let settings = SimulationSettings(initialReplicas: 2)
    let scalers: [(String, () -> any Scaler)] = [
        ("eip-operator engine, poll 5s", { EngineScaler(pool: pool, policy: policy) }),
        ("hpa-util=50, sync 15s", { HorizontalPodAutoscaler(name: "hpa", metric: .gpuUtilisation(target: 0.5), minReplicas: 2, maxReplicas: 40) }),
        ("keda-p90=200ms, sync 15s", { HorizontalPodAutoscaler(name: "keda", metric: .latencyAverageValue(target: 0.2), minReplicas: 2, maxReplicas: 40) }),
        ("kpa, tick 2s", { KnativePodAutoscaler(minReplicas: 2, maxReplicas: 40) }),
    ]
    func milliseconds(_ body: () -> Int) -> Double {
        var times: [Double] = []
        for _ in 0..<15 {
            let start = nanoseconds()
            sink &+= body()
            times.append(Double(nanoseconds() - start) / 1e6)
        }
        times.sort()
        return times[times.count / 2]
    }
    func figure(_ ms: Double) -> String { "\(Double(Int(ms * 100)) / 100) ms per simulated hour" }

    for (name, make) in scalers where enabled("simulate: 1 h, \(name)") {
        report("simulate: 1 h, \(name)", figure(milliseconds { Simulator.run(make(), trace: hour, settings: settings).scores.replicaSeconds }))
    }
    if enabled("simulate: 1 h, engine + 3 anchors (--compare)") {
        let ms = milliseconds { scalers.reduce(0) { $0 + Simulator.run($1.1(), trace: hour, settings: settings).scores.replicaSeconds } }
        report("simulate: 1 h, engine + 3 anchors (--compare)", figure(ms) + " (target < 1 s)")
    }
}
