import JSON
import TestSupport
import Testing
@testable import Autoscaling

/// The standard pool of LOADMODEL.md: up on P90 over 200 ms or hot GPUs, down when both are calm.
func standardPolicy(min: Int = 2, max: Int = 40, behavior: ScalingBehavior = ScalingBehavior()) throws -> ScalingPolicy {
    try makePolicy(up: "P90 > 200ms || gpu.util > 85%", down: "P90 < 100ms && gpu.util < 40%", min: min, max: max, behavior: behavior)
}

/// A sample with a short-window demand beside the window's qps.
func sample(_ values: [MetricName: Double], demand: Double?, at now: Timestamp, idle: Bool = false) -> MetricSample {
    var s = sample(values, at: now)
    s.demand = demand.map { MetricReading(value: $0, sampledAt: now) }
    s.idle = idle
    return s
}

extension Simulation {
    /// A poll with a demand (requests/s, also the window's qps unless given).
    mutating func poll(p90: Double?, gpu: Double = 0.5, demand: Double, qps: Double? = nil, after seconds: Double = 5, ready: Int? = nil) -> ScalingDecision {
        now = now + seconds
        var values: [MetricName: Double] = [.gpuUtil: gpu, .qps: qps ?? demand]
        values[.p90] = p90
        let d = DecisionEngine.decide(policy: policy, target: target(replicas, ready: ready), sample: sample(values, demand: demand, at: now),
                                      now: now, state: state)
        state = d.state
        replicas = d.to
        return d
    }

    /// Polls a steady healthy load for `seconds` so the engine learns the capacity it shows.
    mutating func learn(perReplica rate: Double, for seconds: Double = 60) {
        var elapsed = 0.0
        while elapsed < seconds {
            _ = poll(p90: 0.03, gpu: 0.45, demand: rate * Double(replicas))
            elapsed += 5
        }
    }
}

@Suite("Issue 13 §1: capacity-aware sizing")
struct CapacitySizingTests {
    @Test func aHealthyPoolTeachesTheRatePerReplicaOnceItsWindowShowsOnlyThatCapacity() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 2)
        _ = sim.poll(p90: 0.03, demand: 12_000, after: 0)
        #expect(sim.state.learned.capacity == nil, "the first window has not seen the pool settled")
        sim.learn(perReplica: 6_000)
        #expect(sim.state.learned.capacity?.requestsPerReplica == 6_000)
        // Latency past half the threshold is not healthy with headroom: nothing is learned from it.
        _ = sim.poll(p90: 0.15, demand: 16_000)
        #expect(sim.state.learned.capacity?.requestsPerReplica == 6_000)
        // A higher healthy rate raises it.
        _ = sim.poll(p90: 0.05, demand: 14_000)
        #expect(sim.state.learned.capacity?.requestsPerReplica == 7_000)
    }

    @Test func oneDecisionReachesTheSizeTheDemandNeeds() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 2)
        sim.learn(perReplica: 6_000)
        // Demand tripled gradually enough not to be a jump: a breach the learned capacity sizes at once.
        let d = sim.poll(p90: 0.25, demand: 13_000, qps: 13_000)
        #expect((d.action, d.to) == (.scaleUp, 3))
        #expect(d.message.contains("demand 13k req/s ÷ (6k/replica learned × 100%) = 3"), "\(d.message)")
        // The SPEC step (2 + max(4, 100%)) would have been 6.
        guard case .scaleUpRule(let step) = d.reason, case .capacity(let sizing) = step.sizing else {
            Issue.record("expected a capacity sizing: \(d.message)"); return
        }
        #expect((sizing.demand, sizing.perReplica, sizing.replicas) == (13_000, 6_000, 3))
    }

    @Test func replicasStillStartingCountAsCapacityOnItsWay() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 2)
        sim.learn(perReplica: 6_000)
        #expect(sim.poll(p90: 0.25, demand: 30_000, qps: 30_000).to == 5)
        // 15 s later, still breaching with 2 ready of 5: 30k needs 5, already asked for.
        let d = sim.poll(p90: 0.25, demand: 30_000, qps: 30_000, after: 15, ready: 2)
        #expect((d.action, d.to, d.reason.kind) == (.hold, 5, .replicasWarming))
    }

    @Test func beforeAnythingIsLearnedTheStepDecides() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 2)
        let d = sim.poll(p90: 0.25, demand: 30_000, after: 0)
        #expect((d.to, d.message.contains("step max(4 pods, 100% of 2) = 4")) == (6, true), "\(d.message)")
    }

    @Test func aBreachThatPersistsWithEveryReplicaReadyCutsTheCapacity() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 4)
        sim.learn(perReplica: 6_000, for: 70)
        // The model got slower: 4 replicas breach at 5k each, ready for longer than two windows.
        for _ in 0..<14 { _ = sim.poll(p90: 0.3, demand: 20_000) }
        #expect(sim.state.learned.capacity?.requestsPerReplica == 5_000)
    }

    @Test func scaleDownGoesToWhatTheDemandNeedsWithinTheStep() throws {
        var behavior = ScalingBehavior()
        behavior.scaleDown.percent = 60
        var sim = Simulation(policy: try standardPolicy(behavior: behavior), replicas: 20)
        sim.learn(perReplica: 3_000)   // 60k over 20 replicas, healthy
        // Demand falls to 30k: 10 replicas at 3k; the down rule holds for its 300 s window.
        var last = sim.poll(p90: 0.02, gpu: 0.2, demand: 30_000)
        for _ in 0..<61 where last.action == .hold { last = sim.poll(p90: 0.02, gpu: 0.2, demand: 30_000) }
        #expect((last.action, last.to) == (.scaleDown, 10), "to the demand's need, within max(1, 60% of 20) = 12: \(last.message)")
        #expect(last.message.contains("demand 30k req/s ÷ (3k/replica learned × 100%) = 10"), "\(last.message)")
    }

    @Test func whenTheLearnedCapacityWouldKeepEveryReplicaTheRulesStepStillGoes() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 10)
        sim.learn(perReplica: 2_000)
        // The down rule holds, but 20k at 2k/replica needs all 10: the rule (the user's word) wins by its step.
        var last = sim.poll(p90: 0.02, gpu: 0.2, demand: 20_000)
        for _ in 0..<61 where last.action == .hold { last = sim.poll(p90: 0.02, gpu: 0.2, demand: 20_000) }
        #expect((last.action, last.to) == (.scaleDown, 9), "\(last.message)")
    }
}

@Suite("Issue 13 §2: cold-start awareness")
struct ColdStartTests {
    @Test func theColdStartIsMeasuredFromItsOwnScaleUpsAndTheMedianKept() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 2)
        #expect(sim.state.learned.coldStart.seconds == Defaults.coldStartPriorSeconds)
        _ = sim.poll(p90: 0.3, demand: 20_000, after: 0)          // 2 -> 6 (blind step)
        _ = sim.poll(p90: 0.3, demand: 20_000, after: 60, ready: 2)
        _ = sim.poll(p90: 0.3, demand: 20_000, after: 60, ready: 6)  // Ready 120 s after the ask
        #expect(sim.state.learned.coldStart.samples == [120])
        #expect(sim.state.learned.coldStart.isMeasured)
        #expect(ColdStartEstimate(samples: [100, 400, 110]).seconds == 110, "one slow node does not move the median")
    }

    @Test func aSustainedRampStartsReplicasOneColdStartAheadBeforeTheRuleFires() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 4)
        sim.learn(perReplica: 5_000, for: 300)
        // Demand climbs 30 req/s every second (150 per poll) with latency healthy throughout.
        var demand = 20_000.0
        var forecast: ScalingDecision?
        for _ in 0..<120 {
            demand += 150
            let d = sim.poll(p90: 0.03, gpu: 0.45, demand: demand)
            if d.reason.kind == .scaleUpForecast { forecast = d; break }
        }
        let d = try #require(forecast, "a sustained ramp must start replicas early")
        #expect(d.scaleUp.result == .false, "before the scale-up rule fires")
        #expect(d.message.contains("demand rising"), "\(d.message)")
    }

    @Test func noiseAloneNeverForecasts() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 4)
        var rng = SeededGenerator(seed: 13)
        for _ in 0..<1_440 {   // two hours of ±5 % noise on a flat 16k
            let noise = Double.random(in: -0.05...0.05, using: &rng)
            let d = sim.poll(p90: 0.03, gpu: 0.45, demand: 16_000 * (1 + noise))
            #expect(d.reason.kind != .scaleUpForecast, "\(d.message)")
        }
    }

    @Test func theTrendIsReadAsTheGapOfTwoAverages() {
        // On a ramp of slope s the averages lag by s × τ each: their gap is s × (τslow − τfast).
        var trend = DemandTrend(starting: 10_000, at: t0)
        for second in stride(from: 5.0, through: 2_400, by: 5) {
            trend = trend.observing(10_000 + 20 * second, at: t0 + second)
        }
        #expect(abs(trend.slope - 20) < 0.5, "\(trend.slope)")
        #expect(trend.isRising(pollSeconds: 5))
        #expect(abs(trend.forecast(ahead: 60) - (10_000 + 20 * 2_460)) < 200)
    }
}

@Suite("Issue 13 §3: the fast path")
struct FastPathTests {
    @Test func aBreachFarPastTheThresholdActsWithinThePeriod() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 2)
        sim.learn(perReplica: 6_000)
        #expect(sim.poll(p90: 0.25, demand: 18_000, qps: 18_000).to == 3)
        // 5 s later (the period is 15 s): a moderate breach waits, a severe one acts.
        // (Demand up 8 %: no jump, so the sizing is the demand's, not an extrapolation.)
        var moderate = sim
        #expect(moderate.poll(p90: 0.3, demand: 19_500, qps: 19_500, ready: 3).reason.kind == .scaleUpRateLimited)
        let severe = sim.poll(p90: 0.5, demand: 19_500, qps: 19_500, ready: 3)
        #expect((severe.action, severe.to) == (.scaleUp, 4))
        #expect(severe.message.contains("P90 at 2.5× its threshold: fast path"), "\(severe.message)")
    }

    @Test func aJumpIsExtrapolatedOverTheColdStartAndWhatItOvershotGivenBackBeforeItIsReady() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 2)
        sim.learn(perReplica: 6_000)
        // 12k -> 30k in one poll: 3.6k req/s per second, 35 s ahead (30 s assumed cold start + a poll) = 156k.
        let surge = sim.poll(p90: 2.0, demand: 30_000, qps: 14_000)
        #expect(surge.to == 26, "\(surge.message)")
        #expect(surge.message.contains("demand jumped from 12k to 30k req/s in 5s; 35s ahead (cold start assumed + a poll)"), "\(surge.message)")
        // The jump stops at 60k: the replicas still starting beyond what 60k (and its queue) needs go back; ready ones stay.
        _ = sim.poll(p90: 3.0, demand: 60_000, qps: 30_000, ready: 2)
        let trim = sim.poll(p90: 0.3, demand: 60_000, qps: 50_000, ready: 2)
        #expect(trim.reason.kind == .trimStarting, "\(trim.message)")
        #expect(trim.to >= 10 && trim.to < 26, "\(trim.message)")
        #expect(trim.message.contains("giving back"), "\(trim.message)")
    }
}

@Suite("Issue 13 §4: missing data, done right")
struct MissingDataTests {
    @Test func fallbackIsAFloorNeverACut() throws {
        var behavior = ScalingBehavior()
        behavior.fallback = FallbackPolicy(failureThreshold: 3, replicas: 4)
        var busy = Simulation(policy: try standardPolicy(behavior: behavior), replicas: 10)
        var quiet = Simulation(policy: try standardPolicy(behavior: behavior), replicas: 2)
        for _ in 0..<4 {
            _ = busy.step([:], after: 5)
            _ = quiet.step([:], after: 5)
        }
        #expect((busy.replicas, busy.step([:], after: 5).reason.kind) == (10, .fallback), "a busy pool at 10 stays at 10")
        #expect(quiet.replicas == 4, "a pool below the floor goes up to it")
    }

    @Test func failuresAreCountedPerPollNotPerReconcile() throws {
        var behavior = ScalingBehavior()
        behavior.fallback = FallbackPolicy(failureThreshold: 3, replicas: 8)
        var sim = Simulation(policy: try standardPolicy(behavior: behavior), replicas: 2)
        // A rollout makes a reconcile every half second; the source keeps failing.
        var firstFallback: Double?
        for i in 0..<40 {
            let d = sim.step([:], after: i == 0 ? 0 : 0.5)
            if d.reason.kind == .fallback, firstFallback == nil { firstFallback = Double(i) * 0.5 }
        }
        #expect(firstFallback == 10, "3 failed polls of 5 s: fallback after 10 s of failure, not after 3 reconciles")
    }

    @Test func anIdlePoolGivesItsGPUsBackAfterTheWindowAndNeverFallsBack() throws {
        var behavior = ScalingBehavior()
        behavior.fallback = FallbackPolicy(failureThreshold: 3, replicas: 4)
        // The sample pool's rules: no request, so no latency; GPUs at 2 %.
        var sim = Simulation(policy: try makePolicy(up: "P90 > 150ms || gpu.util >= 55%", down: "P90 < 40ms && gpu.util < 30%",
                                                    min: 1, max: 16, behavior: behavior), replicas: 6)
        var decisions: [ScalingDecision] = []
        for _ in 0..<70 {
            sim.now = sim.now + 5
            let d = DecisionEngine.decide(policy: sim.policy, target: target(sim.replicas),
                                          sample: sample([.qps: 0, .gpuUtil: 0.02], demand: 0, at: sim.now, idle: true), now: sim.now, state: sim.state)
            sim.state = d.state
            sim.replicas = d.to
            decisions.append(d)
        }
        #expect(decisions.allSatisfy { $0.reason.kind != .fallback && $0.reason.kind != .metricsUnknown && $0.state.consecutiveMetricFailures == 0 })
        let down = try #require(decisions.first { $0.action == .scaleDown })
        #expect(down.message.contains("P90=idle < 40ms: true"), "\(down.message)")
        #expect(down.message.contains("(idle: no request served, latencies read as low)"), "\(down.message)")
        #expect(sim.replicas < 6)
    }

    @Test func freshnessIsJudgedByWhenTheOperatorReadAValue() throws {
        var sim = Simulation(policy: try standardPolicy(), replicas: 4)
        // A Prometheus whose clock is 15 s behind: every value's own time is 15 s old when read.
        let behind = MetricSample(readings: [.p90: MetricReading(value: 0.5, sampledAt: t0 + -15, readAt: t0),
                                             .gpuUtil: MetricReading(value: 0.5, sampledAt: t0 + -15, readAt: t0)])
        let d = DecisionEngine.decide(policy: sim.policy, target: target(4), sample: behind, now: t0, state: sim.state)
        #expect(d.action == .scaleUp, "an overloaded pool is not held by a skewed clock: \(d.message)")
        #expect(behind.clockSkew == 15)
        sim.state = d.state
        // What the operator itself read long ago is stale.
        let old = MetricSample(readings: [.p90: MetricReading(value: 0.02, sampledAt: t0, readAt: t0)])
        #expect(DecisionEngine.decide(policy: sim.policy, target: target(4), sample: old, now: t0 + 11, state: ScalingState()).reason.kind == .metricsUnknown)
    }
}

@Suite("Issue 13: the learned state in status")
struct LearnedStatusTests {
    @Test func whatStatusKeepsReadsBackAsItWas() throws {
        var learned = LearnedState()
        learned.capacity = CapacityEstimate(requestsPerReplica: 6_123, updatedAt: t0)
        learned.coldStart = ColdStartEstimate(samples: [118, 121])
        learned.demand = DemandTrend(level: 34_120, baseline: 33_500, noise: 820.5, at: t0, since: t0 + -600)
        learned.pendingScaleUp = PendingScaleUp(replicas: 19, since: t0 + -30)
        learned.readySince = t0 + -90
        learned.lastDemand = 34_000
        learned.surgeForecast = nil
        let fields = learned.statusFields
        #expect(fields["capacityPerReplica"] == "6.12k/s")
        #expect(fields["coldStart"] == "119.5s (measured)")
        #expect(fields["surgeForecast"] == .null, "a merge patch clears what is gone")
        var warnings: [String] = []
        let back = LearnedState.decode(.object(fields)) { field, message in warnings.append("\(field): \(message)") }
        #expect(back == learned)
        #expect(warnings.isEmpty)
        // Garbage is warned about and learned again, never fatal.
        let bad = LearnedState.decode(["capacity": ["requestsPerReplica": "lots", "updatedAt": "yesterday"]]) { field, message in
            warnings.append("\(field): \(message)")
        }
        #expect(bad.capacity == nil)
        #expect(warnings == ["learned.capacity.requestsPerReplica: not a non-negative number (\"lots\"); ignored"])
    }

    @Test func theEngineStoresNumbersAsStatusWritesThem() {
        #expect(LearnedRounding.value(12_345.678) == 12_345.7)
        #expect(abs(LearnedRounding.value(0.12345678) - 0.123457) < 1e-12)
        #expect(RateText.compact(99_600) == "99.6k")
        #expect(RateText.compact(950) == "950")
        #expect(RateText.compact(6_050) == "6.05k")
        #expect(RateText.compact(1_250_000) == "1.25M")
    }
}
