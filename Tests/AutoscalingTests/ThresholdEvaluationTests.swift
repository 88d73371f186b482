import Testing
@testable import Autoscaling

@Suite("Three-valued evaluation")
struct ThresholdEvaluationTests {
    static let all: [Truth] = [.true, .false, .unknown]

    @Test func kleeneTruthTables() {
        // AND: false dominates, then unknown.
        let and: [[Truth]] = [[.true, .false, .unknown], [.false, .false, .false], [.unknown, .false, .unknown]]
        // OR: true dominates, then unknown.
        let or: [[Truth]] = [[.true, .true, .true], [.true, .false, .unknown], [.true, .unknown, .unknown]]
        for (i, a) in Self.all.enumerated() {
            for (j, b) in Self.all.enumerated() {
                #expect((a && b) == and[i][j], "\(a) && \(b)")
                #expect((a || b) == or[i][j], "\(a) || \(b)")
            }
        }
        #expect(!Truth.true == .false)
        #expect(!Truth.false == .true)
        #expect(!Truth.unknown == .unknown)
    }

    @Test(arguments: [
        // (expression, values, expected)
        ("P90>200ms", [MetricName.p90: 0.25], Truth.true),
        ("P90>200ms", [.p90: 0.2], .false),              // strict
        ("P90>=200ms", [.p90: 0.2], .true),
        ("P90>200ms", [:], .unknown),
        ("P90>200ms || gpu.util>85%", [.gpuUtil: 0.9], .true),       // unknown || true
        ("P90>200ms || gpu.util>85%", [.gpuUtil: 0.5], .unknown),    // unknown || false
        ("P90>200ms && gpu.util>85%", [.gpuUtil: 0.5], .false),      // unknown && false
        ("P90>200ms && gpu.util>85%", [.gpuUtil: 0.9], .unknown),    // unknown && true
        ("!(P90>200ms)", [:], .unknown),
        ("!(P90>200ms)", [.p90: 0.1], .true),
        ("P90<200ms && gpu.util>85%", [.p90: 0.15, .gpuUtil: 0.91], .true),
        ("qps!=0", [.qps: 0], .false),
        ("gpu.util==50%", [.gpuUtil: 0.5], .true),
    ] as [(String, [MetricName: Double], Truth)])
    func evaluates(source: String, values: [MetricName: Double], expected: Truth) throws {
        let expression = try ThresholdExpression(parsing: source)
        let evaluation = expression.evaluate(MetricValues(values))
        #expect(evaluation.result == expected)
        // The fast path agrees with the explained one.
        #expect(expression.truth(MetricValues(values)) == expected)
    }

    @Test func clausesExplainEachComparison() throws {
        let e = try ThresholdExpression(parsing: "P90>200ms || gpu.util>85%")
        let evaluation = e.evaluate(MetricValues([.p90: 0.25]))
        #expect(evaluation.clauses.map(\.result) == [.true, .unknown])
        #expect(evaluation.clauses.map(\.observed) == [0.25, nil])
        #expect(evaluation.clauseSummary == "P90=250ms > 200ms: true, gpu.util=unknown > 85%: unknown")
    }

    @Test func nonFiniteValuesAreUnknown() throws {
        var values = MetricValues()
        values[.p90] = .nan
        values[.qps] = .infinity
        #expect(values[.p90] == nil)
        #expect(values[.qps] == nil)
        #expect(try ThresholdExpression(parsing: "P90>1ms").evaluate(values).result == .unknown)
    }

    @Test func staleReadingsAreUnknown() {
        let now = Timestamp(secondsSinceEpoch: 1000)
        let sample = MetricSample(readings: [
            .p90: MetricReading(value: 0.3, sampledAt: Timestamp(secondsSinceEpoch: 990)),   // 10 s old: fresh
            .gpuUtil: MetricReading(value: 0.9, sampledAt: Timestamp(secondsSinceEpoch: 989)), // 11 s old: stale at 10 s
        ])
        let (values, stale) = sample.freshValues(at: now, maxAge: 10)
        #expect(values[.p90] == 0.3)
        #expect(values[.gpuUtil] == nil)
        #expect(stale == [.gpuUtil])
    }
}

@Suite("Threshold lints")
struct ThresholdLintTests {
    func lints(_ up: String, _ down: String) throws -> [String] {
        try ThresholdLint.lint(scaleUp: ThresholdExpression(parsing: up), scaleDown: ThresholdExpression(parsing: down)).map(\.description)
    }

    @Test func seedExampleWarnsAboutItsLatencyDirectionsButDoesNotOverlap() throws {
        let found = try lints("P90<200ms && gpu.util>85%", "P90>350ms || gpu.util<40%")
        #expect(found == [
            "scaleUpThreshold: column 1: fires on low latency ('P90<200ms'); scale-up rules usually fire when latency is high",
            "scaleDownThreshold: column 1: fires on high latency ('P90>350ms'); scale-down rules usually fire when latency is low",
        ])
    }

    @Test func wellFormedPairHasNoLints() throws {
        #expect(try lints("P90>200ms || gpu.util>85%", "P90<100ms && gpu.util<40%").isEmpty)
    }

    @Test func lowLoadScaleUpAndNegationAreSeenThrough() throws {
        let found = try lints("!(gpu.util>20%)", "P90<50ms")
        #expect(found.first == "scaleUpThreshold: column 3: fires on low load ('!(gpu.util>20%)'); scale-up rules usually fire when load is high")
    }

    @Test func overlapNamesWitnessValues() throws {
        let found = try lints("P90>200ms", "gpu.util<40%")
        #expect(found.contains("scaleDownThreshold: overlaps scaleUpThreshold: both are true when P90=400ms, gpu.util=20% (scale-up wins)"))
    }

    @Test func neverAndAlwaysTrueRules() throws {
        let never = try lints("P90>1s && P90<500ms", "P90<100ms")
        #expect(never.contains("scaleUpThreshold: can never be true, so it never fires"))
        let always = try lints("gpu.util>=0%", "P90<100ms")
        #expect(always.contains("scaleUpThreshold: is true for every value, so it always fires"))
    }

    @Test func equalityIsLinted() throws {
        let found = try lints("qps==100", "qps<10")
        #expect(found.contains { $0.contains("tests a continuous metric for equality") })
    }
}

@Suite("Expression cache")
struct ThresholdExpressionCacheTests {
    @Test func parsesOncePerText() throws {
        let cache = ThresholdExpressionCache()
        let a = try cache.expression(for: "P90>1s")
        let b = try cache.expression(for: "P90>1s")
        #expect(a == b)
        #expect(cache.count == 1)
        #expect(throws: ThresholdExpressionError.self) { try cache.expression(for: "P90>") }
        #expect(throws: ThresholdExpressionError.self) { try cache.expression(for: "P90>") }
        #expect(cache.count == 2)
    }

    @Test func capacityBoundsMemory() throws {
        let cache = ThresholdExpressionCache(capacity: 4)
        for i in 0..<10 { _ = try cache.expression(for: "qps>\(i)") }
        #expect(cache.count <= 4)
    }
}

@Suite("Quantities and time")
struct QuantityAndTimeTests {
    @Test(arguments: [
        (0.00025, MetricKind.duration, "250us"), (0.25, .duration, "250ms"), (1.5, .duration, "1.5s"), (0, .duration, "0s"),
        (0.91, .fraction, "91%"), (0.855, .fraction, "85.5%"), (120.5, .rate, "120.5"), (3, .rate, "3"),
    ])
    func formats(value: Double, kind: MetricKind, text: String) {
        #expect(Quantity.format(value, as: kind) == text)
    }

    @Test func parsesCommandLineQuantities() throws {
        #expect(try Quantity.parse("250ms", for: .p90).get().value == 0.25)
        #expect(try Quantity.parse("91%", for: .gpuUtil).get().value == 0.91)
        #expect(throws: Quantity.Problem.self) { try Quantity.parse("fast", for: .p90).get() }
        #expect(throws: Quantity.Problem.self) { try Quantity.parse("1.2.3s", for: .p90).get() }
    }

    @Test(arguments: [
        ("2026-11-27T10:00:00Z", 1_795_773_600.0), ("1970-01-01T00:00:00Z", 0), ("2026-11-27T11:00:00+01:00", 1_795_773_600),
        ("2026-11-27T10:00:00.5Z", 1_795_773_600.5), ("2000-02-29T00:00:00Z", 951_782_400),
    ])
    func rfc3339(text: String, seconds: Double) throws {
        let t = try #require(Timestamp(rfc3339: text))
        #expect(t.secondsSinceEpoch == seconds)
        #expect(Timestamp(rfc3339: t.rfc3339)?.secondsSinceEpoch == seconds.rounded(.down))
    }

    @Test(arguments: ["", "2026-11-27", "2026-13-01T00:00:00Z", "2026-11-27T10:00:00", "2026-11-27T10:00:00Zjunk", "yesterday"])
    func malformedTimesAreRejected(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }
}
