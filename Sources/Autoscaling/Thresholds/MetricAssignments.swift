/// Metric values written as `NAME=QUANTITY,…` (`P90=250ms,gpu.util=91%,waiting=12`): what
/// `eipctl reconcile --dry-run --metrics` and `eip-operator --static-metrics` take. Names are looked
/// up in a pool's ``MetricCatalog`` (its own metrics too), quantities read as in expressions.
public enum MetricAssignments {
    /// Why a list cannot be read: the message names the part at fault.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The `NAME=VALUE` pairs of `text`, trimmed, in order.
    public static func pairs(_ text: String) -> Result<[(name: String, value: String)], Problem> {
        var result: [(name: String, value: String)] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace }
            guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else {
                return .failure(Problem("expected NAME=VALUE, as in P90=250ms, not '\(part)'"))
            }
            result.append((pair[0], pair[1]))
        }
        return .success(result)
    }

    /// The values of `text` in canonical units, by metric of `catalog`: an unknown name gets a
    /// suggestion, a quantity that does not fit its metric says why, a name given twice is an error.
    public static func parse(_ text: String, catalog: MetricCatalog) -> Result<[MetricName: Double], Problem> {
        let pairs: [(name: String, value: String)]
        switch self.pairs(text) {
        case .failure(let problem): return .failure(problem)
        case .success(let found): pairs = found
        }
        var values: [MetricName: Double] = [:]
        for (name, text) in pairs {
            guard let metric = catalog.metric(named: name) else { return .failure(Problem(catalog.unknownNameMessage(name))) }
            switch Quantity.parse(text, for: metric) {
            case .failure(let problem): return .failure(Problem("\(metric.rawValue)=\(text): \(problem.message)"))
            case .success(let quantity):
                if values[metric] != nil { return .failure(Problem("\(metric.rawValue) is given twice")) }
                values[metric] = quantity.value
            }
        }
        return .success(values)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(scalars[first...last])
    }
}
