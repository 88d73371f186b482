import LoadModel
import Testing
@testable import Simulation

/// HPA (and KEDA through it) against cases computed by hand from `replica_calculator.go` and `horizontal.go`.
@Suite("HPA autoscaling/v2 and KEDA, by hand")
struct HorizontalPodAutoscalerTests {
    @Test(arguments: [
        // value, target, current, ready → replicas
        (0.58, 0.5, 2, 2, 3),    // ratio 1.16: ⌈2 × 1.16⌉
        (0.52, 0.5, 4, 4, 4),    // ratio 1.04: within the 10 % tolerance
        (0.45, 0.5, 4, 4, 4),    // ratio 0.90: |1 − 0.9| ≤ 0.1, within tolerance
        (0.30, 0.5, 10, 10, 6),  // ⌈10 × 0.6⌉
        (0.58, 0.5, 3, 2, 3),    // one pod starting counts as idle: 0.58·2/3 = 0.39 < target, hold
        (0.90, 0.5, 3, 2, 4),    // rebalanced 0.9·2/3/0.5 = 1.2: ⌈1.2 × 3⌉
        (0.20, 0.5, 3, 2, 1),    // a scale-down ignores starting pods: ⌈2 × 0.4⌉
    ] as [(Double, Double, Int, Int, Int)])
    func podMetricProposal(value: Double, target: Double, current: Int, ready: Int, expected: Int) {
        #expect(HorizontalPodAutoscaler.podsMetricReplicas(value: value, target: target, current: current, ready: ready) == expected)
    }

    @Test func scaleUpIsLimitedToFourPodsOrDoubleEachPeriod() {
        // KEDA on P90 = 10 s, target 200 ms, AverageValue: a proposal of 50 replicas.
        var hpa = HorizontalPodAutoscaler(name: "keda", metric: .latencyAverageValue(target: 0.2), minReplicas: 2, maxReplicas: 40)
        let history = steadyHistory(seconds: 300, demand: 1_000, p90: 10)
        func decide(_ t: Int, _ current: Int) -> Int {
            hpa.decide(Observation(time: t, currentReplicas: current, readyReplicas: current, history: history)).replicas
        }
        #expect(decide(100, 2) == 6)    // max(2 + 4, 2 × 2)
        #expect(decide(105, 6) == 6)    // the 4 added at 100 s count within the 15 s period
        #expect(decide(115, 6) == 12)   // a period later: max(6 + 4, 6 × 2)
        #expect(decide(130, 12) == 24)
        #expect(decide(145, 24) == 40)  // maxReplicas
    }

    @Test func scaleDownWaitsForTheHighestRecommendationOfFiveMinutes() {
        // KEDA (AverageValue) on P90 = 30 ms proposes ⌈30/200⌉ = 1, whatever the replicas.
        var hpa = HorizontalPodAutoscaler(name: "keda", metric: .latencyAverageValue(target: 0.2), minReplicas: 2, maxReplicas: 40)
        let history = steadyHistory(seconds: 800, demand: 1_000, p90: 0.03)
        func decide(_ t: Int) -> Int { hpa.decide(Observation(time: t, currentReplicas: 10, readyReplicas: 10, history: history)).replicas }
        #expect(decide(400) == 10)  // the first sync remembers 10 (recordInitialRecommendation)
        #expect(decide(699) == 10)  // 10 is still within the 300 s window
        #expect(decide(700) == 2)   // gone: straight to minReplicas (100 % per 15 s may go)
    }

    @Test func valueTargetScalesTheReadyPodsByTheRatio() {
        var hpa = HorizontalPodAutoscaler(name: "keda-value", metric: .latencyValue(target: 0.2), minReplicas: 2, maxReplicas: 40)
        let history = steadyHistory(seconds: 100, demand: 1_000, p90: 0.3)
        // ⌈ready 3 × 0.3/0.2⌉ = 5; the 4 starting pods do not count.
        #expect(hpa.decide(Observation(time: 100, currentReplicas: 7, readyReplicas: 3, history: history)).replicas == 7)
        var fresh = HorizontalPodAutoscaler(name: "keda-value", metric: .latencyValue(target: 0.2), minReplicas: 2, maxReplicas: 40)
        #expect(fresh.decide(Observation(time: 100, currentReplicas: 3, readyReplicas: 3, history: history)).replicas == 5)
    }

    @Test func gpuUtilisationIsTheMeanOfAMinuteSeenFifteenSecondsLate() {
        var hpa = HorizontalPodAutoscaler(name: "hpa", metric: .gpuUtilisation(target: 0.5), minReplicas: 2, maxReplicas: 40)
        var history = steadyHistory(seconds: 100, demand: 1_000, p90: 0.02, gpu: 0.58)
        // The last 15 s are idle but not seen yet: still 58 %, so ⌈2 × 1.16⌉ = 3.
        append(&history, seconds: 15, demand: 1_000, p90: 0.02, gpu: 0.12)
        #expect(hpa.decide(Observation(time: 115, currentReplicas: 2, readyReplicas: 2, history: history)).replicas == 3)
    }

    @Test func withoutAMetricTheScaleIsLeftAlone() {
        var hpa = HorizontalPodAutoscaler(name: "hpa", metric: .gpuUtilisation(target: 0.5), minReplicas: 2, maxReplicas: 40)
        let decision = hpa.decide(Observation(time: 0, currentReplicas: 5, readyReplicas: 5, history: PoolHistory()))
        #expect(decision.replicas == 5)
    }

    @Test func anEmptyAnswerIsZeroForKEDA() {
        // ignoreNullValues: no requests in the window → 0 → a proposal of 0, held by the window, then minReplicas.
        var hpa = HorizontalPodAutoscaler(name: "keda", metric: .latencyAverageValue(target: 0.2), minReplicas: 2, maxReplicas: 40)
        let idle = steadyHistory(seconds: 400, demand: 0, p90: 0.009)
        #expect(hpa.decide(Observation(time: 0, currentReplicas: 6, readyReplicas: 6, history: idle)).replicas == 6)
        #expect(hpa.decide(Observation(time: 300, currentReplicas: 6, readyReplicas: 6, history: idle)).replicas == 2)
    }

    @Test func replicasOutsideTheBoundsAreBroughtBackFirst() {
        var hpa = HorizontalPodAutoscaler(name: "hpa", metric: .gpuUtilisation(target: 0.5), minReplicas: 2, maxReplicas: 40)
        #expect(hpa.decide(Observation(time: 0, currentReplicas: 55, readyReplicas: 55, history: PoolHistory())).replicas == 40)
        #expect(hpa.decide(Observation(time: 15, currentReplicas: 1, readyReplicas: 1, history: PoolHistory())).replicas == 2)
    }
}

/// Knative's KPA against cases computed by hand from `autoscaler.go`.
@Suite("Knative KPA, by hand")
struct KnativePodAutoscalerTests {
    /// 62.5 ms: a binary fraction, so that rate × latency is exact and ⌈…⌉ is what the comments say.
    let latency = 0.0625

    @Test func desiredPodsAreTheStableConcurrencyOverTheTarget() {
        var kpa = KnativePodAutoscaler(minReplicas: 2, maxReplicas: 40)
        // 11,200 req/s × 62.5 ms = 700 in flight; / 70 per pod = 10.
        let history = steadyHistory(seconds: 100, demand: 11_200, p90: latency)
        #expect(kpa.decide(Observation(time: 100, currentReplicas: 8, readyReplicas: 8, history: history)).replicas == 10)
    }

    @Test func scaleDownAtMostHalves() {
        var kpa = KnativePodAutoscaler(minReplicas: 2, maxReplicas: 40)
        let history = steadyHistory(seconds: 200, demand: 1_120, p90: latency)  // 70 in flight: 1 pod
        _ = kpa.decide(Observation(time: 0, currentReplicas: 1, readyReplicas: 1, history: PoolHistory()))  // one pod: no panic start
        #expect(kpa.decide(Observation(time: 200, currentReplicas: 10, readyReplicas: 10, history: history)).replicas == 5)
        #expect(kpa.decide(Observation(time: 202, currentReplicas: 5, readyReplicas: 5, history: history)).replicas == 2)  // ⌊5/2⌋, then minReplicas
    }

    @Test func aSurgeInTheSixSecondWindowPanicsAndPanicNeverScalesDown() {
        var kpa = KnativePodAutoscaler(minReplicas: 2, maxReplicas: 40)
        _ = kpa.decide(Observation(time: 0, currentReplicas: 1, readyReplicas: 1, history: PoolHistory()))
        var history = steadyHistory(seconds: 100, demand: 2_240, p90: latency)  // 140 in flight
        append(&history, seconds: 6, demand: 22_400, p90: latency)  // 1,400 in flight
        // Panic window: ⌈1400/70⌉ = 20 ≥ 2 × 4 ready; stable: ⌈(54·140 + 6·1400)/60/70⌉ = 4. Panic takes the larger.
        #expect(kpa.decide(Observation(time: 106, currentReplicas: 4, readyReplicas: 4, history: history)).replicas == 20)
        append(&history, seconds: 50, demand: 2_240, p90: latency)
        // Calm again, but still within 60 s of the last time over the threshold: hold the panic's 20.
        #expect(kpa.decide(Observation(time: 156, currentReplicas: 20, readyReplicas: 4, history: history)).replicas == 20)
        append(&history, seconds: 50, demand: 2_240, p90: latency)
        // 60 s after the panic's last extension (at 106 s): stable again, ⌈140/70⌉ = 2.
        #expect(kpa.decide(Observation(time: 206, currentReplicas: 20, readyReplicas: 20, history: history)).replicas == 10)  // at most halves
    }

    @Test func aDeciderStartsInPanicWhenMoreThanOnePodIsReady() {
        var kpa = KnativePodAutoscaler(minReplicas: 1, maxReplicas: 40)
        let history = steadyHistory(seconds: 200, demand: 1_120, p90: latency)  // 1 pod's worth
        // newAutoscaler: panic with the 6 ready pods as the floor, for 60 s.
        #expect(kpa.decide(Observation(time: 100, currentReplicas: 6, readyReplicas: 6, history: history)).replicas == 6)
        #expect(kpa.decide(Observation(time: 161, currentReplicas: 6, readyReplicas: 6, history: history)).replicas == 3)
    }

    @Test func noDataYetLeavesTheScaleAlone() {
        var kpa = KnativePodAutoscaler(minReplicas: 2, maxReplicas: 40)
        #expect(kpa.decide(Observation(time: 0, currentReplicas: 3, readyReplicas: 3, history: PoolHistory())).replicas == 3)
    }
}
