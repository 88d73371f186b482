/// Kleene's three-valued logic: a comparison on a metric with no fresh value is `unknown`.
/// `unknown || true` is true, `unknown && false` is false, anything else with unknown is unknown.
public enum Truth: String, Sendable, Hashable {
    case `true`, `false`, unknown

    public static prefix func ! (t: Truth) -> Truth {
        switch t {
        case .true: return .false
        case .false: return .true
        case .unknown: return .unknown
        }
    }

    public static func && (a: Truth, b: Truth) -> Truth {
        if a == .false || b == .false { return .false }
        if a == .true && b == .true { return .true }
        return .unknown
    }

    public static func || (a: Truth, b: Truth) -> Truth {
        if a == .true || b == .true { return .true }
        if a == .false && b == .false { return .false }
        return .unknown
    }
}

/// The metric values one decision sees, in canonical units; a missing metric is unknown.
public struct MetricValues: Sendable, Hashable {
    private var values: [Double?]

    /// Values by metric, in canonical units.
    public init(_ pairs: [MetricName: Double] = [:]) {
        values = Array(repeating: nil, count: MetricName.allCases.count)
        for (name, value) in pairs { self[name] = value }
    }

    /// Reading gives nil for unknown; NaN and infinities are stored as unknown.
    public subscript(name: MetricName) -> Double? {
        get { values[Self.index(name)] }
        set { values[Self.index(name)] = newValue.flatMap { $0.isFinite ? $0 : nil } }
    }

    @inline(__always)
    static func index(_ name: MetricName) -> Int {
        switch name {
        case .p50: return 0
        case .p90: return 1
        case .p95: return 2
        case .p99: return 3
        case .gpuUtil: return 4
        case .gpuMem: return 5
        case .qps: return 6
        case .queue: return 7
        case .mean: return 8
        }
    }
}

/// The outcome of one comparison, for explanations.
public struct ClauseResult: Sendable, Hashable {
    /// The clause.
    public let comparison: Comparison
    /// The metric's value (canonical unit); nil: unknown.
    public let observed: Double?
    /// The clause's truth.
    public let result: Truth
    /// The metric had no value because the pool served no request (an idle latency), and the
    /// result is the idle reading of the clause.
    public var idle: Bool = false
}

/// The outcome of evaluating an expression, with each comparison's part in it.
public struct ThresholdEvaluation: Sendable, Hashable {
    /// The expression as written.
    public let expression: String
    /// The truth of the whole expression (three-valued).
    public let result: Truth
    /// Each comparison, in the order written.
    public let clauses: [ClauseResult]
}

extension Comparison {
    /// The clause on an idle pool (no request served in the source's window), when its metric has
    /// no value: a latency (any duration per request) is read as low, since nothing waited, so a
    /// clause asking for low latency (`<`, `<=`) holds and one asking for high (`>`, `>=`) does not;
    /// `==` and `!=` stay unknown. Nil for a metric that has a value or is not a latency.
    @inline(__always)
    func idleTruth(valueMissing: Bool) -> Truth? {
        guard valueMissing, metric.kind == .duration else { return nil }
        switch op {
        case .less, .lessOrEqual: return .true
        case .greater, .greaterOrEqual: return .false
        case .equal, .notEqual: return .unknown
        }
    }
}

extension ThresholdExpression {
    /// Evaluates the expression with three-valued logic; `idle`: the pool served no request, so a
    /// missing latency reads as described by ``Comparison/idleTruth(valueMissing:)``.
    public func evaluate(_ values: MetricValues, idle: Bool = false) -> ThresholdEvaluation {
        var results = [Truth](repeating: .unknown, count: comparisons.count)
        var idleClauses = [Bool](repeating: false, count: comparisons.count)
        for (i, c) in comparisons.enumerated() {
            if let observed = values[c.metric] {
                results[i] = c.holds(for: observed) ? .true : .false
            } else if idle, let truth = c.idleTruth(valueMissing: true) {
                results[i] = truth
                idleClauses[i] = true
            }
        }
        let clauses = comparisons.enumerated().map {
            ClauseResult(comparison: $1, observed: values[$1.metric], result: results[$0], idle: idleClauses[$0])
        }
        return ThresholdEvaluation(expression: source, result: Self.combine(root, results), clauses: clauses)
    }

    /// Only the result, without building the explanation.
    public func truth(_ values: MetricValues, idle: Bool = false) -> Truth {
        Self.truth(root, comparisons, values, idle)
    }

    private static func truth(_ node: Node, _ comparisons: [Comparison], _ values: MetricValues, _ idle: Bool) -> Truth {
        switch node {
        case .comparison(let i):
            let c = comparisons[i]
            guard let observed = values[c.metric] else { return idle ? c.idleTruth(valueMissing: true) ?? .unknown : .unknown }
            return c.holds(for: observed) ? .true : .false
        case .not(let inner): return !truth(inner, comparisons, values, idle)
        case .and(let a, let b):
            let left = truth(a, comparisons, values, idle)
            if left == .false { return .false }
            return left && truth(b, comparisons, values, idle)
        case .or(let a, let b):
            let left = truth(a, comparisons, values, idle)
            if left == .true { return .true }
            return left || truth(b, comparisons, values, idle)
        }
    }

    private static func combine(_ node: Node, _ results: [Truth]) -> Truth {
        switch node {
        case .comparison(let i): return results[i]
        case .not(let inner): return !combine(inner, results)
        case .and(let a, let b): return combine(a, results) && combine(b, results)
        case .or(let a, let b): return combine(a, results) || combine(b, results)
        }
    }
}
