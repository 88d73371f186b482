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
    /// The built-ins' values, by their index.
    private var builtIn: [Double?]
    /// A pool's own metrics' values, by name (empty for most pools).
    private var custom: [String: Double] = [:]

    /// Values by metric, in canonical units.
    public init(_ pairs: [MetricName: Double] = [:]) {
        builtIn = Array(repeating: nil, count: MetricName.builtIns.count)
        for (name, value) in pairs { self[name] = value }
    }

    /// The value of the built-in in `slot` (its index among ``MetricName/builtIns``).
    @inline(__always)
    func builtIn(_ slot: Int) -> Double? { builtIn[slot] }

    /// Reading gives nil for unknown; NaN and infinities are stored as unknown.
    public subscript(name: MetricName) -> Double? {
        get {
            if let index = name.builtInIndex { return builtIn[index] }
            return custom.isEmpty ? nil : custom[name.rawValue]
        }
        set {
            let value = newValue.flatMap { $0.isFinite ? $0 : nil }
            if let index = name.builtInIndex { builtIn[index] = value } else { custom[name.rawValue] = value }
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
    /// `==` and `!=` stay unknown. Nil for a metric that is not a latency.
    @inline(__always)
    func idleTruth() -> Truth? {
        guard metric.kind == .duration else { return nil }
        switch op {
        case .less, .lessOrEqual: return .true
        case .greater, .greaterOrEqual: return .false
        case .equal, .notEqual: return .unknown
        }
    }
}

extension ThresholdExpression {
    /// Evaluates the expression with three-valued logic; `idle`: the pool served no request, so a
    /// missing latency reads as ``Comparison/idleTruth()`` says.
    public func evaluate(_ values: MetricValues, idle: Bool = false) -> ThresholdEvaluation {
        var results = [Truth](repeating: .unknown, count: comparisons.count)
        var clauses: [ClauseResult] = []
        clauses.reserveCapacity(comparisons.count)
        for i in comparisons.indices {
            let step = steps[i]
            let observed = step.slot >= 0 ? values.builtIn(step.slot) : values[comparisons[i].metric]
            var idleClause = false
            if let observed {
                results[i] = step.op.compare(observed, step.threshold) ? .true : .false
            } else if idle, let truth = comparisons[i].idleTruth() {
                results[i] = truth
                idleClause = true
            }
            clauses.append(ClauseResult(comparison: comparisons[i], observed: observed, result: results[i], idle: idleClause))
        }
        return ThresholdEvaluation(expression: source, result: Self.combine(root, results), clauses: clauses)
    }

    /// Only the result, without building the explanation.
    public func truth(_ values: MetricValues, idle: Bool = false) -> Truth {
        truth(root, values, idle)
    }

    private func truth(_ node: Node, _ values: MetricValues, _ idle: Bool) -> Truth {
        switch node {
        case .comparison(let i):
            let step = steps[i]
            guard let observed = step.slot >= 0 ? values.builtIn(step.slot) : values[comparisons[i].metric] else {
                return idle ? comparisons[i].idleTruth() ?? .unknown : .unknown
            }
            return step.op.compare(observed, step.threshold) ? .true : .false
        case .not(let inner): return !truth(inner, values, idle)
        case .and(let a, let b):
            let left = truth(a, values, idle)
            if left == .false { return .false }
            return left && truth(b, values, idle)
        case .or(let a, let b):
            let left = truth(a, values, idle)
            if left == .true { return .true }
            return left || truth(b, values, idle)
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
