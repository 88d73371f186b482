/// What the engine decided for one pool, and why (SPEC §4 rule 8): a small typed result, as
/// Knative's decider returns one; the reconciler applies it.
public struct ScalingDecision: Sendable, Hashable {
    /// What a decision does to replicas; its raw value is written in status (`lastDecision.action`).
    public enum Action: String, Sendable, Hashable {
        case hold = "Hold", scaleUp = "ScaleUp", scaleDown = "ScaleDown"
    }

    /// The rule behind the decision, each with the facts its explanation needs: a fact cannot be
    /// left out (it is an associated value), so no explanation ever reads "0s" for a missing one.
    /// Durations are seconds, as the spec's fields give them; `Kind` names the rule in status and Events.
    public enum Reason: Sendable, Hashable {
        /// Another autoscaler (an HPA, as `Kind/name`) targets the Deployment: no writes (rule 7).
        case otherAutoscaler(String)
        /// `spec.paused` (rule 2).
        case paused
        /// Replicas below `minReplicas` are brought up to it at once (rule 1).
        case belowMinimum(minReplicas: Int)
        /// Replicas above `maxReplicas` are brought down to it at once (rule 1).
        case aboveMaximum(maxReplicas: Int)
        /// The scale-up rule is true but has held `held` seconds of its `window` (`scaleUp.stabilizationWindowSeconds`).
        case scaleUpStabilizing(held: Double, window: Int)
        /// The scale-up rule is true but replicas are at `maxReplicas`.
        case atMaximum(maxReplicas: Int)
        /// The scale-up rule is true but the last step was `sinceLastStep` seconds ago, less than `period` (`scaleUp.periodSeconds`).
        case scaleUpRateLimited(sinceLastStep: Double, period: Int)
        /// The scale-up rule is true; the step from ready replicas is covered by replicas still starting.
        case replicasWarming(UpStep)
        /// The scale-up rule fired and a step was taken (rule 3).
        case scaleUpRule(UpStep)
        /// The scale-down rule is true but has held `held` seconds of its `window` (`scaleDown.stabilizationWindowSeconds`).
        case scaleDownStabilizing(held: Double, window: Int)
        /// The scale-down rule is true but replicas are at `minReplicas`.
        case atMinimum(minReplicas: Int)
        /// The scale-down rule held but the last step was `sinceLastStep` seconds ago, less than `period` (`scaleDown.periodSeconds`).
        case scaleDownRateLimited(sinceLastStep: Double, period: Int)
        /// The scale-down rule held for the window and a step was taken (rule 4).
        case scaleDownRule(DownStep)
        /// Not enough fresh metric values to decide: hold (rule 6).
        case metricsUnknown(MissingMetrics)
        /// Metrics were missing `failures` decisions in a row, at least `fallback.failureThreshold`:
        /// go to `fallback.replicas` (rule 6).
        case fallback(failures: Int, policy: FallbackPolicy, MissingMetrics)
        /// Neither rule is true.
        case withinThresholds

        /// The rule's name: the `reason` written in status, conditions and Events.
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            case otherAutoscaler = "OtherAutoscaler", paused = "Paused"
            case belowMinimum = "BelowMinimum", aboveMaximum = "AboveMaximum"
            case scaleUpStabilizing = "ScaleUpStabilizing", atMaximum = "AtMaximum", scaleUpRateLimited = "ScaleUpRateLimited"
            case replicasWarming = "ReplicasWarming", scaleUpRule = "ScaleUpRule"
            case scaleDownStabilizing = "ScaleDownStabilizing", atMinimum = "AtMinimum", scaleDownRateLimited = "ScaleDownRateLimited"
            case scaleDownRule = "ScaleDownRule"
            case metricsUnknown = "MetricsUnknown", fallback = "Fallback", withinThresholds = "WithinThresholds"
        }

        public var kind: Kind {
            switch self {
            case .otherAutoscaler: return .otherAutoscaler
            case .paused: return .paused
            case .belowMinimum: return .belowMinimum
            case .aboveMaximum: return .aboveMaximum
            case .scaleUpStabilizing: return .scaleUpStabilizing
            case .atMaximum: return .atMaximum
            case .scaleUpRateLimited: return .scaleUpRateLimited
            case .replicasWarming: return .replicasWarming
            case .scaleUpRule: return .scaleUpRule
            case .scaleDownStabilizing: return .scaleDownStabilizing
            case .atMinimum: return .atMinimum
            case .scaleDownRateLimited: return .scaleDownRateLimited
            case .scaleDownRule: return .scaleDownRule
            case .metricsUnknown: return .metricsUnknown
            case .fallback: return .fallback
            case .withinThresholds: return .withinThresholds
            }
        }
    }

    /// Hold, or the direction of the change from ``from`` to ``to``.
    public var action: Action { to > from ? .scaleUp : to < from ? .scaleDown : .hold }
    /// Replicas now (`spec.replicas`).
    public let from: Int
    /// Replicas decided.
    public let to: Int
    /// The rule behind the decision, with its facts.
    public let reason: Reason
    /// The Deployment decided for.
    public let targetName: String
    /// The scale-up rule, evaluated clause by clause on the fresh values.
    public let scaleUp: ThresholdEvaluation
    /// The scale-down rule, likewise.
    public let scaleDown: ThresholdEvaluation
    /// Both rules were true (scale-up won); reported as a condition.
    public let rulesOverlap: Bool
    /// The decision wanted more (or fewer) replicas than the bounds allow (condition `ScalingLimited`).
    public let limited: Bool
    /// Metrics either rule reads that had no fresh value.
    public let unknownMetrics: [MetricName]
    /// The state to record in status and to decide the next poll from.
    public let state: ScalingState

    /// True when the decision writes replicas.
    public var changesReplicas: Bool { to != from }

    /// One sentence: the rule, the clauses and the values behind the decision. Written on demand,
    /// so that deciding stays cheap for callers that only need the numbers.
    public var message: String { DecisionMessage.text(for: self) }
}

/// A scale-up step (rule 3): from `ready` replicas by max(`pods`, `percent`% of ready), or a larger
/// proportional estimate; `to` is the result after the `maxReplicas` cap.
public struct UpStep: Sendable, Hashable {
    /// Ready replicas the step is taken from.
    public let ready: Int
    /// `scaleUp.pods`.
    public let pods: Int
    /// `scaleUp.percent`.
    public let percent: Int
    /// max(`pods`, `percent`% of `ready`), rounded up.
    public let step: Int
    /// The proportional estimate that set the step, when one gave more.
    public let proportional: ProportionalEstimate?
    /// Replicas the step comes to, after the cap.
    public let to: Int
    /// `maxReplicas`, when the step was cut to it.
    public let cappedAt: Int?
}

/// A scale-down step (rule 4): by max(`pods`, `percent`% of current) after the rule held `held` seconds.
public struct DownStep: Sendable, Hashable {
    /// Seconds the scale-down rule has held.
    public let held: Double
    /// `scaleDown.pods`.
    public let pods: Int
    /// `scaleDown.percent`.
    public let percent: Int
    /// max(`pods`, `percent`% of current), rounded up.
    public let step: Int
    /// `minReplicas`, when the step was cut to it.
    public let keptAt: Int?
}

/// The metrics a decision needed and did not have, and why the source failed, if it did.
public struct MissingMetrics: Sendable, Hashable {
    /// Each metric the rules read that had no fresh value, and why.
    public let metrics: [MissingMetric]
    /// The source's failure as a whole (connection refused, no pod answered), when it failed.
    public let sourceFailure: String?
}

/// `ready × observed / threshold` for a utilisation or rate clause.
public struct ProportionalEstimate: Sendable, Hashable {
    /// The fired clause (`gpu.util>85%`).
    public let comparison: Comparison
    /// Its observed value, in the metric's canonical unit.
    public let observed: Double
    /// Replicas: `ready × observed / threshold`, rounded up.
    public let estimate: Int
}

/// A metric a decision needed and did not have.
public struct MissingMetric: Sendable, Hashable {
    /// Why a metric had no fresh value.
    public enum Why: Sendable, Hashable {
        /// The source has no value; `reason` says why when it knows (no series matched, an empty
        /// query result, only one scrape so far).
        case absent(reason: String?)
        case notANumber
        case stale(ageSeconds: Double, limitSeconds: Double)
    }

    /// The metric.
    public let metric: MetricName
    /// Why it had no value.
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
