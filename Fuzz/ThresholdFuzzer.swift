// libFuzzer entry point for threshold expressions (`make fuzz`). Built with
// `swiftc -sanitize=fuzzer,address` together with Sources/Autoscaling/Thresholds (see
// scripts/fuzz.sh). The input's first line is a scale-up rule, the rest a scale-down rule. Any
// crash, hang or memory error is a bug; so is an expression whose two evaluations (with and without
// the explanation) disagree, or whose grouped form reads back as a different expression (when it is
// within the length limit: the parentheses it adds can take 1,024 characters past it).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzThresholds(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    let text = String(decoding: bytes, as: UTF8.self)
    let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    let up = try? ThresholdExpression(parsing: parts[0])
    let down = parts.count > 1 ? try? ThresholdExpression(parsing: parts[1]) : nil
    // Metric values: none known, all zero, all large, and one set drawn from the input's bytes.
    var drawn = MetricValues()
    for (i, metric) in MetricName.allCases.enumerated() where i < bytes.count && bytes[i] % 4 != 0 {
        drawn[metric] = Double(bytes[i]) / 100
    }
    let samples = [MetricValues(), MetricValues(Dictionary(uniqueKeysWithValues: MetricName.allCases.map { ($0, 0) })),
                   MetricValues(Dictionary(uniqueKeysWithValues: MetricName.allCases.map { ($0, 1e9) })), drawn]
    for expression in [up, down].compactMap({ $0 }) {
        var regrouped: ThresholdExpression?
        if expression.grouped.unicodeScalars.count <= ThresholdExpression.maximumLength {
            do {
                regrouped = try ThresholdExpression(parsing: expression.grouped)
            } catch {
                fatalError("the grouped form does not parse: \(error)\n--- source\n\(expression.source)\n--- grouped\n\(expression.grouped)")
            }
            if regrouped?.grouped != expression.grouped {
                fatalError("the grouped form reads back differently\n--- grouped\n\(expression.grouped)\n--- then\n\(regrouped?.grouped ?? "")")
            }
        }
        for values in samples {
            let truth = expression.truth(values)
            let evaluation = expression.evaluate(values)
            if truth != evaluation.result || (regrouped.map { $0.truth(values) != truth } ?? false) {
                fatalError("evaluations disagree on \(expression.source): \(truth) \(evaluation.result)")
            }
        }
    }
    if let up, let down {
        _ = ThresholdLint.lint(scaleUp: up, scaleDown: down)
    }
    return 0
}
