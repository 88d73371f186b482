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
    /// The decision for one poll. `now` is the clock reading; a reading older than
    /// `pollIntervalSeconds × staleAfterPollIntervals` is unknown. `previous` is the state the last
    /// decision left (from status); the result carries the next one.
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
            return d.hold(.otherAutoscaler(other))
        }
        if policy.paused {
            return d.hold(.paused)
        }
        if current < policy.minReplicas {
            return d.move(to: policy.minReplicas, .belowMinimum(minReplicas: policy.minReplicas))
        }
        if current > policy.maxReplicas {
            return d.move(to: policy.maxReplicas, .aboveMaximum(maxReplicas: policy.maxReplicas))
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
                return d.hold(.scaleUpStabilizing(held: held, window: step.stabilizationWindowSeconds))
            }
        }
        if d.current >= policy.maxReplicas {
            d.limited = true
            return d.hold(.atMaximum(maxReplicas: policy.maxReplicas))
        }
        if let last = d.state.lastScaleUpTime, now.seconds(since: last) < Double(step.periodSeconds) {
            return d.hold(.scaleUpRateLimited(sinceLastStep: now.seconds(since: last), period: step.periodSeconds))
        }
        // The step is taken from ready replicas: replicas still starting are capacity on its way,
        // so a rule that keeps firing while they warm does not stack another step.
        let amount = step.step(from: ready)
        var desired = ready + amount
        var proportional: ProportionalEstimate?
        for clause in policy.proportionalClauses {
            guard let observed = values[clause.metric], observed > clause.threshold.value else { continue }
            let estimate = Int((Double(ready) * observed / clause.threshold.value).rounded(.up))
            if estimate > desired {
                desired = estimate
                proportional = ProportionalEstimate(comparison: clause, observed: observed, estimate: estimate)
            }
        }
        let to = min(desired, policy.maxReplicas)
        d.limited = desired > policy.maxReplicas
        let taken = UpStep(ready: ready, pods: step.pods, percent: step.percent, step: amount, proportional: proportional,
                           to: to, cappedAt: d.limited ? policy.maxReplicas : nil)
        if to <= d.current {
            return d.hold(.replicasWarming(taken))
        }
        d.state.lastScaleUpTime = now
        return d.move(to: to, .scaleUpRule(taken))
    }

    private static func scaleDown(_ policy: ScalingPolicy, _ d: inout Draft, now: Timestamp) -> ScalingDecision {
        let step = policy.behavior.scaleDown
        let held = now.seconds(since: d.state.scaleDownCandidateSince ?? now)
        if held < Double(step.stabilizationWindowSeconds) {
            return d.hold(.scaleDownStabilizing(held: held, window: step.stabilizationWindowSeconds))
        }
        if d.current <= policy.minReplicas {
            d.limited = true
            return d.hold(.atMinimum(minReplicas: policy.minReplicas))
        }
        if let last = d.state.lastScaleDownTime, now.seconds(since: last) < Double(step.periodSeconds) {
            return d.hold(.scaleDownRateLimited(sinceLastStep: now.seconds(since: last), period: step.periodSeconds))
        }
        let amount = step.step(from: d.current)
        d.limited = d.current - amount < policy.minReplicas
        d.state.lastScaleDownTime = now
        let taken = DownStep(held: held, pods: step.pods, percent: step.percent, step: amount, keptAt: d.limited ? policy.minReplicas : nil)
        return d.move(to: max(policy.minReplicas, d.current - amount), .scaleDownRule(taken))
    }

    private static func metricsUnknown(_ policy: ScalingPolicy, _ d: inout Draft, sample: MetricSample, now: Timestamp, maxAge: Double) -> ScalingDecision {
        let missing = MissingMetrics(metrics: d.unknown.map { metric in
            guard let reading = sample.readings[metric] else { return MissingMetric(metric: metric, why: .absent(reason: sample.unknownReasons[metric])) }
            guard reading.value.isFinite else { return MissingMetric(metric: metric, why: .notANumber) }
            return MissingMetric(metric: metric, why: .stale(ageSeconds: now.seconds(since: reading.sampledAt), limitSeconds: maxAge))
        }, sourceFailure: sample.failure)
        let failures = d.state.consecutiveMetricFailures
        if let fallback = policy.behavior.fallback, failures >= fallback.failureThreshold {
            return d.move(to: min(max(fallback.replicas, policy.minReplicas), policy.maxReplicas),
                          .fallback(failures: failures, policy: fallback, missing))
        }
        return d.hold(.metricsUnknown(missing))
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

    func move(to replicas: Int, _ reason: ScalingDecision.Reason) -> ScalingDecision {
        ScalingDecision(from: current, to: replicas, reason: reason, targetName: target, scaleUp: up, scaleDown: down,
                        rulesOverlap: rulesOverlap, limited: limited, unknownMetrics: unknown, state: state)
    }
}
