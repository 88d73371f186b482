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
public enum DecisionEngine {
    public static func decide(policy: ScalingPolicy, target: TargetSnapshot, sample: MetricSample,
                              now: Timestamp, state previous: ScalingState) -> ScalingDecision {
        let current = target.currentReplicas
        let ready = max(0, min(target.readyReplicas, current))
        let maxAge = policy.behavior.pollIntervalSeconds * Defaults.staleAfterPollIntervals
        let (values, _) = sample.freshValues(at: now, maxAge: maxAge)
        let up = policy.scaleUp.evaluate(values)
        let down = policy.scaleDown.evaluate(values)
        let unknown = policy.metrics.filter { values[$0] == nil }

        // The windows follow the rules whatever is decided below, so that time paused or bounded
        // still counts, and a restart reads them back from status.
        var state = previous
        state.scaleUpCandidateSince = up.result == .true ? (previous.scaleUpCandidateSince ?? now) : nil
        state.scaleDownCandidateSince = (down.result == .true && up.result == .false) ? (previous.scaleDownCandidateSince ?? now) : nil
        let blockedByUnknown = up.result == .unknown || (up.result == .false && down.result == .unknown)
        state.consecutiveMetricFailures = blockedByUnknown ? previous.consecutiveMetricFailures + 1 : 0

        var d = Draft(current: current, up: up, down: down, unknown: unknown, state: state)

        if let other = target.otherAutoscalers.first {
            return d.hold(.otherAutoscaler, "\(other) also targets Deployment \(target.name); not scaling it, so as not to fight over its replicas")
        }
        if policy.paused {
            return d.hold(.paused, "spec.paused is true; replicas stay at \(current)")
        }
        if current < policy.minReplicas {
            return d.move(to: policy.minReplicas, .belowMinimum, "\(current) replicas is below minReplicas \(policy.minReplicas)")
        }
        if current > policy.maxReplicas {
            return d.move(to: policy.maxReplicas, .aboveMaximum, "\(current) replicas is above maxReplicas \(policy.maxReplicas)")
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
        return d.hold(.withinThresholds, "neither threshold is true (up: \(up.clauseSummary); down: \(down.clauseSummary)); holding at \(current)")
    }

    private static func scaleUp(_ policy: ScalingPolicy, _ d: inout Draft, ready: Int, values: MetricValues, now: Timestamp) -> ScalingDecision {
        let rules = "scaleUpThreshold is true (\(d.up.clauseSummary))"
        d.rulesOverlap = d.down.result == .true
        let overlapNote = d.rulesOverlap ? "; scaleDownThreshold is true too and scale-up wins" : ""
        let step = policy.behavior.scaleUp
        if step.stabilizationWindowSeconds > 0, let since = d.state.scaleUpCandidateSince {
            let held = now.seconds(since: since)
            if held < Double(step.stabilizationWindowSeconds) {
                return d.hold(.scaleUpStabilizing, "\(rules) for \(seconds(held)) of the \(step.stabilizationWindowSeconds)s window\(overlapNote)")
            }
        }
        if d.current >= policy.maxReplicas {
            d.limited = true
            return d.hold(.atMaximum, "\(rules) but replicas are at maxReplicas \(policy.maxReplicas)\(overlapNote)")
        }
        if let last = d.state.lastScaleUpTime, now.seconds(since: last) < Double(step.periodSeconds) {
            let wait = Double(step.periodSeconds) - now.seconds(since: last)
            return d.hold(.scaleUpRateLimited, "\(rules) but the last scale-up was \(seconds(now.seconds(since: last))) ago; next step in \(seconds(wait)) (scaleUp.periodSeconds \(step.periodSeconds))\(overlapNote)")
        }
        // The step is taken from ready replicas: replicas still starting are capacity on its way,
        // so a rule that keeps firing while they warm does not stack another step.
        var desired = ready + step.step(from: ready)
        var how = "from \(ready) ready, step max(\(step.pods) pods, \(step.percent)% of \(ready)) = \(desired - ready)"
        for clause in policy.proportionalClauses {
            guard let observed = values[clause.metric], observed > clause.threshold.value else { continue }
            let estimate = Int((Double(ready) * observed / clause.threshold.value).rounded(.up))
            if estimate > desired {
                desired = estimate
                how = "proportional estimate \(ready) × \(Quantity.format(observed, as: clause.metric.kind)) / \(clause.threshold.text) = \(estimate)"
            }
        }
        let to = min(desired, policy.maxReplicas)
        d.limited = desired > policy.maxReplicas
        let capped = d.limited ? " (capped at maxReplicas \(policy.maxReplicas))" : ""
        if to <= d.current {
            return d.hold(.replicasWarming, "\(rules); \(how) gives \(to), and \(d.current) replicas (\(d.current - ready) still starting) already cover it\(overlapNote)")
        }
        d.state.lastScaleUpTime = now
        return d.move(to: to, .scaleUpRule, "\(rules); \(how)\(capped)\(overlapNote)")
    }

    private static func scaleDown(_ policy: ScalingPolicy, _ d: inout Draft, now: Timestamp) -> ScalingDecision {
        let rules = "scaleDownThreshold is true (\(d.down.clauseSummary))"
        let step = policy.behavior.scaleDown
        let since = d.state.scaleDownCandidateSince ?? now
        let held = now.seconds(since: since)
        if held < Double(step.stabilizationWindowSeconds) {
            let left = Double(step.stabilizationWindowSeconds) - held
            return d.hold(.scaleDownStabilizing, "\(rules) for \(seconds(held)) of the \(step.stabilizationWindowSeconds)s window; scale-down in \(seconds(left)) if it stays true")
        }
        if d.current <= policy.minReplicas {
            d.limited = true
            return d.hold(.atMinimum, "\(rules) but replicas are at minReplicas \(policy.minReplicas)")
        }
        if let last = d.state.lastScaleDownTime, now.seconds(since: last) < Double(step.periodSeconds) {
            let wait = Double(step.periodSeconds) - now.seconds(since: last)
            return d.hold(.scaleDownRateLimited, "\(rules) but the last scale-down was \(seconds(now.seconds(since: last))) ago; next step in \(seconds(wait)) (scaleDown.periodSeconds \(step.periodSeconds))")
        }
        let amount = step.step(from: d.current)
        let to = max(policy.minReplicas, d.current - amount)
        d.limited = d.current - amount < policy.minReplicas
        d.state.lastScaleDownTime = now
        let capped = d.limited ? " (kept at minReplicas \(policy.minReplicas))" : ""
        return d.move(to: to, .scaleDownRule, "\(rules) for \(seconds(held)); step max(\(step.pods) pods, \(step.percent)% of \(d.current)) = \(amount)\(capped)")
    }

    private static func metricsUnknown(_ policy: ScalingPolicy, _ d: inout Draft, sample: MetricSample, now: Timestamp, maxAge: Double) -> ScalingDecision {
        var why: [String] = []
        for metric in d.unknown {
            if let reading = sample.readings[metric], reading.value.isFinite {
                why.append("\(metric.rawValue) is stale (sampled \(seconds(now.seconds(since: reading.sampledAt))) ago, limit \(seconds(maxAge)))")
            } else if sample.readings[metric] != nil {
                why.append("\(metric.rawValue) is NaN")
            } else {
                why.append("\(metric.rawValue) is unknown")
            }
        }
        if let failure = sample.failure { why.insert("the metrics source failed: \(failure)", at: 0) }
        let failures = d.state.consecutiveMetricFailures
        let detail = why.isEmpty ? "" : ": " + why.joined(separator: "; ")
        if let fallback = policy.behavior.fallback, failures >= fallback.failureThreshold {
            let to = min(max(fallback.replicas, policy.minReplicas), policy.maxReplicas)
            let message = "metrics missing for \(failures) decisions in a row (fallback.failureThreshold \(fallback.failureThreshold))\(detail); using fallback.replicas \(fallback.replicas)"
            return to == d.current ? d.hold(.fallback, message) : d.move(to: to, .fallback, message)
        }
        return d.hold(.metricsUnknown, "cannot decide without metric values\(detail); holding at \(d.current), never scaling down on missing data")
    }

    /// Whole seconds when whole, else one decimal: `40s`, `2.5s`.
    static func seconds(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded))s" : "\(rounded)s"
    }
}

/// The parts of a decision gathered before its action is known.
private struct Draft {
    let current: Int
    let up: ThresholdEvaluation
    let down: ThresholdEvaluation
    let unknown: [MetricName]
    var state: ScalingState
    var rulesOverlap = false
    var limited = false

    init(current: Int, up: ThresholdEvaluation, down: ThresholdEvaluation, unknown: [MetricName], state: ScalingState) {
        self.current = current
        self.up = up
        self.down = down
        self.unknown = unknown
        self.state = state
    }

    func hold(_ reason: ScalingDecision.Reason, _ message: String) -> ScalingDecision {
        make(to: current, reason, message)
    }

    func move(to target: Int, _ reason: ScalingDecision.Reason, _ because: String) -> ScalingDecision {
        make(to: target, reason, "\(current) -> \(target): \(because)")
    }

    private func make(to target: Int, _ reason: ScalingDecision.Reason, _ message: String) -> ScalingDecision {
        let action: ScalingDecision.Action = target > current ? .scaleUp : target < current ? .scaleDown : .hold
        return ScalingDecision(action: action, from: current, to: target, reason: reason, message: message,
                               scaleUp: up, scaleDown: down, rulesOverlap: rulesOverlap, limited: limited,
                               unknownMetrics: unknown, state: state)
    }
}
