/// Advice on a pair of threshold expressions (SPEC §3). Lints warn; they never reject.
public struct ThresholdLint: Sendable, Hashable, CustomStringConvertible {
    /// Which rule the advice is about.
    public enum Rule: String, Sendable, Hashable {
        case scaleUp = "scaleUpThreshold"
        case scaleDown = "scaleDownThreshold"
    }

    public let rule: Rule
    /// 1-based column in the rule's text, when the advice is about one comparison.
    public let column: Int?
    public let message: String

    public var description: String {
        column.map { "\(rule.rawValue): column \($0): \(message)" } ?? "\(rule.rawValue): \(message)"
    }
}

extension ThresholdLint {
    /// Lints a pool's two rules:
    /// - a scale-up rule that fires on low latency or low load, a scale-down rule that fires on high latency or high load;
    /// - `==`/`!=` on a continuous metric;
    /// - a rule that can never be true, or is true for every value;
    /// - rules that can both be true at once (scale-up then wins; the witness values are named).
    public static func lint(scaleUp: ThresholdExpression, scaleDown: ThresholdExpression) -> [ThresholdLint] {
        var lints: [ThresholdLint] = []
        lints += directionLints(scaleUp, rule: .scaleUp)
        lints += directionLints(scaleDown, rule: .scaleDown)
        let space = CandidateSpace(scaleUp, scaleDown)
        guard let space else {
            return lints  // too many combinations to search; skip the satisfiability lints
        }
        for (expression, rule) in [(scaleUp, ThresholdLint.Rule.scaleUp), (scaleDown, .scaleDown)] {
            if space.first(where: { expression.truth($0) == .true }) == nil {
                lints.append(ThresholdLint(rule: rule, column: nil, message: "can never be true, so it never fires"))
            } else if space.first(where: { expression.truth($0) != .true }) == nil {
                lints.append(ThresholdLint(rule: rule, column: nil, message: "is true for every value, so it always fires"))
            }
        }
        if let witness = space.first(where: { scaleUp.truth($0) == .true && scaleDown.truth($0) == .true }) {
            let metrics = space.metrics.map { "\($0.rawValue)=\(Quantity.format(witness[$0] ?? 0, as: $0.kind))" }
            lints.append(ThresholdLint(
                rule: .scaleDown, column: nil,
                message: "overlaps scaleUpThreshold: both are true when \(metrics.joined(separator: ", ")) (scale-up wins)"))
        }
        return lints
    }

    /// Comparisons whose direction works against their rule, taking `!` into account.
    private static func directionLints(_ expression: ThresholdExpression, rule: Rule) -> [ThresholdLint] {
        var lints: [ThresholdLint] = []
        func written(_ c: Comparison, _ negated: Bool) -> String { negated ? "!(\(c))" : c.description }
        func walk(_ node: ThresholdExpression.Node, negated: Bool) {
            switch node {
            case .not(let inner): walk(inner, negated: !negated)
            case .and(let a, let b), .or(let a, let b):
                walk(a, negated: negated)
                walk(b, negated: negated)
            case .comparison(let index):
                let c = expression.comparisons[index]
                let op = negated ? c.op.negated : c.op
                let what = c.metric.kind == .duration ? "latency" : "load"
                switch op {
                case .equal, .notEqual:
                    lints.append(ThresholdLint(rule: rule, column: c.column, message:
                        "'\(c)' tests a continuous metric for equality, which is almost never exactly true or false; use <, <=, > or >="))
                case .less, .lessOrEqual:
                    if rule == .scaleUp {
                        lints.append(ThresholdLint(rule: rule, column: c.column, message:
                            "fires on low \(what) ('\(written(c, negated))'); scale-up rules usually fire when \(what) is high"))
                    }
                case .greater, .greaterOrEqual:
                    if rule == .scaleDown {
                        lints.append(ThresholdLint(rule: rule, column: c.column, message:
                            "fires on high \(what) ('\(written(c, negated))'); scale-down rules usually fire when \(what) is low"))
                    }
                }
            }
        }
        walk(expression.root, negated: false)
        return lints
    }
}

/// Every combination of representative values for the metrics of two expressions: for each metric,
/// its thresholds, the points between them and one point beyond each end. Any truth assignment the
/// comparisons can take is reached by one of these combinations.
struct CandidateSpace {
    let metrics: [MetricName]
    let candidates: [[Double]]
    static let maximumCombinations = 100_000

    init?(_ expressions: ThresholdExpression...) {
        var thresholds: [MetricName: Set<Double>] = [:]
        for e in expressions { for c in e.comparisons { thresholds[c.metric, default: []].insert(c.threshold.value) } }
        metrics = thresholds.keys.sorted()
        var combinations = 1
        var all: [[Double]] = []
        for metric in metrics {
            let sorted = (thresholds[metric] ?? []).sorted()
            var values: [Double] = []
            if let first = sorted.first, first > 0 { values.append(first / 2) }
            for (i, t) in sorted.enumerated() {
                values.append(t)
                if i + 1 < sorted.count { values.append((t + sorted[i + 1]) / 2) }
            }
            if let last = sorted.last {
                let upper = metric.kind == .fraction ? min(1, last + (1 - last) / 2) : (last > 0 ? last * 2 : 1)
                if upper > last { values.append(upper) }
            }
            all.append(values)
            combinations *= max(values.count, 1)
            if combinations > Self.maximumCombinations { return nil }
        }
        candidates = all
    }

    /// The first combination for which `predicate` holds.
    func first(where predicate: (MetricValues) -> Bool) -> MetricValues? {
        var indices = [Int](repeating: 0, count: metrics.count)
        while true {
            var values = MetricValues()
            for (m, metric) in metrics.enumerated() { values[metric] = candidates[m][indices[m]] }
            if predicate(values) { return values }
            var m = 0
            while m < indices.count {
                indices[m] += 1
                if indices[m] < candidates[m].count { break }
                indices[m] = 0
                m += 1
            }
            if m == indices.count { return nil }
        }
    }
}
