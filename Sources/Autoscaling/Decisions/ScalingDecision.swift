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
        /// The scale-up rule is true; what the pool needs is covered by replicas still starting (or,
        /// once the metrics window still shows a breach the ready replicas already cover, by them).
        case replicasWarming(UpStep)
        /// The scale-up rule fired and replicas were added, sized as ``UpStep/sizing`` says (rule 3).
        case scaleUpRule(UpStep)
        /// The scale-up rule is not true, but demand rises clearly and the replicas it will need one
        /// cold start from now are more than the pool has: they start now (issue 13 §2).
        case scaleUpForecast(UpStep)
        /// Replicas a fast-path scale-up asked for beyond what the demand turned out to need, still
        /// starting, are given back before they are Ready (no ready replica is removed).
        case trimStarting(TrimStep)
        /// The scale-down rule is true but has held `held` seconds of its `window` (`scaleDown.stabilizationWindowSeconds`).
        case scaleDownStabilizing(held: Double, window: Int)
        /// The scale-down rule is true but replicas are at `minReplicas`.
        case atMinimum(minReplicas: Int)
        /// The scale-down rule held but the last step was `sinceLastStep` seconds ago, less than `period` (`scaleDown.periodSeconds`).
        case scaleDownRateLimited(sinceLastStep: Double, period: Int)
        /// The scale-down rule held for the window and a step was taken (rule 4).
        case scaleDownRule(DownStep)
        /// The scale-down rule held for the window, but demand trends up and its forecast one cold
        /// start ahead needs every replica: hold.
        case forecastHolds(ForecastSizing)
        /// Not enough fresh metric values to decide: hold (rule 6).
        case metricsUnknown(MissingMetrics)
        /// Metrics were missing for `failures` polls in a row, at least `fallback.failureThreshold`:
        /// `fallback.replicas` is a floor (rule 6), so replicas go up to it, never down.
        case fallback(failures: Int, policy: FallbackPolicy, MissingMetrics)
        /// Neither rule is true.
        case withinThresholds

        /// The rule's name: the `reason` written in status, conditions and Events.
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            case otherAutoscaler = "OtherAutoscaler", paused = "Paused"
            case belowMinimum = "BelowMinimum", aboveMaximum = "AboveMaximum"
            case scaleUpStabilizing = "ScaleUpStabilizing", atMaximum = "AtMaximum", scaleUpRateLimited = "ScaleUpRateLimited"
            case replicasWarming = "ReplicasWarming", scaleUpRule = "ScaleUpRule", scaleUpForecast = "ScaleUpForecast"
            case trimStarting = "TrimStartingReplicas"
            case scaleDownStabilizing = "ScaleDownStabilizing", atMinimum = "AtMinimum", scaleDownRateLimited = "ScaleDownRateLimited"
            case scaleDownRule = "ScaleDownRule", forecastHolds = "ForecastHolds"
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
            case .scaleUpForecast: return .scaleUpForecast
            case .trimStarting: return .trimStarting
            case .scaleDownStabilizing: return .scaleDownStabilizing
            case .atMinimum: return .atMinimum
            case .scaleDownRateLimited: return .scaleDownRateLimited
            case .scaleDownRule: return .scaleDownRule
            case .forecastHolds: return .forecastHolds
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

/// A scale-up (rule 3, issue 13 §1–3): the replicas the sizing in ``sizing`` asked for; `to` is the
/// result after the `maxReplicas` cap. SPEC §4's step (max(`pods`, `percent`% of ready) from ready)
/// sizes it when nothing is learned yet, or when a breach persists with every replica Ready.
public struct UpStep: Sendable, Hashable {
    /// What sized it.
    public let sizing: UpSizing
    /// The breach far past its threshold that made this a fast-path step (no scale-up period), if any.
    public let fastPath: FastPath?
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

/// A scale-down step (rule 4): after the rule held `held` seconds, to the replicas the demand needs
/// (``sizing``) but by at most max(`pods`, `percent`% of current), or by that step when the learned
/// capacity cannot say (or says all are needed, which the rule overrules).
public struct DownStep: Sendable, Hashable {
    /// The demand sizing that set the step, when it asked for fewer than the whole step removes would leave.
    public let sizing: CapacitySizing?
    /// The rule held with the pool idle (no request served; latencies read as low).
    public let idle: Bool
    /// The rising demand's forecast that kept the step short, if one did.
    public let floor: ForecastSizing?
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

/// How a scale-up was sized (issue 13 §5: every decision says which sizing produced it).
public enum UpSizing: Sendable, Hashable {
    /// SPEC §4's step from ready replicas: nothing learned yet, or a breach that persists with every
    /// replica Ready for a metrics window (the learned capacity was cut to what was seen).
    case step
    /// The demand at the learned capacity per replica.
    case capacity(CapacitySizing)
    /// A sudden jump of demand, extrapolated over the cold start (fast path).
    case surge(SurgeSizing)
    /// A rising trend, forecast one cold start ahead.
    case forecast(ForecastSizing)
}

/// `ceil(demand / (perReplica × utilization))`: the ready replicas a demand needs.
public struct CapacitySizing: Sendable, Hashable {
    /// Requests/s sized for.
    public let demand: Double
    /// The learned requests/s per ready replica.
    public let perReplica: Double
    /// ``Defaults/capacityTargetUtilization``.
    public let utilization: Double
    /// The replicas.
    public let replicas: Int
}

/// A demand jump since the last poll, extrapolated over the cold start and a poll.
public struct SurgeSizing: Sendable, Hashable {
    /// Requests/s at the previous poll and now.
    public let previous: Double
    public let now: Double
    /// Seconds between the two.
    public let interval: Double
    /// Seconds ahead: the cold start and one poll.
    public let ahead: Double
    /// Whether the cold start was measured on this pool (else assumed).
    public let coldStartMeasured: Bool
    /// The sizing of the extrapolated demand.
    public let capacity: CapacitySizing
}

/// A rising demand trend, forecast one cold start (and a poll) ahead.
public struct ForecastSizing: Sendable, Hashable {
    /// The demand trend's level (requests/s) and slope (requests/s per second).
    public let level: Double
    public let slope: Double
    /// Seconds ahead.
    public let ahead: Double
    /// Whether the cold start was measured on this pool (else assumed).
    public let coldStartMeasured: Bool
    /// The sizing of the forecast demand.
    public let capacity: CapacitySizing
}

/// A breach far past its threshold (``Defaults/fastPathFactor``), acted on at once.
public struct FastPath: Sendable, Hashable {
    /// The clause (`P90>200ms`).
    public let comparison: Comparison
    /// Its observed value, canonical unit.
    public let observed: Double
}

/// Replicas still starting given back after a fast-path scale-up: the pool keeps `to`.
public struct TrimStep: Sendable, Hashable {
    /// Ready replicas (never removed).
    public let ready: Int
    /// The demand the fast path sized for, requests/s.
    public let surgeForecast: Double
    /// What the demand needs now.
    public let sizing: CapacitySizing
    /// A rising trend's forecast, when it keeps more.
    public let floor: ForecastSizing?
    /// Replicas kept.
    public let to: Int
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
            let observed = clause.observed.map { Quantity.format($0, as: c.metric.kind) } ?? (clause.idle ? "idle" : "unknown")
            return "\(c.metric.rawValue)=\(observed) \(c.op.rawValue) \(c.threshold.text): \(clause.result.rawValue)"
        }.joined(separator: ", ")
    }
}
