import Autoscaling
import LoadModel
import Testing
import TestSupport
@testable import Simulation

/// The engine through the adapter: the operator's planning code, poll by poll, with its state carried.
@Suite("The decision engine as a scaler")
struct EngineScalerTests {
    @Test func aBreachScalesUpFromReadyReplicasByTheEnginesStep() throws {
        let (pool, policy) = try standardPool()
        var engine = EngineScaler(pool: pool, policy: policy)
        let history = steadyHistory(seconds: 40, demand: 10_000, p90: 0.5, gpu: 0.58)
        let decision = engine.decide(Observation(time: 40, currentReplicas: 2, readyReplicas: 2, history: history))
        // ready 2 + max(4 pods, 100 % of 2)
        #expect(decision.replicas == 6)
        #expect(decision.reason == ScalingDecision.Reason.Kind.scaleUpRule.rawValue)
        // Replicas still starting are capacity on its way: the rule still fires, the step is already taken.
        let again = engine.decide(Observation(time: 60, currentReplicas: 6, readyReplicas: 2, history: steadyHistory(seconds: 60, demand: 10_000, p90: 0.5)))
        #expect(again.replicas == 6)
        #expect(again.reason == ScalingDecision.Reason.Kind.replicasWarming.rawValue)
    }

    @Test func theScaleDownWindowIsCarriedFromPollToPollAsInStatus() throws {
        // Calm traffic on 6 replicas: the down rule is true from the first poll (0 s; the pool has
        // history from before). With the state carried, the first step down comes 300 s later, then
        // one a minute; a scaler that forgot the state would never scale down.
        let (pool, policy) = try standardPool()
        let trace = Trace(name: "calm", demand: Array(repeating: 6_000, count: 700))
        let run = Simulator.run(EngineScaler(pool: pool, policy: policy), trace: trace, settings: SimulationSettings(initialReplicas: 6))
        #expect(run.events.map(\.time) == [300, 360, 420, 480])
        #expect(run.events.map(\.to) == [5, 4, 3, 2])
        #expect(run.events.allSatisfy { $0.reason == ScalingDecision.Reason.Kind.scaleDownRule.rawValue })
    }

    @Test func noReadyPodToScrapeMeansHold() throws {
        let (pool, policy) = try standardPool()
        var engine = EngineScaler(pool: pool, policy: policy)
        let decision = engine.decide(Observation(time: 30, currentReplicas: 4, readyReplicas: 0,
                                                 history: steadyHistory(seconds: 30, demand: 10_000, p90: 60)))
        #expect(decision.replicas == 4)
        #expect(decision.reason == ScalingDecision.Reason.Kind.metricsUnknown.rawValue)
    }

    @Test func thePoolsMetricsSourceChoosesThePipeline() throws {
        let (pool, policy) = try standardPool()
        #expect(EngineScaler(pool: pool, policy: policy).pipeline == .directScrape(rateWindow: 30))
        #expect(EngineScaler(pool: pool, policy: policy, source: .prometheus).pipeline == .typicalPrometheus)
        let (slow, slowPolicy) = try poolWithSpec("behavior: {pollInterval: 20s}")
        #expect(EngineScaler(pool: slow, policy: slowPolicy).pipeline == .directScrape(rateWindow: 80))  // 4 polls
        let (prom, promPolicy) = try poolWithSpec("metrics: {source: Prometheus}")
        #expect(EngineScaler(pool: prom, policy: promPolicy).pipeline == .typicalPrometheus)
    }

    @Test func rulesOnMetricsTheModelDoesNotGiveAreNamed() throws {
        let (_, policy) = try poolWithRules(up: "P99 > 1s || queue > 50ms", down: "P90 < 100ms")
        #expect(EngineScaler.unmodelledMetrics(of: policy) == ["P99", "queue"])
        let (_, standard) = try standardPool()
        #expect(EngineScaler.unmodelledMetrics(of: standard).isEmpty)
    }
}

@Suite("The simulator", .runsOnOwnThreads)
struct SimulatorTests {
    @Test func thePoolHasHistoryBeforeSecondZeroSoNoPipelineStartsBlind() throws {
        // A Prometheus pool with a fallback after 3 failed polls: with an empty history its first
        // three polls (0, 5, 10 s) would see nothing (15 s lag) and fall back to 4 replicas.
        let (pool, policy) = try poolWithSpec("metrics: {source: Prometheus}", "behavior: {fallback: {failureThreshold: 3, replicas: 4}}")
        let trace = Trace(name: "steady", demand: Array(repeating: 12_000, count: 120))
        let run = Simulator.run(EngineScaler(pool: pool, policy: policy), trace: trace, settings: SimulationSettings(initialReplicas: 2))
        #expect(run.events.isEmpty, "\(run.events)")
        // The warm-up is not scored: 120 s on 2 replicas.
        #expect(run.scores.replicaSeconds == 240)
        #expect(run.series.replicas.count == 120)
    }

    @Test func windowsAreInSecondsWhateverTheHistoryStartsAt() {
        var history = PoolHistory(start: -10)
        for t in -10..<5 {
            history.append(PoolTick(time: Double(t), demand: Double(t + 10), served: 1, dropped: 0, backlog: 0, replicas: 1, ready: 1,
                                    load: 0.1, p90: 0.01, gpuUtilisation: 0.2))
        }
        #expect(history.meanDemand(-10, -8) == 0.5)
        #expect(history.meanDemand(3, 100) == 13.5)
        #expect(history.meanDemand(-100, -10) == nil)
        #expect(MetricsPipeline.directScrape(rateWindow: 30).reading(of: history, at: 0).seconds == 10)
    }
}
