/// Learning from one poll (issue 13 §1–2): what a healthy replica serves, how long scale-ups take,
/// where demand is heading. Pure; the state it returns is what status keeps.
enum Learning {
    /// The demand this poll sizes from, requests/s: the source's short-window rate, else `qps`; 0 idle.
    static func demand(_ sample: MetricSample, values: MetricValues) -> Double? {
        if let rate = sample.demand?.value, rate.isFinite, rate >= 0 { return rate }
        if let qps = values[.qps] { return qps }
        return sample.idle && sample.failure == nil ? 0 : nil
    }

    static func update(_ previous: LearnedState, policy: ScalingPolicy, current: Int, ready: Int, values: MetricValues,
                       up: ThresholdEvaluation, upSince: Timestamp?, demand: Double?, now: Timestamp) -> LearnedState {
        var learned = previous
        // Every replica Ready since when (the metrics window then shows this capacity).
        learned.readySince = current > 0 && ready >= current ? (previous.readySince ?? now.wholeSeconds) : nil

        // Cold start: the last scale-up's replicas all Ready. (One cut short is dropped when cut.)
        if let pending = previous.pendingScaleUp {
            if ready >= pending.replicas {
                learned.coldStart = previous.coldStart.adding(max(0, now.seconds(since: pending.since)))
                learned.pendingScaleUp = nil
            } else if current < pending.replicas {
                learned.pendingScaleUp = nil
            }
        }

        // Capacity: qps per ready replica over a metrics window that saw only this capacity; a
        // breach only once it outlasts the queue the replicas found when they became Ready (whose
        // requests, served late, fill the next window too).
        let window = policy.metricsWindowSeconds
        let settled = learned.settledSeconds(at: now)
        if settled >= window, ready > 0, let qps = values[.qps], qps > 0 {
            let rate = qps / Double(ready)
            if up.result == .false, hasHeadroom(policy, values) {
                learned.capacity = previous.capacity?.observingHealthy(rate: rate, at: now)
                    ?? CapacityEstimate(requestsPerReplica: LearnedRounding.value(rate), updatedAt: now.wholeSeconds)
            } else if up.result == .true, let since = upSince,
                      now.seconds(since: max(since, learned.readySince ?? now)) >= 2 * policy.metricsWindowSeconds,
                      let capacity = previous.capacity {
                learned.capacity = capacity.observingBreach(rate: rate, at: now)
            }
        }

        // Demand trend, and the demand a jump is measured from next poll. A jump starts the trend
        // again: to the two averages a step looks like a ramp until the slow one catches up, and a
        // step is not a trend to forecast from (the fast path answers it).
        if let demand {
            let jumped = previous.lastDemand.map { Sizing.isJump(from: $0, to: demand, noise: previous.demand?.noise ?? 0) } ?? false
            learned.demand = jumped ? DemandTrend(starting: demand, at: now)
                : previous.demand?.observing(demand, at: now) ?? DemandTrend(starting: demand, at: now)
            learned.lastDemand = LearnedRounding.value(demand)
        }
        return learned
    }

    /// Every clause of the scale-up rule that fires on a high value has a value with headroom: a
    /// latency at most ``Defaults/healthyLatencyFraction`` of its threshold, a utilisation or rate
    /// at most ``Defaults/healthyProportionalFraction`` of its own.
    static func hasHeadroom(_ policy: ScalingPolicy, _ values: MetricValues) -> Bool {
        guard !policy.breachClauses.isEmpty else { return false }
        return policy.breachClauses.allSatisfy { clause in
            guard let observed = values[clause.metric] else { return false }
            let fraction = clause.metric.kind == .duration ? Defaults.healthyLatencyFraction : Defaults.healthyProportionalFraction
            return observed <= fraction * clause.threshold.value
        }
    }
}

/// The replica counts the learned state gives for this poll (issue 13 §1–3), each with its numbers.
struct Sizing {
    let policy: ScalingPolicy
    let learned: LearnedState
    /// The previous poll's demand and this one's, requests/s.
    let previousDemand: Double?
    let demand: Double?
    /// `qps` over the source's rate window.
    let qps: Double?
    /// The poll interval, seconds.
    let poll: Double
    /// Ready replicas now.
    let readyReplicas: Int

    /// Seconds a metrics reading sums up (``ScalingPolicy/metricsWindowSeconds``).
    var metricsWindow: Double { policy.metricsWindowSeconds }

    /// Seconds every replica must have been Ready before the next blind step: a metrics window when
    /// the scale-up rule may fire on a latency or a rate (summed over the window: a `>` clause of
    /// one that holds, or one in any other form), else the gauges' lag.
    func blindStepWait(_ values: MetricValues) -> Double {
        let windowed = policy.scaleUp.comparisons.contains { clause in
            guard clause.metric.kind == .duration || clause.metric.kind == .rate else { return false }
            guard policy.breachClauses.contains(clause) else { return true }
            return values[clause.metric].map { clause.holds(for: $0) } ?? false
        }
        return windowed ? policy.metricsWindowSeconds : policy.gaugeLagSeconds
    }

    /// The scale-up rule has been true, with every replica Ready, for two metrics windows (one for
    /// the queue the replicas found when they became Ready to drain, one to see only what came
    /// after): a breach of the pool as it is, not the tail of one its newest replicas answer.
    func breachPersists(_ state: ScalingState, at now: Timestamp) -> Bool {
        guard let upSince = state.scaleUpCandidateSince, let readySince = state.learned.readySince else { return false }
        return now.seconds(since: max(upSince, readySince)) >= 2 * metricsWindow
    }

    /// Seconds ahead a replica asked for now is Ready and seen: the cold start and a poll.
    var ahead: Double { learned.coldStart.seconds + poll }

    func sizing(_ demand: Double, _ capacity: CapacityEstimate) -> CapacitySizing {
        CapacitySizing(demand: demand, perReplica: capacity.requestsPerReplica, utilization: Defaults.capacityTargetUtilization,
                       replicas: capacity.replicas(for: demand))
    }

    /// The demand now at the learned capacity: the larger of the short-window rate and the window's
    /// `qps` (a rise shows first in the one, a fall in the other). Nil before capacity is learned.
    /// With `queueLatency` (seconds): plus the rate that drains, within a poll, the queue that
    /// latency implies at the ready replicas' throughput (Little's law: queued requests = latency ×
    /// throughput), for replicas that will land into it.
    func fresh(queueLatency: Double? = nil) -> CapacitySizing? {
        guard let capacity = learned.capacity, var now = [demand, qps].compactMap({ $0 }).max() else { return nil }
        if let latency = queueLatency, latency > 0 {
            let throughput = Double(readyReplicas) * capacity.requestsPerReplica
            now += latency * throughput / max(poll, 1)
        }
        return sizing(now, capacity)
    }

    /// Demand jumped since the last poll by far more than its noise.
    var jumped: Bool {
        guard let demand, let previousDemand else { return false }
        return Self.isJump(from: previousDemand, to: demand, noise: learned.demand?.noise ?? 0)
    }

    /// A rise from `previous` to `demand` requests/s by more than ``Defaults/demandJumpNoiseMultiple``
    /// times the demand's noise, and by ``Defaults/demandJumpMinimumFraction`` at least.
    static func isJump(from previous: Double, to demand: Double, noise: Double) -> Bool {
        demand - previous > max(Defaults.demandJumpNoiseMultiple * noise, Defaults.demandJumpMinimumFraction * previous)
    }

    /// The replicas a clearly rising demand needs one cold start (and a poll) ahead; nil without a
    /// clear rise or a learned capacity.
    func forecast() -> ForecastSizing? {
        guard let capacity = learned.capacity, let trend = learned.demand, trend.isRising(pollSeconds: poll) else { return nil }
        let forecast = trend.forecast(ahead: ahead)
        return ForecastSizing(level: trend.level, slope: trend.slope, ahead: ahead, coldStartMeasured: learned.coldStart.isMeasured,
                              capacity: sizing(forecast, capacity))
    }

    /// The replicas the demand will need one cold start ahead if its trend holds, significant or not:
    /// what a scale-down never goes below (a rising trend that flickers in and out of significance
    /// must not add a replica one poll and take it away the next).
    func floorForScaleDown() -> ForecastSizing? {
        guard let capacity = learned.capacity, let trend = learned.demand, trend.slope > 0 else { return nil }
        return ForecastSizing(level: trend.level, slope: trend.slope, ahead: ahead, coldStartMeasured: learned.coldStart.isMeasured,
                              capacity: sizing(trend.forecast(ahead: ahead), capacity))
    }

    /// The most the learned state asks for on a breach: the demand now, its jump extrapolated one
    /// cold start ahead on the fast path, a rising forecast. Nil before capacity is learned.
    func forBreach(fastPath: Bool) -> (sizing: UpSizing, replicas: Int)? {
        guard let capacity = learned.capacity, let fresh = fresh() else { return nil }
        var best: (sizing: UpSizing, replicas: Int) = (.capacity(fresh), fresh.replicas)
        // A sudden breach is answered once with the jump extrapolated over the cold start; later
        // polls of the same surge size from the demand they see (a jump's pace does not last).
        if fastPath, jumped, learned.surgeForecast == nil, let demand, let previousDemand {
            let interval = max(poll, 1)
            let growth = (demand - previousDemand) / interval
            let surge = sizing(demand + growth * ahead, capacity)
            if surge.replicas > best.replicas {
                best = (.surge(SurgeSizing(previous: previousDemand, now: demand, interval: interval, ahead: ahead,
                                           coldStartMeasured: learned.coldStart.isMeasured, capacity: surge)), surge.replicas)
            }
        }
        if let forecast = forecast(), forecast.capacity.replicas > best.replicas {
            best = (.forecast(forecast), forecast.capacity.replicas)
        }
        return best
    }
}
