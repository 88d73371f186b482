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
        let directory = repositoryRoot + "/Fuzz/Corpus/threshold"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(!files.isEmpty)
        let samples = [MetricValues(), MetricValues(Dictionary(uniqueKeysWithValues: MetricName.allCases.map { ($0, 0.5) }))]
        var parsed = 0
        for file in files {
            let text = String(decoding: try #require(FileManager.default.contents(atPath: directory + "/" + file)), as: UTF8.self)
            let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let expressions = parts.map { try? ThresholdExpression(parsing: $0) }
            for case let expression? in expressions {
                parsed += 1
                let regrouped = try ThresholdExpression(parsing: expression.grouped)
                #expect(regrouped.grouped == expression.grouped, "\(file)")
                for values in samples {
                    #expect(expression.truth(values) == expression.evaluate(values).result, "\(file)")
                    #expect(regrouped.truth(values) == expression.truth(values), "\(file)")
                }
            }
            if expressions.count == 2, let up = expressions[0], let down = expressions[1] {
                _ = ThresholdLint.lint(scaleUp: up, scaleDown: down)
            }
        }
        #expect(parsed > 0)
    }
}
