import Testing
@testable import Autoscaling

let hot: [MetricName: Double] = [.p90: 0.5]      // scale-up rule P90>200ms true
let calm: [MetricName: Double] = [.p90: 0.02]    // scale-down rule P90<50ms true
let steady: [MetricName: Double] = [.p90: 0.1]   // neither

@Suite("Rule 1: bounds")
struct BoundsRuleTests {
    @Test func belowMinimumGoesToMinimumAtOnce() throws {
        let d = DecisionEngine.decide(policy: try makePolicy(), target: target(1), sample: sample([:], at: t0), now: t0, state: ScalingState())
        #expect((d.action, d.from, d.to, d.reason.kind) == (.scaleUp, 1, 2, .belowMinimum))
        #expect(d.state.lastScaleUpTime == nil, "bound corrections do not start the step period")
    }

    @Test func aboveMaximumGoesToMaximumAtOnce() throws {
        let d = DecisionEngine.decide(policy: try makePolicy(), target: target(20), sample: sample(hot, at: t0), now: t0, state: ScalingState())
        #expect((d.action, d.to, d.reason.kind) == (.scaleDown, 12, .aboveMaximum))
    }
}

@Suite("Rule 2: paused")
struct PausedRuleTests {
    @Test func pausedHoldsEvenWhenTheRuleFires() throws {
        let d = DecisionEngine.decide(policy: try makePolicy(paused: true), target: target(3), sample: sample(hot, at: t0), now: t0, state: ScalingState())
        #expect((d.action, d.to, d.reason.kind) == (.hold, 3, .paused))
        #expect(d.scaleUp.result == .true, "paused pools keep reporting")
    }

    @Test func pausedHoldsEvenOutsideTheBounds() throws {
        let d = DecisionEngine.decide(policy: try makePolicy(paused: true), target: target(0), sample: sample([:], at: t0), now: t0, state: ScalingState())
        #expect((d.to, d.reason.kind) == (0, .paused))
    }
}

@Suite("Rule 3: scale up")
struct ScaleUpRuleTests {
    @Test func defaultStepIsTheLargerOfFourPodsAndAHundredPercentOfReady() throws {
        var sim = Simulation(policy: try makePolicy(max: 100), replicas: 2)
        #expect(sim.step(hot).to == 6)            // 2 + max(4, 2)
        sim.replicas = 10
        sim.state = ScalingState()
        #expect(sim.step(hot, after: 60).to == 20) // 10 + max(4, 10)
    }

    @Test func stepIsTakenFromReadyReplicasSoWarmingOnesDoNotStack() throws {
        var sim = Simulation(policy: try makePolicy(max: 100), replicas: 2)
        #expect(sim.step(hot).to == 6)
        // 15 s later, still hot, only the 2 old replicas are ready: 2 + 4 = 6, already asked for.
        let d = sim.step(hot, after: 15, ready: 2)
        #expect((d.action, d.to, d.reason.kind) == (.hold, 6, .replicasWarming))
        // Ready, but the metrics window (max(30 s, 4 polls)) still holds the breach they answer: no step yet.
        let landed = sim.step(hot, after: 5, ready: 6)
        #expect((landed.action, landed.reason.kind) == (.hold, .replicasWarming))
        #expect(landed.message.contains("the metrics do not show them yet"), "\(landed.message)")
        // Ready for a whole window and still breaching: the next step is taken from 6.
        #expect(sim.step(hot, after: 30, ready: 6).to == 12)
    }

    @Test func aGaugeBreachStepsAgainAtTheNextReadingNotAfterAWindow() throws {
        // GPU utilisation is read as it is now: once the new replicas are Ready, the next poll shows
        // whether they took the load, so a blind step waits one poll (5 s), not the 30 s window.
        var sim = Simulation(policy: try makePolicy(up: "gpu.util>85% || P90>200ms", down: "gpu.util<20%", max: 100), replicas: 2)
        let queued: [MetricName: Double] = [.gpuUtil: 0.95, .p90: 0.1]
        #expect(sim.step(queued).to == 6)
        #expect(sim.step(queued, after: 15, ready: 6).reason.kind == .replicasWarming, "Ready this poll: the load is as it was")
        #expect(sim.step(queued, after: 5, ready: 6).to == 12, "Ready one poll, still 95 % busy: the next step")
        // The same with the latency firing too: its window holds the breach the replicas answer.
        var windowed = Simulation(policy: try makePolicy(up: "gpu.util>85% || P90>200ms", down: "gpu.util<20%", max: 100), replicas: 2)
        let both: [MetricName: Double] = [.gpuUtil: 0.95, .p90: 0.5]
        _ = windowed.step(both)
        _ = windowed.step(both, after: 15, ready: 6)
        #expect(windowed.step(both, after: 5, ready: 6).reason.kind == .replicasWarming)
        #expect(windowed.step(both, after: 25, ready: 6).to == 12, "Ready a whole 30 s window")
    }

    @Test func atMostOneStepPerPeriod() throws {
        var behavior = ScalingBehavior()
        behavior.scaleUp.periodSeconds = 60
        var sim = Simulation(policy: try makePolicy(max: 100, behavior: behavior), replicas: 2)
        _ = sim.step(hot)
        _ = sim.step(hot, after: 10, ready: 6)                    // the 4 new replicas Ready 10 s later
        let early = sim.step(hot, after: 49.9, ready: 6)          // a window later, still breaching: but 59.9 s since the step
        #expect((early.action, early.reason.kind) == (.hold, .scaleUpRateLimited))
        #expect(early.message.contains("next step in 0.1s"))
        #expect(sim.step(hot, after: 0.1, ready: 6).action == .scaleUp)
    }

    @Test func cappedAtMaximumAndReportedAsLimited() throws {
        var sim = Simulation(policy: try makePolicy(max: 8), replicas: 6)
        let d = sim.step(hot)
        #expect((d.to, d.limited) == (8, true))
        let atMax = sim.step(hot, after: 60)
        #expect((atMax.action, atMax.reason.kind, atMax.limited) == (.hold, .atMaximum, true))
    }

    @Test func stabilizationWindowDelaysScaleUpWhenSet() throws {
        var behavior = ScalingBehavior()
        behavior.scaleUp.stabilizationWindowSeconds = 30
        var sim = Simulation(policy: try makePolicy(behavior: behavior), replicas: 2)
        #expect(sim.step(hot).reason.kind == .scaleUpStabilizing)
        #expect(sim.step(hot, after: 29).reason.kind == .scaleUpStabilizing)
        #expect(sim.step(hot, after: 1).reason.kind == .scaleUpRule)
    }

    @Test func proportionalEstimateMayExceedTheStep() throws {
        var behavior = ScalingBehavior()
        behavior.scaleUp = StepPolicy(pods: 1, percent: 10, periodSeconds: 15, stabilizationWindowSeconds: 0)
        var sim = Simulation(policy: try makePolicy(up: "gpu.util>50%", down: "gpu.util<10%", max: 30, behavior: behavior), replicas: 10)
        let d = sim.step([.gpuUtil: 1.0])
        #expect(d.to == 20)  // 10 × 100% / 50%, larger than 10 + max(1, 10%)
        #expect(d.message.contains("proportional estimate"))
    }

    @Test func latencyClausesTakeTheFixedStepOnly() throws {
        var sim = Simulation(policy: try makePolicy(max: 100), replicas: 10)
        #expect(sim.step([.p90: 10]).to == 20)  // P90 fifty times its threshold: still 10 + max(4, 10)
    }
}

@Suite("Rule 4: scale down")
struct ScaleDownRuleTests {
    @Test func onlyAfterTheWindowThenOneStepPerPeriod() throws {
        var sim = Simulation(policy: try makePolicy(), replicas: 6)
        let first = sim.step(calm)
        #expect((first.action, first.reason.kind) == (.hold, .scaleDownStabilizing))
        #expect(first.state.scaleDownCandidateSince == t0)
        #expect(sim.step(calm, after: 299).reason.kind == .scaleDownStabilizing)
        let down = sim.step(calm, after: 1)
        #expect((down.action, down.to, down.reason.kind) == (.scaleDown, 5, .scaleDownRule))   // max(1, 10% of 6)
        #expect(sim.step(calm, after: 59).reason.kind == .scaleDownRateLimited)
        #expect(sim.step(calm, after: 1).to == 4)
    }

    @Test func stepIsTheLargerOfOnePodAndTenPercent() throws {
        var sim = Simulation(policy: try makePolicy(max: 100), replicas: 30)
        sim.state.scaleDownCandidateSince = t0 + -300
        #expect(sim.step(calm).to == 27)
    }

    @Test func notBelowTheMinimum() throws {
        var sim = Simulation(policy: try makePolicy(min: 2), replicas: 2)
        sim.state.scaleDownCandidateSince = t0 + -300
        let d = sim.step(calm)
        #expect((d.action, d.reason.kind, d.limited) == (.hold, .atMinimum, true))
    }

    @Test func windowSurvivesARestartThroughStatus() throws {
        // A new process reads scaleDownCandidateSince from status: the window is neither reset nor skipped.
        let policy = try makePolicy()
        let restored = ScalingState(scaleDownCandidateSince: t0 + -250)
        let early = DecisionEngine.decide(policy: policy, target: target(6), sample: sample(calm, at: t0), now: t0, state: restored)
        #expect(early.reason.kind == .scaleDownStabilizing)
        #expect(early.message.contains("for 250s of the 300s window"))
        let later = DecisionEngine.decide(policy: policy, target: target(6), sample: sample(calm, at: t0 + 50), now: t0 + 50, state: early.state)
        #expect(later.reason.kind == .scaleDownRule)
    }

    @Test func anyBreakRestartsTheWindow() throws {
        var sim = Simulation(policy: try makePolicy(), replicas: 6)
        _ = sim.step(calm)
        #expect(sim.step(steady, after: 100).state.scaleDownCandidateSince == nil)
        _ = sim.step(calm, after: 100)
        #expect(sim.state.scaleDownCandidateSince == t0 + 200)
        _ = sim.step([:], after: 10)   // unknown breaks it too
        #expect(sim.state.scaleDownCandidateSince == nil)
    }
}

@Suite("Rule 5: both rules true")
struct OverlapRuleTests {
    @Test func scaleUpWinsAndTheOverlapIsReported() throws {
        var sim = Simulation(policy: try makePolicy(up: "P90>200ms", down: "gpu.util<40%"), replicas: 2)
        sim.state.scaleDownCandidateSince = t0 + -600
        let d = sim.step([.p90: 0.5, .gpuUtil: 0.2])
        #expect((d.action, d.rulesOverlap) == (.scaleUp, true))
        #expect(d.state.scaleDownCandidateSince == nil)
    }
}

@Suite("Rule 6: missing metrics")
struct MissingMetricsRuleTests {
    @Test func unknownMeansHoldNeverScaleDown() throws {
        var sim = Simulation(policy: try makePolicy(), replicas: 6)
        sim.state.scaleDownCandidateSince = t0 + -1000
        let d = sim.step([:])
        #expect((d.action, d.reason.kind) == (.hold, .metricsUnknown))
        #expect(d.unknownMetrics == [.p90])
        #expect(d.state.consecutiveMetricFailures == 1)
    }

    @Test func partialDataThatLeavesScaleUpUnknownHolds() throws {
        // Down is true on the values present, but up cannot be ruled out: hold.
        var sim = Simulation(policy: try makePolicy(up: "P90>200ms || gpu.util>85%", down: "gpu.util<40%"), replicas: 6)
        sim.state.scaleDownCandidateSince = t0 + -1000
        #expect(sim.step([.gpuUtil: 0.1]).reason.kind == .metricsUnknown)
    }

    @Test func partialDataThatMakesScaleUpTrueScalesUp() throws {
        var sim = Simulation(policy: try makePolicy(up: "P90>200ms || gpu.util>85%"), replicas: 2)
        #expect(sim.step([.gpuUtil: 0.9]).reason.kind == .scaleUpRule)   // unknown || true
    }

    @Test func staleValuesAreUnknown() throws {
        var sim = Simulation(policy: try makePolicy(), replicas: 6)
        sim.state.scaleDownCandidateSince = t0 + -1000
        let old = MetricSample(readings: [.p90: MetricReading(value: 0.02, sampledAt: t0 + -10.5)])
        let d = DecisionEngine.decide(policy: sim.policy, target: target(6), sample: old, now: t0, state: sim.state)
        #expect(d.reason.kind == .metricsUnknown)
        #expect(d.message.contains("P90 is stale (sampled 10.5s ago, limit 10s)"))
    }

    @Test func fallbackAfterTheThreshold() throws {
        var behavior = ScalingBehavior()
        behavior.fallback = FallbackPolicy(replicas: 4)  // failureThreshold left at its default, 3
        var sim = Simulation(policy: try makePolicy(behavior: behavior), replicas: 8)
        #expect(sim.step([:]).reason.kind == .metricsUnknown)
        #expect(sim.step([:], after: 5).reason.kind == .metricsUnknown)
        let d = sim.step([:], after: 5)
        // A floor, never a cut (SPEC §4 rule 6): 8 busy replicas stay 8, not 4.
        #expect((d.to, d.reason.kind) == (8, .fallback))
        #expect(d.message.contains("fallback.replicas 4 is a floor, never a cut: holding at 8"), "\(d.message)")
        #expect(sim.step([:], after: 5).reason.kind == .fallback)   // stays there
        #expect(sim.step(steady, after: 5).state.consecutiveMetricFailures == 0)
    }

    @Test func sourceFailureIsNamed() throws {
        let d = DecisionEngine.decide(policy: try makePolicy(), target: target(3),
                                      sample: MetricSample(failure: "connection refused"), now: t0, state: ScalingState())
        #expect(d.message.contains("the metrics source failed: connection refused"))
    }
}

@Suite("Rule 7: others acting on the Deployment")
struct OthersRuleTests {
    @Test func replicasChangedBySomeoneElseAreTheNewCurrent() throws {
        var sim = Simulation(policy: try makePolicy(max: 100), replicas: 6)
        _ = sim.step(steady)
        sim.replicas = 9   // kubectl scale
        let d = sim.step(hot, after: 5)
        #expect((d.from, d.to) == (9, 18))
    }

    @Test func anotherAutoscalerStopsAllWrites() throws {
        let d = DecisionEngine.decide(policy: try makePolicy(), target: target(1, others: ["HorizontalPodAutoscaler/model"]),
                                      sample: sample(hot, at: t0), now: t0, state: ScalingState())
        #expect((d.action, d.to, d.reason.kind) == (.hold, 1, .otherAutoscaler))
        #expect(d.message.contains("HorizontalPodAutoscaler/model"))
    }
}

@Suite("Rule 8: explanations")
struct ExplanationRuleTests {
    @Test func everyDecisionNamesItsRuleClausesAndValues() throws {
        var sim = Simulation(policy: try makePolicy(), replicas: 2)
        let d = sim.step(hot)
        #expect(d.message == "2 -> 6: scaleUpThreshold is true (P90=500ms > 200ms: true); from 2 ready, step max(4 pods, 100% of 2) = 4")
        let hold = sim.step(steady, after: 15)
        #expect(hold.message == "neither threshold is true (up: P90=100ms > 200ms: false; down: P90=100ms < 50ms: false); holding at 6")
    }
}

@Suite("Defaults")
struct DefaultsTests {
    @Test func theNumbersAreTheDocumentedOnes() {
        #expect(Defaults.pollIntervalSeconds == 5)
        #expect(StepPolicy.defaultScaleUp == StepPolicy(pods: 4, percent: 100, periodSeconds: 15, stabilizationWindowSeconds: 0))
        #expect(StepPolicy.defaultScaleDown == StepPolicy(pods: 1, percent: 10, periodSeconds: 60, stabilizationWindowSeconds: 300))
        #expect(Defaults.staleAfterPollIntervals == 2)
        #expect(Defaults.fallbackFailureThreshold == 3)
        #expect(Defaults.minReplicas == 1)
        #expect(Defaults.maxReplicasLimit == 1000)
    }

    @Test func defaultPollIntervalMakesTenSecondOldValuesTheLastFreshOnes() throws {
        let policy = try makePolicy()
        let fresh = MetricSample(readings: [.p90: MetricReading(value: 0.5, sampledAt: t0 + -10)])
        #expect(DecisionEngine.decide(policy: policy, target: target(2), sample: fresh, now: t0, state: ScalingState()).reason.kind == .scaleUpRule)
        let stale = MetricSample(readings: [.p90: MetricReading(value: 0.5, sampledAt: t0 + -10.01)])
        #expect(DecisionEngine.decide(policy: policy, target: target(2), sample: stale, now: t0, state: ScalingState()).reason.kind == .metricsUnknown)
    }

    @Test func stepRoundsPercentUp() {
        #expect(StepPolicy(pods: 0, percent: 10, periodSeconds: 1, stabilizationWindowSeconds: 0).step(from: 11) == 2)
        #expect(StepPolicy(pods: 1, percent: 10, periodSeconds: 1, stabilizationWindowSeconds: 0).step(from: 0) == 1)
    }
}
