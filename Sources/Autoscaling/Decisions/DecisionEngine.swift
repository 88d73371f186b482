/// Decides a pool's replica count (SPEC §4). A pure function of its inputs: no I/O, no clock of its own.
///
/// Precedence, first match wins:
/// 1. another autoscaler targets the Deployment → hold, no writes (rule 7);
/// 2. `paused` → hold (rule 2; pausing freezes replicas even outside the bounds, so that a person
///    doing maintenance is not overruled);
/// 3. replicas outside `minReplicas...maxReplicas` → the nearest bound, at once (rule 1);
/// 4. the scale-up rule true → a step up from ready replicas, after its window and period (rules 3, 5);
/// 5. the metrics needed are unknown → hold, or `fallback.replicas` after enough failures (rule 6);
/// 6. the scale-down rule true, the scale-up rule false → a step down after the window and period (rule 4);
/// 7. otherwise hold.
/// The decision carries the facts behind it; its `message` is written from them when read.
public enum DecisionEngine {
    public static func decide(policy: ScalingPolicy, target: TargetSnapshot, sample: MetricSample,
                              now: Timestamp, state previous: ScalingState) -> ScalingDecision {
        let current = target.currentReplicas
        let ready = max(0, min(target.readyReplicas, current))
        let maxAge = policy.behavior.pollIntervalSeconds * Defaults.staleAfterPollIntervals
        let (values, _) = sample.freshValues(at: now, maxAge: maxAge)
        let up = policy.scaleUp.evaluate(values)
        let down = policy.scaleDown.evaluate(values)

        // The windows follow the rules whatever is decided below, so that time paused or bounded
        // still counts, and a restart reads them back from status.
        var state = previous
        state.scaleUpCandidateSince = up.result == .true ? (previous.scaleUpCandidateSince ?? now) : nil
        state.scaleDownCandidateSince = (down.result == .true && up.result == .false) ? (previous.scaleDownCandidateSince ?? now) : nil
        let blockedByUnknown = up.result == .unknown || (up.result == .false && down.result == .unknown)
        state.consecutiveMetricFailures = blockedByUnknown ? previous.consecutiveMetricFailures + 1 : 0

        var d = Draft(target: target.name, current: current, up: up, down: down,
                      unknown: policy.metrics.filter { values[$0] == nil }, state: state)

        if let other = target.otherAutoscalers.first {
            d.facts.otherAutoscaler = other
            return d.hold(.otherAutoscaler)
        }
        if policy.paused {
            return d.hold(.paused)
        }
        if current < policy.minReplicas {
            d.facts.bound = policy.minReplicas
            return d.move(to: policy.minReplicas, .belowMinimum)
        }
        if current > policy.maxReplicas {
            d.facts.bound = policy.maxReplicas
            return d.move(to: policy.maxReplicas, .aboveMaximum)
        }
        if up.result == .true {
            return scaleUp(policy, &d, ready: ready, values: values, now: now)
        }
        if blockedByUnknown {
            return metricsUnknown(policy, &d, sample: sample, now: now, maxAge: maxAge)
        }
        if down.result == .true {
            return scaleDown(policy, &d, now: now)
        }
        return d.hold(.withinThresholds)
    }

    private static func scaleUp(_ policy: ScalingPolicy, _ d: inout Draft, ready: Int, values: MetricValues, now: Timestamp) -> ScalingDecision {
        d.rulesOverlap = d.down.result == .true
        let step = policy.behavior.scaleUp
        if step.stabilizationWindowSeconds > 0, let since = d.state.scaleUpCandidateSince {
            let held = now.seconds(since: since)
            if held < Double(step.stabilizationWindowSeconds) {
                d.facts.heldSeconds = held
                d.facts.windowSeconds = step.stabilizationWindowSeconds
                return d.hold(.scaleUpStabilizing)
            }
        }
        if let held = d.limits(atBound: d.current >= policy.maxReplicas, bound: policy.maxReplicas, .atMaximum,
                               lastStep: d.state.lastScaleUpTime, period: step.periodSeconds, now: now, .scaleUpRateLimited) {
            return held
        }
        // The step is taken from ready replicas: replicas still starting are capacity on its way,
        // so a rule that keeps firing while they warm does not stack another step.
        let amount = step.step(from: ready)
        var desired = ready + amount
        d.facts.ready = ready
        d.facts.stepPods = step.pods
        d.facts.stepPercent = step.percent
        d.facts.step = amount
        for clause in policy.proportionalClauses {
            guard let observed = values[clause.metric], observed > clause.threshold.value else { continue }
            let estimate = Int((Double(ready) * observed / clause.threshold.value).rounded(.up))
            if estimate > desired {
                desired = estimate
                d.facts.proportional = ProportionalEstimate(comparison: clause, observed: observed, estimate: estimate)
            }
        }
        let to = min(desired, policy.maxReplicas)
        d.facts.proposed = to
        d.limited = desired > policy.maxReplicas
        d.facts.capped = d.limited
        d.facts.bound = policy.maxReplicas
        if to <= d.current {
            return d.hold(.replicasWarming)
        }
        d.state.lastScaleUpTime = now
        return d.move(to: to, .scaleUpRule)
    }

    private static func scaleDown(_ policy: ScalingPolicy, _ d: inout Draft, now: Timestamp) -> ScalingDecision {
        let step = policy.behavior.scaleDown
        let held = now.seconds(since: d.state.scaleDownCandidateSince ?? now)
        d.facts.heldSeconds = held
        d.facts.windowSeconds = step.stabilizationWindowSeconds
        if held < Double(step.stabilizationWindowSeconds) {
            return d.hold(.scaleDownStabilizing)
        }
        if let held = d.limits(atBound: d.current <= policy.minReplicas, bound: policy.minReplicas, .atMinimum,
                               lastStep: d.state.lastScaleDownTime, period: step.periodSeconds, now: now, .scaleDownRateLimited) {
            return held
        }
        let amount = step.step(from: d.current)
        d.facts.stepPods = step.pods
        d.facts.stepPercent = step.percent
        d.facts.step = amount
        d.limited = d.current - amount < policy.minReplicas
        d.facts.capped = d.limited
        d.facts.bound = policy.minReplicas
        d.state.lastScaleDownTime = now
        return d.move(to: max(policy.minReplicas, d.current - amount), .scaleDownRule)
    }

    private static func metricsUnknown(_ policy: ScalingPolicy, _ d: inout Draft, sample: MetricSample, now: Timestamp, maxAge: Double) -> ScalingDecision {
        d.facts.sourceFailure = sample.failure
        d.facts.missing = d.unknown.map { metric in
            guard let reading = sample.readings[metric] else { return MissingMetric(metric: metric, why: .absent(reason: sample.unknownReasons[metric])) }
            guard reading.value.isFinite else { return MissingMetric(metric: metric, why: .notANumber) }
            return MissingMetric(metric: metric, why: .stale(ageSeconds: now.seconds(since: reading.sampledAt), limitSeconds: maxAge))
        }
        let failures = d.state.consecutiveMetricFailures
        if let fallback = policy.behavior.fallback, failures >= fallback.failureThreshold {
            d.facts.failures = failures
            d.facts.fallback = fallback
            return d.move(to: min(max(fallback.replicas, policy.minReplicas), policy.maxReplicas), .fallback)
        }
        return d.hold(.metricsUnknown)
    }
}

/// The parts of a decision gathered before its action is known.
private struct Draft {
    let target: String
    let current: Int
    let up: ThresholdEvaluation
    let down: ThresholdEvaluation
    let unknown: [MetricName]
    var state: ScalingState
    var facts = DecisionFacts()
    var rulesOverlap = false
    var limited = false

    init(target: String, current: Int, up: ThresholdEvaluation, down: ThresholdEvaluation, unknown: [MetricName], state: ScalingState) {
        self.target = target
        self.current = current
        self.up = up
        self.down = down
        self.unknown = unknown
        self.state = state
    }

    func hold(_ reason: ScalingDecision.Reason) -> ScalingDecision { move(to: current, reason) }

    /// The hold that applies before a step in either direction: replicas already at the bound the
    /// step heads for, or the last step in that direction less than a period ago. Nil when neither.
    mutating func limits(atBound: Bool, bound: Int, _ boundReason: ScalingDecision.Reason,
                         lastStep: Timestamp?, period: Int, now: Timestamp, _ periodReason: ScalingDecision.Reason) -> ScalingDecision? {
        if atBound {
            limited = true
            facts.bound = bound
            return hold(boundReason)
        }
        if let lastStep, now.seconds(since: lastStep) < Double(period) {
            facts.sinceLastStep = now.seconds(since: lastStep)
            facts.periodSeconds = period
            return hold(periodReason)
        }
        return nil
    }

    func move(to replicas: Int, _ reason: ScalingDecision.Reason) -> ScalingDecision {
        let action: ScalingDecision.Action = replicas > current ? .scaleUp : replicas < current ? .scaleDown : .hold
        return ScalingDecision(action: action, from: current, to: replicas, reason: reason, facts: facts, targetName: target,
                               scaleUp: up, scaleDown: down, rulesOverlap: rulesOverlap, limited: limited,
                               unknownMetrics: unknown, state: state)
    }
}
