import Autoscaling
import JSON
import LoadModel
import TestSupport
import YAML
@testable import Simulation

/// A history of `seconds` identical ticks: `demand` req/s all served, at `p90` seconds, `gpu` utilisation.
func steadyHistory(seconds: Int, demand: Double, p90: Double, gpu: Double = 0.3, ready: Int = 2) -> PoolHistory {
    var history = PoolHistory()
    append(&history, seconds: seconds, demand: demand, p90: p90, gpu: gpu, ready: ready)
    return history
}

func append(_ history: inout PoolHistory, seconds: Int, demand: Double, p90: Double, gpu: Double = 0.3, ready: Int = 2) {
    for _ in 0..<seconds {
        history.append(PoolTick(time: Double(history.count), demand: demand, served: demand, dropped: 0, backlog: 0,
                                replicas: ready, ready: ready, load: 0.5, p90: p90, gpuUtilisation: gpu))
    }
}

/// The pool and policy of a manifest, validated.
func parsePool(_ yaml: String) throws -> (ElasticInferencePool, ScalingPolicy) {
    let object = try YAMLReader.jsonValues(in: yaml)[0]
    let check = ElasticInferencePool.check(object)
    guard let pool = check.pool, let policy = check.policy else { throw TestFailure("invalid pool: \(check.errors)") }
    return (pool, policy)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// LOADMODEL.md's standard pool (`docs/simulate/standard-pool.yaml`).
func standardPool() throws -> (ElasticInferencePool, ScalingPolicy) {
    try parsePool(String(contentsOfFile: repositoryRoot + "/docs/simulate/standard-pool.yaml", encoding: .utf8))
}

/// A pool with these rules, bounds 1...4, every other field at its default.
func poolWithRules(up: String, down: String) throws -> (ElasticInferencePool, ScalingPolicy) {
    try parsePool("""
    apiVersion: aiops.example.com/v1alpha2
    kind: ElasticInferencePool
    metadata: {name: p}
    spec: {modelRef: m, minReplicas: 1, maxReplicas: 4, scaleUpThreshold: "\(up)", scaleDownThreshold: "\(down)"}
    """)
}

/// A pool with bounds 2...40, up on `P90 > 200ms`, down on `P90 < 100ms`, and these lines added to its spec.
func poolWithSpec(_ lines: String...) throws -> (ElasticInferencePool, ScalingPolicy) {
    try parsePool("""
    apiVersion: aiops.example.com/v1alpha2
    kind: ElasticInferencePool
    metadata: {name: p}
    spec:
      modelRef: m
      minReplicas: 2
      maxReplicas: 40
      scaleUpThreshold: "P90 > 200ms"
      scaleDownThreshold: "P90 < 100ms"
    """ + lines.map { "\n  " + $0 }.joined())
}
