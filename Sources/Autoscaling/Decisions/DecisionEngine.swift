/// Decides a pool's replica count (SPEC §4, issue 13). A pure function of its inputs: no I/O, no
/// clock of its own.
///
/// Before deciding, it learns from the poll (``Learning``): the requests/s one ready replica serves
/// while healthy, how long its scale-ups take to become Ready, where demand is heading. Then,
/// first match wins:
/// 1. another autoscaler targets the Deployment → hold, no writes (rule 7);
/// 2. `paused` → hold (rule 2; pausing freezes replicas even outside the bounds, so that a person
///    doing maintenance is not overruled);
/// 3. replicas outside `minReplicas...maxReplicas` → the nearest bound, at once (rule 1);
/// 4. the scale-up rule true → the replicas the demand needs at the learned capacity, or its jump
///    extrapolated over the cold start on a breach far past the threshold (fast path, no period), or
///    a rising trend's forecast, or SPEC §4's step when nothing is learned (rules 3, 5); replicas
///    still starting count as capacity on its way, and those a fast path asked for beyond what the
///    demand turned out to need are given back before they are Ready;
/// 5. the metrics needed are unknown → hold; after `fallback.failureThreshold` polls (not
///    reconciles), `fallback.replicas` as a floor, never a cut (rule 6). An idle pool (a healthy
///    source that counted no request) is not unknown: its latencies read as low;
/// 6. demand rises clearly and its forecast one cold start ahead needs more replicas → start them now;
/// 7. the scale-down rule true, the scale-up rule false, for the window → down to what the demand
///    needs, by at most a step, never below a rising forecast (rule 4);
/// 8. otherwise hold.
/// The decision carries the facts behind it; its `message` is written from them when read.
public enum DecisionEngine {
    /// The decision for one poll. `now` is the clock reading; a reading the operator read more than
    /// `pollIntervalSeconds × staleAfterPollIntervals` ago is unknown. `previous` is the state the
    /// last decision left (from status); the result carries the next one.
    public static func decide(policy: ScalingPolicy, target: TargetSnapshot, sample: MetricSample,
                              now: Timestamp, state previous: ScalingState) -> ScalingDecision {
        let current = target.currentReplicas
        let ready = max(0, min(target.readyReplicas, current))
        let poll = policy.behavior.pollIntervalSeconds
        let maxAge = poll * Defaults.staleAfterPollIntervals
        let (values, _) = sample.freshValues(at: now, maxAge: maxAge)
        let idle = sample.idle && sample.failure == nil
        let up = policy.scaleUp.evaluate(values, idle: idle)
        let down = policy.scaleDown.evaluate(values, idle: idle)

        // The windows follow the rules whatever is decided below, so that time paused or bounded
        // still counts, and a restart reads them back from status.
        var state = previous
        state.scaleUpCandidateSince = up.result == .true ? (previous.scaleUpCandidateSince ?? now) : nil
        state.scaleDownCandidateSince = (down.result == .true && up.result == .false) ? (previous.scaleDownCandidateSince ?? now) : nil
        // Failures are counted per poll interval since the first failed poll, however many
        // reconciles (a rollout's, a retry's) came between.
        let blockedByUnknown = up.result == .unknown || (up.result == .false && down.result == .unknown)
        state.metricsFailingSince = blockedByUnknown ? (previous.metricsFailingSince ?? now) : nil
        state.consecutiveMetricFailures = state.metricsFailingSince.map { 1 + Int((now.seconds(since: $0) / poll + 1e-6).rounded(.down)) } ?? 0

        // Learn from this poll before deciding on it.
        let demand = Learning.demand(sample, values: values)
        state.learned = Learning.update(previous.learned, policy: policy, current: current, ready: ready, values: values,
                                        up: up, upSince: state.scaleUpCandidateSince, demand: demand, now: now)
        let sizing = Sizing(policy: policy, learned: state.learned, previousDemand: previous.learned.lastDemand, demand: demand,
                            qps: values[.qps], poll: poll, readyReplicas: ready)

        var d = Draft(target: target.name, current: current, up: up, down: down,
                      unknown: policy.metrics.filter { values[$0] == nil && !(idle && $0.kind == .duration) }, state: state)

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
            return scaleUp(policy, &d, ready: ready, values: values, sizing: sizing, now: now)
        }
        if blockedByUnknown {
            return metricsUnknown(policy, &d, sample: sample, now: now, maxAge: maxAge)
        }
        if let trim = trimStarting(policy, &d, ready: ready, values: values, sizing: sizing) {
            return trim
        }
        if let forecast = sizing.forecast(), forecast.capacity.replicas > current {
            return scaleUpForecast(policy, &d, ready: ready, forecast: forecast, now: now)
        }
        if down.result == .true {
            return scaleDown(policy, &d, sizing: sizing, idle: idle, now: now)
        }
        return d.hold(.withinThresholds)
    }

    private static func scaleUp(_ policy: ScalingPolicy, _ d: inout Draft, ready: Int, values: MetricValues, sizing: Sizing,
                                now: Timestamp) -> ScalingDecision {
        d.rulesOverlap = d.down.result == .true
        let step = policy.behavior.scaleUp
        if step.stabilizationWindowSeconds > 0, let since = d.state.scaleUpCandidateSince {
            let held = now.seconds(since: since)
            if held < Double(step.stabilizationWindowSeconds) {
                return d.hold(.scaleUpStabilizing(held: held, window: step.stabilizationWindowSeconds))
            }
        }
        // Replicas a fast path asked for beyond what the demand turned out to need go back first.
        if let trim = trimStarting(policy, &d, ready: ready, values: values, sizing: sizing) {
            return trim
        }
        if d.current >= policy.maxReplicas {
            d.limited = true
            return d.hold(.atMaximum(maxReplicas: policy.maxReplicas))
        }
        // Fast path: a breach far past its threshold acts on the poll it is seen, not after a period.
        let fastPath = policy.breachClauses.lazy.compactMap { clause -> FastPath? in
            guard clause.metric.kind == .duration, let observed = values[clause.metric],
                  observed >= Defaults.fastPathFactor * clause.threshold.value else { return nil }
            return FastPath(comparison: clause, observed: observed)
        }.first
        // What the pool needs: the demand at the learned capacity (or its jump extrapolated over the
        // cold start on the fast path, or a rising forecast), else SPEC §4's step from ready replicas,
        // which replicas still starting count toward (no stacking).
        let learned = sizing.forBreach(fastPath: fastPath != nil)
        // The fast path skips the period only where the learned capacity sizes the step; a blind
        // step (nothing learned yet) keeps it, as SPEC §4 has it.
        let fastPathApplies = fastPath != nil && learned != nil
        if !fastPathApplies, let last = d.state.lastScaleUpTime, now.seconds(since: last) < Double(step.periodSeconds) {
            return d.hold(.scaleUpRateLimited(sinceLastStep: now.seconds(since: last), period: step.periodSeconds))
        }
        let amount = step.step(from: ready)
        var desired = ready + amount
        var upSizing = UpSizing.step
        var proportional: ProportionalEstimate?
        if let learned {
            // While replicas start or have just become Ready, the metrics window still shows the
            // breach they answer: the learned sizing alone decides. A breach that persists with every
            // replica Ready for two windows is the pool's own: the step too (the capacity was cut).
            let persists = sizing.breachPersists(d.state, at: now)
            if !persists || learned.replicas >= desired {
                upSizing = learned.sizing
                desired = learned.replicas
            }
            if case .surge(let surge) = learned.sizing { d.state.learned.surgeForecast = surge.capacity.demand }
        } else {
            // A blind step waits until the last one shows: its replicas Ready for a metrics window
            // when a latency or a rate fires (the window still holds the breach they answer until
            // then; stacking steps on a stale window doubled a pool two or three times over), or
            // until the next reading when only gauges fire (a queue or a cache read as it is now).
            if d.state.lastScaleUpTime != nil, d.state.learned.settledSeconds(at: now) < sizing.blindStepWait(values) {
                let taken = UpStep(sizing: .step, fastPath: nil, ready: ready, pods: step.pods, percent: step.percent, step: amount,
                                   proportional: nil, to: min(desired, policy.maxReplicas), cappedAt: nil)
                return d.hold(.replicasWarming(taken))
            }
            for clause in policy.proportionalClauses {
                guard let observed = values[clause.metric], observed > clause.threshold.value else { continue }
                let estimate = Int((Double(ready) * observed / clause.threshold.value).rounded(.up))
                if estimate > desired {
                    desired = estimate
                    proportional = ProportionalEstimate(comparison: clause, observed: observed, estimate: estimate)
                }
            }
        }
        let to = min(desired, policy.maxReplicas)
        d.limited = desired > policy.maxReplicas
        let taken = UpStep(sizing: upSizing, fastPath: fastPathApplies ? fastPath : nil, ready: ready, pods: step.pods, percent: step.percent, step: amount,
                           proportional: proportional, to: to, cappedAt: d.limited ? policy.maxReplicas : nil)
        if to <= d.current {
            return d.hold(.replicasWarming(taken))
        }
        d.state.lastScaleUpTime = now
        d.state.learned.pendingScaleUp = PendingScaleUp(replicas: to, since: now.wholeSeconds)
        return d.move(to: to, .scaleUpRule(taken))
    }

    /// Demand rises clearly: the replicas its forecast one cold start ahead needs start now, at most
    /// once per `scaleUp.periodSeconds`.
    private static func scaleUpForecast(_ policy: ScalingPolicy, _ d: inout Draft, ready: Int, forecast: ForecastSizing,
                                        now: Timestamp) -> ScalingDecision {
        let step = policy.behavior.scaleUp
        if let last = d.state.lastScaleUpTime, now.seconds(since: last) < Double(step.periodSeconds) {
            return d.hold(.withinThresholds)
        }
        let desired = forecast.capacity.replicas
        let to = min(desired, policy.maxReplicas)
        d.limited = desired > policy.maxReplicas
        guard to > d.current else { return d.hold(.withinThresholds) }
        let taken = UpStep(sizing: .forecast(forecast), fastPath: nil, ready: ready, pods: step.pods, percent: step.percent,
                           step: step.step(from: ready), proportional: nil, to: to, cappedAt: d.limited ? policy.maxReplicas : nil)
        d.state.lastScaleUpTime = now
        d.state.learned.pendingScaleUp = PendingScaleUp(replicas: to, since: now.wholeSeconds)
        return d.move(to: to, .scaleUpForecast(taken))
    }

    /// Replicas a fast path asked for beyond what the demand turned out to need, once the jump has
    /// stopped and while they are still starting, are given back; ready ones never are.
    /// The latency of the breach, seconds: the highest observed latency of the scale-up rule's
    /// latency clauses that fire; what the queue the replicas will land into is read from.
    private static func queueLatency(_ policy: ScalingPolicy, _ values: MetricValues) -> Double? {
        policy.breachClauses.compactMap { clause in
            guard clause.metric.kind == .duration, let observed = values[clause.metric], clause.holds(for: observed) else { return nil }
            return observed
        }.max()
    }

    private static func trimStarting(_ policy: ScalingPolicy, _ d: inout Draft, ready: Int, values: MetricValues, sizing: Sizing) -> ScalingDecision? {
        guard let surge = d.state.learned.surgeForecast else { return nil }
        guard d.current > ready else {
            // Every replica is Ready: the surge has landed, nothing is left to give back.
            d.state.learned.surgeForecast = nil
            return nil
        }
        guard !sizing.jumped, let need = sizing.fresh(queueLatency: queueLatency(policy, values)) else { return nil }
        let floor = sizing.forecast()
        let keep = max(ready, need.replicas, floor?.capacity.replicas ?? 0, policy.minReplicas)
        guard keep < d.current else { return nil }
        d.state.learned.surgeForecast = nil
        // The replicas kept were asked for with the ones given back: their cold start is still measured.
        if let pending = d.state.learned.pendingScaleUp {
            d.state.learned.pendingScaleUp = keep > ready ? PendingScaleUp(replicas: keep, since: pending.since) : nil
        }
        return d.move(to: keep, .trimStarting(TrimStep(ready: ready, surgeForecast: surge, sizing: need, floor: floor, to: keep)))
    }

    private static func scaleDown(_ policy: ScalingPolicy, _ d: inout Draft, sizing: Sizing, idle: Bool, now: Timestamp) -> ScalingDecision {
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
        // To what the demand needs, by at most the step; the whole step when the learned capacity
        // cannot say or would keep every replica (the rule, the user's word, says they are too many);
        // never below a rising demand's forecast.
        let amount = step.step(from: d.current)
        var to = d.current - amount
        var sizedBy: CapacitySizing?
        if let need = sizing.fresh(), need.replicas < d.current, need.replicas > to {
            to = need.replicas
            sizedBy = need
        }
        var floor: ForecastSizing?
        if let forecast = sizing.floorForScaleDown(), forecast.capacity.replicas > to {
            to = forecast.capacity.replicas
            floor = forecast
        }
        d.limited = to < policy.minReplicas
        to = max(policy.minReplicas, to)
        if to >= d.current, let floor {
            return d.hold(.forecastHolds(floor))
        }
        guard to < d.current else { return d.hold(.withinThresholds) }
        d.state.lastScaleDownTime = now
        let taken = DownStep(sizing: sizedBy, idle: idle, floor: floor, held: held, pods: step.pods, percent: step.percent, step: amount,
                             keptAt: d.limited ? policy.minReplicas : nil)
        return d.move(to: to, .scaleDownRule(taken))
    }

    private static func metricsUnknown(_ policy: ScalingPolicy, _ d: inout Draft, sample: MetricSample, now: Timestamp, maxAge: Double) -> ScalingDecision {
        let missing = MissingMetrics(metrics: d.unknown.map { metric in
            guard let reading = sample.readings[metric] else { return MissingMetric(metric: metric, why: .absent(reason: sample.unknownReasons[metric])) }
            guard reading.value.isFinite else { return MissingMetric(metric: metric, why: .notANumber) }
            return MissingMetric(metric: metric, why: .stale(ageSeconds: now.seconds(since: reading.readAt), limitSeconds: maxAge))
        }, sourceFailure: sample.failure)
        let failures = d.state.consecutiveMetricFailures
        if let fallback = policy.behavior.fallback, failures >= fallback.failureThreshold {
            // A floor, never a cut (SPEC §4 rule 6; KEDA's currentReplicasIfHigher, keda#6450).
            let to = min(max(d.current, fallback.replicas, policy.minReplicas), policy.maxReplicas)
            return d.move(to: to, .fallback(failures: failures, policy: fallback, missing))
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
        var state = self.state
        // Replicas added restart the scale-down window: they were needed, so "too many" has to hold
        // a whole window again before any goes (no forecast added one poll and removed the next).
        // The replicas added are not Ready yet, and the metrics window has not seen them.
        if replicas > current {
            state.scaleDownCandidateSince = nil
            state.learned.readySince = nil
        }
        // A scale-up is measured until its replicas are Ready; one given back or cut short is not.
        if let pending = state.learned.pendingScaleUp, replicas < pending.replicas { state.learned.pendingScaleUp = nil }
        return ScalingDecision(from: current, to: replicas, reason: reason, targetName: target, scaleUp: up, scaleDown: down,
                               rulesOverlap: rulesOverlap, limited: limited, unknownMetrics: unknown, state: state)
    }
}
