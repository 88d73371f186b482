import LoadModel
import Testing
import TestSupport
@testable import Simulation

/// LOADMODEL.md's reference figures (SLO-violation s / replica-s / scale events), from an independent
/// implementation of that page with its own noise seeds. Ours must land within noise: the mean of five
/// seeds within max(an absolute margin, a relative margin, 3 standard deviations across the seeds).
///
/// KEDA's figures follow the page's HPA formula ⌈ready × value/target⌉, i.e. `metricType: Value`
/// (`keda-p90-value`); KEDA's own default, `AverageValue` (`keda-p90`), proposes ⌈P90/target⌉
/// replicas whatever the current count, and is compared in the README rather than here.
@Suite("Reference figures of LOADMODEL.md", .runsOnOwnThreads)
struct ReferenceFigureTests {
    struct Figure: Sendable {
        let scaler: String
        let violations: Double, replicaSeconds: Double, events: Double
    }

    /// The table of LOADMODEL.md, by trace and cold start (the anchors; "this project today" is
    /// the engine before issue 13, which ``EngineRegressionTests`` measures the engine against).
    static let table: [(BuiltinTrace, Double, [Figure])] = [
        (.spike, 10, [Figure(scaler: "hpa-util=50", violations: 201, replicaSeconds: 18_344, events: 23),
                      Figure(scaler: "keda-p90-value=200ms", violations: 136, replicaSeconds: 33_225, events: 12),
                      Figure(scaler: "kpa", violations: 10, replicaSeconds: 22_634, events: 109),
                      // "HPA on GPU utilisation with the usual 70 % target never scales … 677 SLO-violation seconds."
                      Figure(scaler: "hpa-util=70", violations: 677, replicaSeconds: 3_600, events: 0)]),
        (.spike, 120, [Figure(scaler: "hpa-util=50", violations: 655, replicaSeconds: 7_619, events: 8),
                       Figure(scaler: "keda-p90-value=200ms", violations: 295, replicaSeconds: 39_075, events: 12),
                       Figure(scaler: "kpa", violations: 121, replicaSeconds: 25_656, events: 85),]),
        (.diurnal, 10, [Figure(scaler: "hpa-util=50", violations: 6, replicaSeconds: 41_565, events: 16),
                        Figure(scaler: "keda-p90-value=200ms", violations: 594, replicaSeconds: 166_305, events: 67),
                        Figure(scaler: "kpa", violations: 0, replicaSeconds: 66_828, events: 204),]),
        (.diurnal, 120, [Figure(scaler: "hpa-util=50", violations: 107, replicaSeconds: 39_165, events: 12),
                         Figure(scaler: "keda-p90-value=200ms", violations: 1_487, replicaSeconds: 169_830, events: 63),
                         Figure(scaler: "kpa", violations: 0, replicaSeconds: 68_025, events: 115),]),
    ]

    @Test(arguments: 0..<4)
    func standardRunsLandWithinNoiseOfTheReference(row: Int) throws {
        let (trace, coldStart, figures) = Self.table[row]
        let (pool, policy) = try standardPool()
        var profile = ServerProfile.h100BERT
        profile.coldStart = coldStart
        let settings = SimulationSettings(profile: profile, slo: 0.2, initialReplicas: policy.minReplicas)
        var scores: [String: [Scores]] = [:]
        for seed in 1...5 as ClosedRange<UInt64> {
            let demand = trace.trace(seed: seed)
            for figure in figures {
                let scaler = try AnchorSpec.parse(figure.scaler).get().scaler(minReplicas: policy.minReplicas, maxReplicas: policy.maxReplicas)
                scores[figure.scaler, default: []].append(Simulator.run(scaler, trace: demand, settings: settings).scores)
            }
        }
        for figure in figures {
            let runs = scores[figure.scaler] ?? []
            let label = "\(trace.rawValue) \(Int(coldStart))s \(figure.scaler)"
            Self.check(runs.map { Double($0.sloViolationSeconds) }, figure.violations, relative: 0.15, absolute: 15, "\(label) SLO-violation s")
            Self.check(runs.map { Double($0.replicaSeconds) }, figure.replicaSeconds, relative: 0.10, absolute: 0, "\(label) replica-s")
            Self.check(runs.map { Double($0.scaleEvents) }, figure.events, relative: 0.25, absolute: 4, "\(label) scale events")
        }
    }

    static func check(_ values: [Double], _ reference: Double, relative: Double, absolute: Double, _ what: String) {
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, values.count - 1))).squareRoot()
        let allowed = max(absolute, relative * reference, 3 * sd)
        #expect(abs(mean - reference) <= allowed, "\(what): ours \(mean) ± \(sd) over \(values.count) seeds, reference \(reference), allowed ±\(allowed)")
    }
}

/// The engine on LOADMODEL.md's standard traffic (five seeds each, deterministic): at least as good
/// as its last measured version on every score (small margins for the seeds' noise), better than
/// the engine before issue 13 ("this project today" in LOADMODEL.md) on SLO-violation seconds, and
/// within issue 13's targets where it meets them (KPA's SLO + 5 s, KPA's replica-seconds, a quarter
/// of KPA's scale events). A change to the decisions that makes any row worse fails here; one that
/// makes it better updates the figures (and the README's table).
@Suite("The engine on the standard traffic", .runsOnOwnThreads)
struct EngineRegressionTests {
    struct Row: Sendable {
        let trace: BuiltinTrace, coldStart: Double
        /// Means of seeds 1–5, measured (issue 13's engine).
        let violations: Double, replicaSeconds: Double, events: Double
        /// LOADMODEL.md's "this project today" (the engine before issue 13) and KPA.
        let before: (violations: Double, replicaSeconds: Double)
        let kpa: (violations: Double, replicaSeconds: Double, events: Double)
        /// Which of issue 13's targets this row meets (the others are said in the README, with why).
        let meetsTargets: Bool
    }

    static let rows: [Row] = [
        Row(trace: .spike, coldStart: 10, violations: 16.4, replicaSeconds: 25_609, events: 13.8,
            before: (45, 30_050), kpa: (10, 22_634, 109), meetsTargets: false),
        Row(trace: .spike, coldStart: 120, violations: 126.6, replicaSeconds: 26_593, events: 13.8,
            before: (268, 21_160), kpa: (121, 25_656, 85), meetsTargets: false),
        Row(trace: .diurnal, coldStart: 10, violations: 0, replicaSeconds: 56_630, events: 23.6,
            before: (10, 63_950), kpa: (0, 66_828, 204), meetsTargets: true),
        Row(trace: .diurnal, coldStart: 120, violations: 0, replicaSeconds: 57_707, events: 24.6,
            before: (103, 56_705), kpa: (0, 68_025, 115), meetsTargets: true),
    ]

    @Test(arguments: 0..<4)
    func atLeastAsGoodAsBefore(row index: Int) throws {
        let row = Self.rows[index]
        let (pool, policy) = try standardPool()
        var profile = ServerProfile.h100BERT
        profile.coldStart = row.coldStart
        let settings = SimulationSettings(profile: profile, slo: 0.2, initialReplicas: policy.minReplicas)
        let runs = (1...5 as ClosedRange<UInt64>).map { seed in
            Simulator.run(EngineScaler(pool: pool, policy: policy), trace: row.trace.trace(seed: seed), settings: settings).scores
        }
        func mean(_ f: (Scores) -> Int) -> Double { Double(runs.map(f).reduce(0, +)) / Double(runs.count) }
        let (violations, replicaSeconds, events) = (mean(\.sloViolationSeconds), mean(\.replicaSeconds), mean(\.scaleEvents))
        let label = "\(row.trace.rawValue) \(Int(row.coldStart))s: \(violations) s / \(replicaSeconds) replica-s / \(events) events"
        #expect(violations <= row.violations + 2, "\(label)")
        #expect(replicaSeconds <= row.replicaSeconds * 1.03, "\(label)")
        #expect(events <= row.events + 2, "\(label)")
        #expect(violations < row.before.violations, "\(label): no better than before issue 13")
        if row.meetsTargets {
            #expect(violations <= row.kpa.violations + 5, "\(label)")
            #expect(replicaSeconds <= row.kpa.replicaSeconds, "\(label)")
            #expect(events <= row.kpa.events / 4, "\(label)")
        }
    }
}
