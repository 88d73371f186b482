@testable import Autoscaling

/// A fixed origin for test clocks.
let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)

extension Timestamp {
    static func + (t: Timestamp, seconds: Double) -> Timestamp { t.adding(seconds: seconds) }
}

func makePolicy(up: String = "P90>200ms", down: String = "P90<50ms", min: Int = 2, max: Int = 12,
                behavior: ScalingBehavior = ScalingBehavior(), paused: Bool = false) throws -> ScalingPolicy {
    ScalingPolicy(minReplicas: min, maxReplicas: max, scaleUp: try ThresholdExpression(parsing: up),
                  scaleDown: try ThresholdExpression(parsing: down), behavior: behavior, paused: paused)
}

/// A sample with every value read at `at`.
func sample(_ values: [MetricName: Double], at: Timestamp) -> MetricSample {
    MetricSample(readings: values.mapValues { MetricReading(value: $0, sampledAt: at) })
}

func target(_ current: Int, ready: Int? = nil, others: [String] = []) -> TargetSnapshot {
    TargetSnapshot(name: "model", currentReplicas: current, readyReplicas: ready ?? current, otherAutoscalers: others)
}

/// Runs the engine repeatedly, carrying the state and the replica count forward like the controller would.
struct Simulation {
    var policy: ScalingPolicy
    var replicas: Int
    var state = ScalingState()
    var now = t0

    mutating func step(_ values: [MetricName: Double], after seconds: Double = 0, ready: Int? = nil) -> ScalingDecision {
        now = now + seconds
        let d = DecisionEngine.decide(policy: policy, target: target(replicas, ready: ready), sample: sample(values, at: now),
                                      now: now, state: state)
        state = d.state
        replicas = d.to
        return d
    }
}
