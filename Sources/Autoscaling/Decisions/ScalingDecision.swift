/// What the engine decided for one pool, and why (SPEC §4 rule 8).
public struct ScalingDecision: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        case hold = "Hold", scaleUp = "ScaleUp", scaleDown = "ScaleDown"
    }

    /// The rule behind the decision; its raw value is the reason written in status and Events.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// Another autoscaler (an HPA) targets the Deployment: no writes (rule 7).
        case otherAutoscaler = "OtherAutoscaler"
        /// `spec.paused` (rule 2).
        case paused = "Paused"
        /// Replicas outside the bounds are brought inside at once (rule 1).
        case belowMinimum = "BelowMinimum", aboveMaximum = "AboveMaximum"
        /// The scale-up rule fired and a step was taken (rule 3).
        case scaleUpRule = "ScaleUpRule"
        /// The scale-up rule is true but must hold longer (`scaleUp.stabilizationWindowSeconds`).
        case scaleUpStabilizing = "ScaleUpStabilizing"
        /// The scale-up rule is true but the last step was less than `scaleUp.periodSeconds` ago.
        case scaleUpRateLimited = "ScaleUpRateLimited"
        /// The scale-up rule is true; the step from ready replicas is covered by replicas still starting.
        case replicasWarming = "ReplicasWarming"
        /// The scale-up rule is true but replicas are at `maxReplicas`.
        case atMaximum = "AtMaximum"
        /// The scale-down rule held for the window and a step was taken (rule 4).
        case scaleDownRule = "ScaleDownRule"
        /// The scale-down rule is true but has not held for `scaleDown.stabilizationWindowSeconds` yet.
        case scaleDownStabilizing = "ScaleDownStabilizing"
        /// The scale-down rule held but the last step was less than `scaleDown.periodSeconds` ago.
        case scaleDownRateLimited = "ScaleDownRateLimited"
        /// The scale-down rule is true but replicas are at `minReplicas`.
        case atMinimum = "AtMinimum"
        /// Not enough fresh metric values to decide: hold (rule 6).
        case metricsUnknown = "MetricsUnknown"
        /// Metrics failed `fallback.failureThreshold` times in a row: go to `fallback.replicas` (rule 6).
        case fallback = "Fallback"
        /// Neither rule is true.
        case withinThresholds = "WithinThresholds"
    }

    public let action: Action
    public let from: Int
    public let to: Int
    public let reason: Reason
    /// The numbers behind the decision, from which ``message`` is written.
    public let facts: DecisionFacts
    /// The Deployment decided for.
    public let targetName: String
    public let scaleUp: ThresholdEvaluation
    public let scaleDown: ThresholdEvaluation
    /// Both rules were true (scale-up won); reported as a condition.
    public let rulesOverlap: Bool
    /// The decision wanted more (or fewer) replicas than the bounds allow (condition `ScalingLimited`).
    public let limited: Bool
    /// Metrics either rule reads that had no fresh value.
    public let unknownMetrics: [MetricName]
    /// The state to record in status.
    public let state: ScalingState

    /// True when the decision writes replicas.
    public var changesReplicas: Bool { to != from }

    /// One sentence: the rule, the clauses and the values behind the decision. Written on demand,
    /// so that deciding stays cheap for callers that only need the numbers.
    public var message: String { DecisionMessage.text(for: self) }
}

/// What a decision rests on, beyond its rule and evaluations. Only the fields its reason needs are set.
public struct DecisionFacts: Sendable, Hashable {
    /// The other autoscaler that targets the Deployment.
    public var otherAutoscaler: String?
    /// The bound that applied (`minReplicas` or `maxReplicas`).
    public var bound: Int?
    /// How long the rule has held, and the window it must hold for.
    public var heldSeconds: Double?
    public var windowSeconds: Int?
    /// Time since the last step in this direction, and the period between steps.
    public var sinceLastStep: Double?
    public var periodSeconds: Int?
    /// Scale-up: ready replicas, and the step policy applied to them.
    public var ready: Int?
    public var stepPods: Int?
    public var stepPercent: Int?
    public var step: Int?
    /// The replica count the step proposed, before it was compared with the current count.
    public var proposed: Int?
    /// The proportional estimate that set a scale-up, when one did.
    public var proportional: ProportionalEstimate?
    /// The step was cut to a bound.
    public var capped = false
    /// Metrics missing from the decision, and why.
    public var missing: [MissingMetric] = []
    public var sourceFailure: String?
    public var failures: Int?
    public var fallback: FallbackPolicy?

    public init() {}
}

/// `ready × observed / threshold` for a utilisation or rate clause.
public struct ProportionalEstimate: Sendable, Hashable {
    public let comparison: Comparison
    public let observed: Double
    public let estimate: Int
}

/// A metric a decision needed and did not have.
public struct MissingMetric: Sendable, Hashable {
    public enum Why: Sendable, Hashable {
        /// The source has no value; `reason` says why when it knows (no series matched, an empty
        /// query result, only one scrape so far).
        case absent(reason: String?)
        case notANumber
        case stale(ageSeconds: Double, limitSeconds: Double)
    }

    public let metric: MetricName
    public let why: Why
}

extension ThresholdEvaluation {
    /// The clauses for people: `P90 250ms > 200ms (true), gpu.util unknown (unknown)`.
    public var clauseSummary: String {
        clauses.map { clause in
            let c = clause.comparison
            let observed = clause.observed.map { Quantity.format($0, as: c.metric.kind) } ?? "unknown"
            return "\(c.metric.rawValue)=\(observed) \(c.op.rawValue) \(c.threshold.text): \(clause.result.rawValue)"
        }.joined(separator: ", ")
    }
}
