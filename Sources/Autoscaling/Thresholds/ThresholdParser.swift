/// Recursive-descent parser for ``ThresholdExpression``.
struct ThresholdParser {
    let source: String
    /// The metrics names may name: the built-ins and the pool's own.
    let catalog: MetricCatalog
    private var tokens: [ThresholdToken] = []
    private var position = 0
    private var comparisons: [Comparison] = []
    private var depth = 0

    init(source: String, catalog: MetricCatalog = .builtIn) {
        self.source = source
        self.catalog = catalog
    }

    private var current: ThresholdToken { tokens[position] }

    private func fail(_ message: String, at column: Int? = nil) -> ThresholdExpressionError {
        ThresholdExpressionError(column: column ?? current.column, message: message)
    }

    mutating func parse() throws(ThresholdExpressionError) -> (ThresholdExpression.Node, [Comparison]) {
        let length = source.unicodeScalars.count
        let limit = ThresholdExpression.maximumLength
        if length > limit {
            throw fail("the expression is \(length) characters long; at most \(limit) are allowed (the CRD's maxLength)", at: limit + 1)
        }
        tokens = try ThresholdLexer.tokens(source)
        if current.kind == .end {
            throw fail("the expression is empty; expected a comparison such as P90>200ms", at: 1)
        }
        let root = try parseOr()
        guard current.kind == .end else {
            if current.kind == .rightParen { throw fail("unmatched ')'") }
            throw fail("expected '&&', '||' or the end of the expression, found \(current.display)")
        }
        return (root, comparisons)
    }

    private mutating func parseOr() throws(ThresholdExpressionError) -> ThresholdExpression.Node {
        var left = try parseAnd()
        while current.kind == .or {
            position += 1
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(ThresholdExpressionError) -> ThresholdExpression.Node {
        var left = try parseUnary()
        while current.kind == .and {
            position += 1
            left = .and(left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws(ThresholdExpressionError) -> ThresholdExpression.Node {
        depth += 1
        defer { depth -= 1 }
        let limit = ThresholdExpression.maximumNesting
        if depth > limit { throw fail("the expression nests more than \(limit) levels deep") }
        switch current.kind {
        case .not:
            position += 1
            return .not(try parseUnary())
        case .leftParen:
            let open = current
            position += 1
            if current.kind == .rightParen { throw fail("expected a comparison inside '()'") }
            let inner = try parseOr()
            guard current.kind == .rightParen else {
                throw fail("expected ')' to close the '(' at column \(open.column), found \(current.display)")
            }
            position += 1
            return inner
        default:
            return try parseComparison()
        }
    }

    private mutating func parseComparison() throws(ThresholdExpressionError) -> ThresholdExpression.Node {
        let nameToken = current
        let metric: MetricName
        switch nameToken.kind {
        case .identifier(let name):
            let lower = name.lowercased()
            if ["and", "or", "not"].contains(lower) {
                let symbol = lower == "and" ? "&&" : lower == "or" ? "||" : "!"
                throw fail("'\(name)' is not an operator here; write '\(symbol)'")
            }
            guard let known = catalog.metric(named: name) else {
                throw fail(catalog.unknownNameMessage(name))
            }
            metric = known
        case .quantity:
            throw fail("expected a metric name before the quantity: write the metric first, as in P90>200ms")
        case .end:
            throw fail("expected a comparison after \(tokens[max(0, position - 1)].display)")
        default:
            throw fail("expected a metric name (\(catalog.list)), found \(nameToken.display)")
        }
        position += 1

        guard case .op(let op) = current.kind else {
            throw fail("expected a comparison operator (<, <=, >, >=, ==, !=) after '\(metric.rawValue)', found \(current.display)")
        }
        let opToken = current
        position += 1

        guard case .quantity(let number, let numberText, let unit) = current.kind else {
            if case .identifier(let word) = current.kind, catalog.metric(named: word) != nil {
                throw fail("expected a quantity after '\(op.rawValue)': comparing two metrics is not supported")
            }
            throw fail("expected a quantity after '\(op.rawValue)'", at: current.kind == .end ? opToken.column + opToken.length : nil)
        }
        switch Quantity.make(number: number, numberText: numberText, unit: unit, for: metric) {
        case .failure(let problem):
            // A unit written after spaces (`85 ms`): a problem with the unit points at the unit.
            let spaces = current.length - numberText.count - unit.count
            throw fail(problem.message, at: current.column + problem.offset + (problem.offset >= numberText.count ? spaces : 0))
        case .success(let quantity):
            position += 1
            comparisons.append(Comparison(metric: metric, op: op, threshold: quantity, column: nameToken.column))
            return .comparison(comparisons.count - 1)
        }
    }
}

extension MetricName {
    /// "unknown metric 'gpu.utl'; did you mean 'gpu.util'?" (among the built-ins; a pool's own
    /// names are suggested by its ``MetricCatalog``).
    public static func unknownNameMessage(_ name: String) -> String {
        MetricCatalog.builtIn.unknownNameMessage(name)
    }
}
