import Testing
@testable import Autoscaling

/// Numbers as people write them (issue 19 §5): exponents, a space before the unit, both micro signs.
@Suite("Threshold numbers and units as people write them")
struct ThresholdNumberTests {
    @Test(arguments: [
        // exponents, either case, signed or not
        ("qps > 1.5e3", 1500.0), ("qps>1E3", 1000), ("qps>2.5e-1", 0.25), ("qps > 1e+3", 1000),
        ("P90 > 2e2ms", 0.2), ("P90>1.5E-1s", 0.15), ("gpu.util>8.5e1%", 0.85),
        // a space (or several, or a tab) before the unit
        ("gpu.util > 85 %", 0.85), ("P90 > 200 ms", 0.2), ("P90 > 200  s", 200), ("P90>2e2 ms", 0.2), ("P90 > 200\tms", 0.2),
        // both micro signs: U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU, with or without a space
        ("P90>200\u{B5}s", 0.0002), ("P90>200\u{3BC}s", 0.0002), ("P90 > 200 \u{3BC}s", 0.0002), ("P90 > 200 \u{B5}s", 0.0002),
    ])
    func reads(source: String, value: Double) throws {
        let expression = try ThresholdExpression(parsing: source)
        #expect(abs(expression.comparisons[0].threshold.value - value) < 1e-12, "\(source)")
    }

    @Test func theNumberKeepsItsWrittenForm() throws {
        #expect(try ThresholdExpression(parsing: "qps > 1.5e3").comparisons[0].description == "qps>1.5e3")
        #expect(try ThresholdExpression(parsing: "P90 > 200 ms").comparisons[0].description == "P90>200ms")
    }

    @Test(arguments: [
        // the case: an exponent used to be read as the unit 'e'
        ("qps>1e3 && P90 > 2e2ms", nil as Int?, nil as String?),
        // a word after a number stays a word
        ("qps > 5 or gpu.util>1", 9, "expected '&&', '||' or the end of the expression, found 'or'"),
        ("P90 > 200 min", 10, "P90 needs a time unit: write 200ms or 200s"),
        // units after a space are checked as units written against the number, and point at themselves
        ("gpu.util > 85 ms", 15, "'ms' does not fit gpu.util; it takes a percentage (85%) or a fraction from 0 to 1 (0.85)"),
        ("qps > 5 %", 9, "'%' does not fit qps; it takes a bare number of requests per second (as in 100)"),
        // 'e' without digits is a unit, and says so
        ("qps>5e", 6, "'e' does not fit qps; it takes a bare number of requests per second (as in 100)"),
        ("qps>1e400", 5, "'1e400' is too large a number"),
        ("P90>1e3%", 8, "'%' is not a time unit for P90; use us, ms or s"),
    ])
    func errors(source: String, column: Int?, message: String?) {
        do {
            _ = try ThresholdExpression(parsing: source)
            #expect(message == nil, "\(source) parsed")
        } catch {
            #expect(error.column == column, "\(source): \(error)")
            #expect(error.message == message, "\(source): \(error)")
        }
    }

    @Test(arguments: [("1.5e3", 1500.0), ("200 ms", 0.2), ("2e2ms", 0.2), ("85 %", 0.85), ("200\u{3BC}s", 0.0002)])
    func commandLineQuantitiesReadTheSame(text: String, value: Double) throws {
        let metric: MetricName = text.hasSuffix("%") ? .gpuUtil : (text.hasSuffix("s") ? .p90 : .qps)
        #expect(abs(try Quantity.parse(text, for: metric).get().value - value) < 1e-12)
    }
}
