import Foundation
import TestSupport
import Testing
@testable import Autoscaling

/// The corpus `make fuzz` grew for the threshold harness (Fuzz/Corpus/threshold, minimized),
/// replayed with the harness's checks: the first line is a scale-up rule, the rest a scale-down
/// rule; what parses reads back from its grouped form, both evaluations agree, and lints run.
@Suite("Threshold fuzz corpus")
struct ThresholdFuzzCorpusTests {
    @Test func everyExpressionRegroupsEvaluatesAndLints() throws {
        let corpus = try fuzzCorpus("threshold")
        #expect(!corpus.isEmpty)
        let samples = [MetricValues(), MetricValues(Dictionary(uniqueKeysWithValues: MetricName.allCases.map { ($0, 0.5) }))]
        var parsed = 0
        for (file, text) in corpus {
            let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let expressions = parts.map { try? ThresholdExpression(parsing: $0) }
            for case let expression? in expressions {
                parsed += 1
                for values in samples {
                    #expect(expression.truth(values) == expression.evaluate(values).result, "\(file)")
                }
                guard expression.grouped.unicodeScalars.count <= ThresholdExpression.maximumLength else { continue }
                let regrouped = try ThresholdExpression(parsing: expression.grouped)
                #expect(regrouped.grouped == expression.grouped, "\(file)")
                for values in samples { #expect(regrouped.truth(values) == expression.truth(values), "\(file)") }
            }
            if expressions.count == 2, let up = expressions[0], let down = expressions[1] {
                _ = ThresholdLint.lint(scaleUp: up, scaleDown: down)
            }
        }
        #expect(parsed > 0)
    }

    /// Fuzzing finding: the grouped form adds parentheses, so an expression within the 1,024-character
    /// limit can group to more than it (1,076 here) and cannot be read back. It is for display only;
    /// the expression itself parses, evaluates and lints.
    @Test func aGroupedFormMayBeLongerThanTheLimit() throws {
        let source = "gpu.mem<=0.9 && P50!=1us" + String(repeating: " && P99==9444222s &&!P99==94224424722111s", count: 24)
        #expect(source.count <= ThresholdExpression.maximumLength)
        let expression = try ThresholdExpression(parsing: source)
        #expect(expression.grouped.count > ThresholdExpression.maximumLength)
        #expect(throws: ThresholdExpressionError.self) { try ThresholdExpression(parsing: expression.grouped) }
        #expect(expression.truth(MetricValues([.gpuMem: 0.5, .p50: 0.001, .p99: 1])) == .false)
        #expect(expression.evaluate(MetricValues()).result == .unknown)
    }
}
