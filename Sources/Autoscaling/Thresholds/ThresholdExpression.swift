/// A parsed threshold expression such as `P90>200ms || gpu.util>=85%` (SPEC §3).
///
/// Grammar (`&&` binds tighter than `||`; whitespace is free):
/// ```
/// expression := or
/// or         := and ( "||" and )*
/// and        := unary ( "&&" unary )*
/// unary      := "!" unary | "(" or ")" | comparison
/// comparison := metric ( "<" | "<=" | ">" | ">=" | "==" | "!=" ) quantity
/// ```
/// At most ``maximumLength`` characters and ``maximumNesting`` levels of `!` and `(`; longer or
/// deeper text is an error, never a deep recursion (`eipctl validate` and the dry run read files
/// that never went through the CRD's own limit).
/// Parse with ``init(parsing:)``; evaluate with ``evaluate(_:)``.
public struct ThresholdExpression: Sendable, Hashable {
    /// The longest expression, in characters (Unicode scalars, as Kubernetes counts `maxLength`):
    /// the CRD's `maxLength` for `scaleUpThreshold` and `scaleDownThreshold`, so that what the API
    /// server would refuse is refused offline too. It also bounds the syntax tree: at 7 characters
    /// for the shortest `&&`-joined comparison (`qps>1&&`), no tree is deeper than ~250 levels.
    public static let maximumLength = 1024
    /// The deepest nesting of `!` and parentheses.
    public static let maximumNesting = 100

    /// The text as written.
    public let source: String
    /// The syntax tree.
    public let root: Node
    /// Every comparison, in the order written.
    public let comparisons: [Comparison]
    /// What evaluation reads of each comparison, without copying it: the built-in metric's slot in
    /// ``MetricValues`` (-1 for a pool's own metric), the operator and the threshold.
    let steps: [Step]

    /// One comparison as evaluation reads it.
    struct Step: Sendable, Hashable {
        let slot: Int
        let op: ComparisonOperator
        let threshold: Double
    }

    /// A node of the syntax tree.
    public indirect enum Node: Sendable, Hashable {
        case comparison(Int)  // index into `comparisons`
        case not(Node)
        case and(Node, Node)
        case or(Node, Node)
    }

    /// Parses `source`; the error names the column and what was expected.
    /// - Parameter catalog: the metrics names may name (default: the built-ins); a pool's own
    ///   metrics come from its `spec.metrics` (``MetricsSourceSpec/catalog``).
    public init(parsing source: String, catalog: MetricCatalog = .builtIn) throws(ThresholdExpressionError) {
        var parser = ThresholdParser(source: source, catalog: catalog)
        let (root, comparisons) = try parser.parse()
        self.source = source
        self.root = root
        self.comparisons = comparisons
        steps = comparisons.map { Step(slot: $0.metric.builtInIndex ?? -1, op: $0.op, threshold: $0.threshold.value) }
    }

    /// The metrics the expression reads, without repeats, in the order first written.
    public var metrics: [MetricName] {
        var seen: [MetricName] = []
        for c in comparisons where !seen.contains(c.metric) { seen.append(c.metric) }
        return seen
    }
}

/// One `metric OP quantity` comparison.
public struct Comparison: Sendable, Hashable, CustomStringConvertible {
    public let metric: MetricName
    public let op: ComparisonOperator
    public let threshold: Quantity
    /// 1-based column of the metric name in the expression.
    public let column: Int

    /// The comparison as written, normalised: `P90>200ms`.
    public var description: String { "\(metric.rawValue)\(op.rawValue)\(threshold.text)" }

    /// Compares an observed value (canonical unit) with the threshold.
    @inline(__always)
    public func holds(for observed: Double) -> Bool {
        op.compare(observed, threshold.value)
    }
}

/// The comparison operators.
public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

    @inline(__always)
    func compare(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        case .equal: return a == b
        case .notEqual: return a != b
        }
    }

    /// The operator that holds exactly when this one does not.
    var negated: ComparisonOperator {
        switch self {
        case .less: return .greaterOrEqual
        case .lessOrEqual: return .greater
        case .greater: return .lessOrEqual
        case .greaterOrEqual: return .less
        case .equal: return .notEqual
        case .notEqual: return .equal
        }
    }
}

/// Why an expression could not be parsed: the 1-based column and what was expected there.
public struct ThresholdExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let column: Int
    public let message: String

    public init(column: Int, message: String) {
        self.column = column
        self.message = message
    }

    /// `column 9: expected a quantity after '>'`.
    public var description: String { "column \(column): \(message)" }
}

extension ThresholdExpression {
    /// The expression fully parenthesised, showing how it was grouped: `(P90>200ms || (qps>1 && !(P99<1s)))`.
    public var grouped: String { Self.grouped(root, comparisons) }

    private static func grouped(_ node: Node, _ comparisons: [Comparison]) -> String {
        switch node {
        case .comparison(let i): return comparisons[i].description
        case .not(let inner): return "!\(grouped(inner, comparisons))"
        case .and(let a, let b): return "(\(grouped(a, comparisons)) && \(grouped(b, comparisons)))"
        case .or(let a, let b): return "(\(grouped(a, comparisons)) || \(grouped(b, comparisons)))"
        }
    }
}
