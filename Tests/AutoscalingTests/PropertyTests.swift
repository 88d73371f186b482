import TestSupport
import Testing
@testable import Autoscaling


/// Random valid expressions and inputs for the engine.
struct Arbitrary {
    var rng: SeededGenerator

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func bool() -> Bool { Bool.random(using: &rng) }

    mutating func comparison() -> String {
        let metric = MetricName.allCases.randomElement(using: &rng) ?? .p90
        let op = ComparisonOperator.allCases.filter { $0 != .equal && $0 != .notEqual }.randomElement(using: &rng) ?? .greater
        let quantity: String
        switch metric.kind {
        case .duration: quantity = "\(int(1...900))\(["us", "ms", "s"].randomElement(using: &rng) ?? "ms")"
        case .fraction: quantity = bool() ? "\(int(0...100))%" : "0.\(int(0...99))"
        case .rate, .count: quantity = "\(int(0...5000))"
        }
        return "\(bool() ? metric.rawValue : metric.rawValue.lowercased())\(bool() ? " " : "")\(op.rawValue)\(quantity)"
    }

    mutating func expression(depth: Int = 0) -> String {
        guard depth < 4, int(0...2) > 0 else { return comparison() }
        switch int(0...3) {
        case 0: return "!(\(expression(depth: depth + 1)))"
        case 1: return "(\(expression(depth: depth + 1)))"
        case 2: return "\(expression(depth: depth + 1)) && \(expression(depth: depth + 1))"
        default: return "\(expression(depth: depth + 1)) || \(expression(depth: depth + 1))"
        }
    }

    mutating func values(dropSome: Bool) -> [MetricName: Double] {
        var v: [MetricName: Double] = [:]
        for metric in MetricName.allCases where !(dropSome && bool()) {
            switch metric.kind {
            case .duration: v[metric] = Double(int(0...2000)) / 1000
            case .fraction: v[metric] = Double(int(0...100)) / 100
            case .rate, .count: v[metric] = Double(int(0...5000))
            }
        }
        return v
    }

    mutating func policy() throws -> ScalingPolicy {
        let min = int(1...10)
        var behavior = ScalingBehavior()
        behavior.scaleUp = StepPolicy(pods: int(0...6), percent: int(1...200), periodSeconds: int(1...60), stabilizationWindowSeconds: int(0...1) * 30)
        behavior.scaleDown = StepPolicy(pods: int(0...3), percent: int(1...50), periodSeconds: int(1...120), stabilizationWindowSeconds: int(0...600))
        if bool() { behavior.fallback = FallbackPolicy(failureThreshold: int(1...5), replicas: int(1...40)) }
        return try makePolicy(up: expression(), down: expression(), min: min, max: min + int(0...30), behavior: behavior, paused: int(0...9) == 0)
    }

    mutating func state(around now: Timestamp) -> ScalingState {
        func maybe() -> Timestamp? { bool() ? now + Double(-int(0...900)) : nil }
        func rate() -> Double { Double(int(1...5000)) }
        var learned = LearnedState()
        if bool() { learned.capacity = CapacityEstimate(requestsPerReplica: rate(), updatedAt: now + Double(-int(0...90_000))) }
        if bool() { learned.coldStart = ColdStartEstimate(samples: (0..<int(1...5)).map { _ in Double(int(1...300)) }) }
        if bool() {
            let level = rate()
            learned.demand = DemandTrend(level: level, baseline: level * Double(int(50...150)) / 100, noise: Double(int(0...500)),
                                         at: now + Double(-int(1...30)), since: now + Double(-int(0...900)))
        }
        learned.readySince = maybe()
        learned.lastDemand = bool() ? rate() : nil
        learned.surgeForecast = bool() ? rate() * 3 : nil
        if bool() { learned.pendingScaleUp = PendingScaleUp(replicas: int(1...40), since: now + Double(-int(0...300))) }
        return ScalingState(scaleUpCandidateSince: maybe(), scaleDownCandidateSince: maybe(), lastScaleUpTime: maybe(),
                            lastScaleDownTime: maybe(), consecutiveMetricFailures: int(0...6), metricsFailingSince: maybe(), learned: learned)
    }

    /// A sample of `values`, sometimes with a short-window demand, sometimes idle.
    mutating func sample(_ values: [MetricName: Double], at now: Timestamp) -> MetricSample {
        var s = AutoscalingTests.sample(values, at: now)
        if bool() { s.demand = MetricReading(value: Double(int(0...5000)), sampledAt: now) }
        s.idle = int(0...4) == 0
        return s
    }
}

@Suite("Properties of the decision engine")
struct DecisionPropertyTests {
    @Test func boundsAlwaysHold() throws {
        var a = Arbitrary(rng: SeededGenerator(seed: 1))
        for _ in 0..<2000 {
            let policy = try a.policy()
            let current = a.int(0...60)
            let t = target(current, ready: a.int(0...current))
            let d = DecisionEngine.decide(policy: policy, target: t, sample: a.sample(a.values(dropSome: a.bool()), at: t0), now: t0, state: a.state(around: t0))
            if policy.paused {
                #expect(d.to == current)
            } else {
                #expect((policy.minReplicas...policy.maxReplicas).contains(d.to), "\(d.message)")
            }
        }
    }

    /// Deciding again at the same instant, from the replicas and the state the first decision left
    /// (all of them ready, so that replicas still starting cannot be what holds it back), never
    /// takes a second step in the same direction: a step starts its period, and the period is kept
    /// in the state (what a requeue or a restart relies on).
    @Test func noSecondStepAtTheSameInstant() throws {
        var a = Arbitrary(rng: SeededGenerator(seed: 2))
        var steps = 0
        for _ in 0..<5000 {
            let policy = try a.policy()
            let current = a.int(0...40)
            let ready = a.int(0...current)
            let s = a.sample(a.values(dropSome: a.bool()), at: t0)
            let first = DecisionEngine.decide(policy: policy, target: target(current, ready: ready), sample: s, now: t0, state: a.state(around: t0))
            let second = DecisionEngine.decide(policy: policy, target: target(first.to, ready: first.to), sample: s, now: t0, state: first.state)
            switch first.reason.kind {
            case .scaleUpRule, .scaleUpForecast:
                steps += 1
                #expect(second.action != .scaleUp, "\(first.message) then \(second.message)")
            case .scaleDownRule:
                steps += 1
                #expect(second.action != .scaleDown, "\(first.message) then \(second.message)")
            default: break
            }
        }
        #expect(steps > 100, "the generator must produce steps: \(steps)")
    }

    @Test func aConstantMetricNeverMakesReplicasOscillate() throws {
        var a = Arbitrary(rng: SeededGenerator(seed: 3))
        for _ in 0..<300 {
            var sim = Simulation(policy: try a.policy(), replicas: a.int(1...40))
            let values = a.values(dropSome: a.bool())
            var direction = 0
            for _ in 0..<120 {
                let before = sim.replicas
                let d = sim.step(values, after: 5)
                let move = d.to > before ? 1 : d.to < before ? -1 : 0
                if move != 0 {
                    #expect(direction == 0 || direction == move, "replicas reversed under a constant metric: \(d.message)")
                    direction = move
                }
            }
        }
    }

    @Test func neverScaleDownOnUnknownData() throws {
        var a = Arbitrary(rng: SeededGenerator(seed: 4))
        var checked = 0
        for _ in 0..<3000 {
            var policy = try a.policy()
            policy = ScalingPolicy(minReplicas: policy.minReplicas, maxReplicas: policy.maxReplicas, scaleUp: policy.scaleUp,
                                   scaleDown: policy.scaleDown, behavior: ScalingBehavior(scaleUp: policy.behavior.scaleUp, scaleDown: policy.behavior.scaleDown),
                                   paused: false)
            let values = a.values(dropSome: true)
            let current = a.int(policy.minReplicas...policy.maxReplicas)
            let ready = a.int(0...current)
            let d = DecisionEngine.decide(policy: policy, target: target(current, ready: ready), sample: sample(values, at: t0), now: t0,
                                          state: a.state(around: t0))
            if d.reason.kind == .trimStarting {
                // Giving back replicas still starting removes no ready one, and only on a known breach's numbers.
                #expect(d.to >= ready && d.scaleUp.result != .unknown, "\(d.message)")
            } else if d.action == .scaleDown {
                // Only on known data: the up rule false and the down rule true.
                #expect(d.scaleUp.result == .false && d.scaleDown.result == .true, "\(d.message)")
            }
            if d.scaleUp.result == .unknown || (d.scaleUp.result == .false && d.scaleDown.result == .unknown) {
                #expect(d.action != .scaleDown)
                checked += 1
            }
        }
        #expect(checked > 100, "the generator must produce unknown cases")
    }
}

@Suite("Properties of the learned sizing")
struct SizingPropertyTests {
    /// A pool sized from the learned capacity (up or down) is never smaller than the demand needs at
    /// that capacity: replicas × capacity ≥ the demand sized for.
    @Test func learnedCapacityNeverMakesThePoolSmallerThanTheDemandNeeds() throws {
        var a = Arbitrary(rng: SeededGenerator(seed: 7))
        var checked = 0
        for _ in 0..<3000 {
            let policy = try a.policy()
            let current = a.int(policy.minReplicas...policy.maxReplicas)
            let d = DecisionEngine.decide(policy: policy, target: target(current, ready: a.int(0...current)),
                                          sample: a.sample(a.values(dropSome: a.bool()), at: t0), now: t0, state: a.state(around: t0))
            var sized: CapacitySizing?
            switch d.reason {
            case .scaleUpRule(let step), .scaleUpForecast(let step):
                switch step.sizing {
                case .capacity(let s): sized = s
                case .surge(let s): sized = s.capacity
                case .forecast(let f): sized = f.capacity
                case .step: break
                }
            case .scaleDownRule(let step): sized = step.sizing
            case .trimStarting(let trim): sized = trim.sizing
            default: break
            }
            guard let sized, d.to < policy.maxReplicas else { continue }
            checked += 1
            #expect(Double(d.to) * sized.perReplica * sized.utilization >= sized.demand * (1 - 1e-9), "\(d.message)")
        }
        #expect(checked > 100, "the generator must produce learned sizings: \(checked)")
    }

    /// An idle pool (a healthy source that counted no request) never counts a failure, never holds
    /// for unknown latency, and never falls back.
    @Test func idleNeverCountsAsAFailure() throws {
        var a = Arbitrary(rng: SeededGenerator(seed: 8))
        for _ in 0..<2000 {
            let policy = try a.policy()
            var values = a.values(dropSome: false)
            for metric in MetricName.allCases where metric.kind == .duration { values[metric] = nil }
            values[.qps] = 0
            var s = sample(values, at: t0)
            s.idle = true
            var state = a.state(around: t0)
            state.metricsFailingSince = nil
            state.consecutiveMetricFailures = 0
            let current = a.int(policy.minReplicas...policy.maxReplicas)
            let d = DecisionEngine.decide(policy: policy, target: target(current), sample: s, now: t0, state: state)
            #expect(d.state.consecutiveMetricFailures == 0, "\(d.message)")
            #expect(d.reason.kind != .fallback && d.reason.kind != .metricsUnknown, "\(d.message)")
        }
    }
}

@Suite("Properties of the expression parser")
struct ParserPropertyTests {
    @Test func groupedFormParsesBackToItself() throws {
        var a = Arbitrary(rng: SeededGenerator(seed: 5))
        for _ in 0..<1000 {
            let source = a.expression()
            let e = try ThresholdExpression(parsing: source)
            let again = try ThresholdExpression(parsing: e.grouped)
            #expect(again.grouped == e.grouped, "\(source)")
            // And evaluation agrees on random values.
            let v = MetricValues(a.values(dropSome: a.bool()))
            #expect(again.truth(v) == e.truth(v))
            #expect(e.evaluate(v).result == e.truth(v))
        }
    }

    @Test func garbageNeverCrashesAndErrorsPointInsideTheText() {
        var rng = SeededGenerator(seed: 6)
        let alphabet = Array("P90gpu.tilqse<>=!&|() 0123456789.%msu\u{00B5}-+x")
        for _ in 0..<5000 {
            let source = String((0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? " " })
            do {
                _ = try ThresholdExpression(parsing: source)
            } catch {
                #expect(error.column >= 1 && error.column <= source.unicodeScalars.count + 1, "\(source): \(error)")
                #expect(!error.message.isEmpty)
            }
        }
    }
}
