import Testing
@testable import Autoscaling

@Suite("Threshold grammar: every rule")
struct ThresholdGrammarTests {
    @Test(arguments: [
        // comparison, each operator
        ("P90>200ms", "P90>200ms"),
        ("P90<200ms", "P90<200ms"),
        ("P90>=200ms", "P90>=200ms"),
        ("P90<=200ms", "P90<=200ms"),
        ("P90==200ms", "P90==200ms"),
        ("P90!=200ms", "P90!=200ms"),
        // whitespace is free, names are case-insensitive
        ("  p90 >   0.2s  ", "P90>0.2s"),
        ("GPU.UTIL>85%", "gpu.util>85%"),
        // every metric
        ("P50>1ms", "P50>1ms"), ("P95>1ms", "P95>1ms"), ("P99>1s", "P99>1s"),
        ("gpu.mem>0.9", "gpu.mem>0.9"), ("qps>100", "qps>100"), ("queue>50ms", "queue>50ms"),
        // && binds tighter than ||
        ("P90>1s || qps>1 && gpu.util>50%", "(P90>1s || (qps>1 && gpu.util>50%))"),
        ("qps>1 && gpu.util>50% || P90>1s", "((qps>1 && gpu.util>50%) || P90>1s)"),
        // left associativity
        ("qps>1 || qps>2 || qps>3", "((qps>1 || qps>2) || qps>3)"),
        ("qps>1 && qps>2 && qps>3", "((qps>1 && qps>2) && qps>3)"),
        // parentheses override
        ("(P90>1s || qps>1) && gpu.util>50%", "((P90>1s || qps>1) && gpu.util>50%)"),
        // negation, nested
        ("!(P99<1s) && (qps>100 || queue>50ms)", "(!P99<1s && (qps>100 || queue>50ms))"),
        ("!!qps>1", "!!qps>1"),
        ("((((qps>1))))", "qps>1"),
    ])
    func parses(source: String, grouped: String) throws {
        let expression = try ThresholdExpression(parsing: source)
        #expect(expression.grouped == grouped)
        #expect(expression.source == source)
    }

    @Test(arguments: [
        ("P90>200us", 0.0002), ("P90>200µs", 0.0002), ("P90>200ms", 0.2), ("P90>1.5s", 1.5), ("P90>.5s", 0.5),
        ("gpu.util>85%", 0.85), ("gpu.util>0.85", 0.85), ("gpu.util>100%", 1.0), ("gpu.util>0%", 0.0), ("gpu.util>1", 1.0),
        ("qps>1500", 1500), ("qps>0.5", 0.5), ("queue>20ms", 0.02),
    ])
    func unitsConvertToCanonicalValues(source: String, value: Double) throws {
        let expression = try ThresholdExpression(parsing: source)
        #expect(abs(expression.comparisons[0].threshold.value - value) < 1e-12)
    }

    @Test func comparisonsKeepTheirColumns() throws {
        let e = try ThresholdExpression(parsing: "P90>200ms || gpu.util>85%")
        #expect(e.comparisons.map(\.column) == [1, 14])
        #expect(e.metrics == [.p90, .gpuUtil])
    }
}

@Suite("Threshold errors: every message, with its column")
struct ThresholdErrorTests {
    @Test(arguments: [
        // empty and structure
        ("", 1, "the expression is empty; expected a comparison such as P90>200ms"),
        ("   ", 1, "the expression is empty; expected a comparison such as P90>200ms"),
        ("P90>", 5, "expected a quantity after '>'"),
        ("P90 > ", 6, "expected a quantity after '>'"),
        ("P90 > ||", 7, "expected a quantity after '>'"),
        ("P90 200ms", 5, "expected a comparison operator (<, <=, >, >=, ==, !=) after 'P90', found '200ms'"),
        ("P90", 4, "expected a comparison operator (<, <=, >, >=, ==, !=) after 'P90', found the end of the expression"),
        ("200ms < P90", 1, "expected a metric name before the quantity: write the metric first, as in P90>200ms"),
        ("P90>1s ||", 10, "expected a comparison after '||'"),
        ("P90>1s && && qps>1", 11, "expected a metric name (P50, P90, P95, P99, gpu.util, gpu.mem, qps, queue, mean), found '&&'"),
        ("P90>1s qps>1", 8, "expected '&&', '||' or the end of the expression, found 'qps'"),
        ("(P90>1s", 8, "expected ')' to close the '(' at column 1, found the end of the expression"),
        ("P90>1s)", 7, "unmatched ')'"),
        ("()", 2, "expected a comparison inside '()'"),
        ("P90 > P99", 7, "expected a quantity after '>': comparing two metrics is not supported"),
        // operators
        ("P90=200ms", 4, "expected '==' (a single '=' is not an operator)"),
        ("P90>1s & qps>1", 8, "expected '&&' (a single '&' is not an operator)"),
        ("P90>1s | qps>1", 8, "expected '||' (a single '|' is not an operator)"),
        ("P90>1s and qps>1", 8, "expected '&&', '||' or the end of the expression, found 'and'"),
        ("not P90>1s", 1, "'not' is not an operator here; write '!'"),
        ("P90 => 1s", 5, "expected '==' (a single '=' is not an operator)"),
        // characters and numbers
        ("P90>1s; qps>1", 7, "unexpected character ';'"),
        ("P90>-1ms", 5, "negative quantities are not allowed: no metric is ever below zero"),
        ("qps>1+2", 6, "unexpected '+'; arithmetic is not part of threshold expressions"),
        ("P90>1.ms", 7, "expected a digit after the decimal point"),
        // metrics
        ("gpu.utl>85%", 1, "unknown metric 'gpu.utl'; did you mean 'gpu.util'?"),
        ("P9>200ms", 1, "unknown metric 'P9'; did you mean 'P90'?"),
        ("latency>200ms", 1, "unknown metric 'latency'; known metrics are P50, P90, P95, P99, gpu.util, gpu.mem, qps, queue, mean"),
        // units
        ("P90>200", 8, "P90 needs a time unit: write 200ms or 200s"),
        ("P90>200%", 8, "'%' is not a time unit for P90; use us, ms or s"),
        ("P90>200min", 8, "'min' is not a time unit for P90; use us, ms or s"),
        ("gpu.util>85", 10, "gpu.util takes a percentage or a fraction from 0 to 1; did you mean 85%?"),
        ("gpu.util>120%", 10, "gpu.util is at most 100%, not 120%"),
        ("gpu.util>85ms", 12, "'ms' does not fit gpu.util; it takes a percentage (85%) or a fraction from 0 to 1 (0.85)"),
        ("qps>100ms", 8, "'ms' does not fit qps; it takes a bare number of requests per second (as in 100)"),
        ("queue>5", 8, "queue needs a time unit: write 5ms or 5s"),
    ])
    func error(source: String, column: Int, message: String) {
        let error = #expect(throws: ThresholdExpressionError.self) { try ThresholdExpression(parsing: source) }
        #expect(error?.column == column, "\(error?.description ?? "no error")")
        #expect(error?.message == message, "\(error?.description ?? "no error")")
    }

    @Test func errorDescriptionFollowsTheSpecFormat() {
        let error = #expect(throws: ThresholdExpressionError.self) { try ThresholdExpression(parsing: "P90<200ms && gpu.util>") }
        #expect(error?.description == "column 23: expected a quantity after '>'")
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let source = String(repeating: "(", count: 500) + "qps>1" + String(repeating: ")", count: 500)
        let error = #expect(throws: ThresholdExpressionError.self) { try ThresholdExpression(parsing: source) }
        #expect(error?.message.contains("nests more than 100 levels") == true)
        let notNot = String(repeating: "!", count: 101) + "qps>1"
        #expect((#expect(throws: ThresholdExpressionError.self) { try ThresholdExpression(parsing: notNot) })?.column == 101)
        #expect(throws: Never.self) { try ThresholdExpression(parsing: String(repeating: "!", count: 99) + "qps>1") }
    }

    /// The issue's case: ~88 KB of `&&`-joined comparisons, read by `eipctl validate` from a file,
    /// made a left-deep tree that overflowed a 1 MB stack when evaluated. Now it is refused at once.
    @Test func aGeneratedExpressionOfEightyEightKilobytesIsRefused() {
        let source = Array(repeating: "P90>200ms", count: 7_400).joined(separator: " && ")
        #expect(source.utf8.count > 88_000)
        let error = #expect(throws: ThresholdExpressionError.self) { try ThresholdExpression(parsing: source) }
        #expect(error?.column == 1025)
        #expect(error?.message == "the expression is \(source.count) characters long; at most 1024 are allowed (the CRD's maxLength)")
    }

    /// The longest expression allowed is the deepest tree there can be (146 comparisons), and it
    /// parses, evaluates, lints and prints; one more character is refused at column 1025.
    @Test func theLongestExpressionAllowedWorksThroughout() throws {
        var source = "qps>1" + String(repeating: "&&qps>1", count: 145)
        source += String(repeating: " ", count: 1024 - source.count)
        #expect(source.count == 1024)
        let expression = try ThresholdExpression(parsing: source)
        #expect(expression.comparisons.count == 146)
        #expect(expression.truth(MetricValues([.qps: 2])) == .true)
        #expect(expression.evaluate(MetricValues([.qps: 0])).result == .false)
        #expect(expression.grouped.hasPrefix(String(repeating: "(", count: 145)))
        let lints = ThresholdLint.lint(scaleUp: expression, scaleDown: try ThresholdExpression(parsing: "qps<2"))
        #expect(lints.map(\.message) == ["overlaps scaleUpThreshold: both are true when qps=1.5 (scale-up wins)"])
        let error = #expect(throws: ThresholdExpressionError.self) { try ThresholdExpression(parsing: source + " ") }
        #expect(error?.column == 1025)
        // Characters, not bytes: 1,024 'µ'-bearing characters are within the limit.
        let micro = Array(repeating: "P90>1µs", count: 114).joined(separator: "||")
        #expect(micro.unicodeScalars.count == 1024 && micro.utf8.count > 1024)
        #expect(throws: Never.self) { try ThresholdExpression(parsing: micro) }
    }

    @Test func aNumberTooLargeForADoubleIsRefused() {
        let error = #expect(throws: ThresholdExpressionError.self) { try ThresholdExpression(parsing: "qps>" + String(repeating: "9", count: 400)) }
        #expect(error?.column == 5)
        #expect(error?.message.hasSuffix("is too large a number") == true)
    }
}
