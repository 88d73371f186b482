/// Recursive-descent parser for ``ThresholdExpression``.
struct ThresholdParser {
    let source: String
    private var tokens: [ThresholdToken] = []
    private var position = 0
    private var comparisons: [Comparison] = []
    private var depth = 0

    init(source: String) { self.source = source }

    private var current: ThresholdToken { tokens[position] }

    private func fail(_ message: String, at column: Int? = nil) -> ThresholdExpressionError {
        ThresholdExpressionError(column: column ?? current.column, message: message)
    }

    mutating func parse() throws(ThresholdExpressionError) -> (ThresholdExpression.Node, [Comparison]) {
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
        if depth > 100 { throw fail("the expression nests more than 100 levels deep") }
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
            guard let known = MetricName(name: name) else {
                throw fail(NameSuggestion.unknownMetricMessage(name))
            }
            metric = known
        case .quantity:
            throw fail("expected a metric name before the quantity: write the metric first, as in P90>200ms")
        case .end:
            throw fail("expected a comparison after \(tokens[max(0, position - 1)].display)")
        default:
            throw fail("expected a metric name (\(MetricName.list)), found \(nameToken.display)")
        }
        position += 1

        guard case .op(let op) = current.kind else {
            throw fail("expected a comparison operator (<, <=, >, >=, ==, !=) after '\(metric.rawValue)', found \(current.display)")
        }
        let opToken = current
        position += 1

        guard case .quantity(let number, let numberText, let unit) = current.kind else {
            if case .identifier(let word) = current.kind, MetricName(name: word) != nil {
                throw fail("expected a quantity after '\(op.rawValue)': comparing two metrics is not supported")
            }
            throw fail("expected a quantity after '\(op.rawValue)'", at: current.kind == .end ? opToken.column + opToken.length : nil)
        }
        switch Quantity.make(number: number, numberText: numberText, unit: unit, for: metric) {
        case .failure(let problem):
            throw fail(problem.message, at: current.column + problem.offset)
        case .success(let quantity):
            position += 1
            comparisons.append(Comparison(metric: metric, op: op, threshold: quantity, column: nameToken.column))
            return .comparison(comparisons.count - 1)
        }
    }
}

/// "Did you mean" suggestions for misspelt names.
public enum NameSuggestion {
    /// The closest of `candidates` to `name` within an edit distance of 2 (case-insensitive), if any.
    public static func closest(to name: String, in candidates: [String]) -> String? {
        let lower = Array(name.lowercased())
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(lower, Array(candidate.lowercased()))
            if d <= 2, d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        return best?.0
    }

    static func unknownMetricMessage(_ name: String) -> String {
        var message = "unknown metric '\(name)'"
        if let guess = closest(to: name, in: MetricName.allCases.map(\.rawValue)) {
            message += "; did you mean '\(guess)'?"
        } else {
            message += "; known metrics are \(MetricName.list)"
        }
        return message
    }

    /// Levenshtein distance, with a transposition counting as one edit.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            previous2 = previous
            previous = current
        }
        return previous[b.count]
    }
}
