import NameSuggestion

/// The metrics a pool's expressions may name: the built-ins, and the pool's own from `spec.metrics`
/// (its preset's and its custom ones), each with its kind. Expressions are parsed against it, and
/// everything that reads a metric by name (`eipctl reconcile --metrics`, `--static-metrics`, the
/// query overrides) looks names up in it, so a pool's own metric is known wherever a built-in is.
///
/// Names are case-insensitive, as the built-ins' are (`WAITING` is `waiting`); a pool's own names
/// keep the spelling they were declared with.
public struct MetricCatalog: Sendable, Hashable {
    /// The pool's own metrics, in the order declared (a preset's first).
    public let custom: [MetricName]
    private let customByLowercasedName: [String: MetricName]

    /// The built-ins only: a pool that declares nothing.
    public static let builtIn = MetricCatalog(custom: [])

    /// A catalog of the built-ins and `custom`. A later metric of the same name (any case) replaces
    /// an earlier one, so a pool's own definition replaces its preset's; a name that is a built-in's
    /// is left out (validation reports it).
    public init(custom: [MetricName]) {
        var byName: [String: MetricName] = [:]
        var order: [String] = []
        for metric in custom where MetricName(name: metric.rawValue) == nil {
            let key = metric.rawValue.lowercased()
            if byName[key] == nil { order.append(key) }
            byName[key] = metric
        }
        self.custom = order.compactMap { byName[$0] }
        customByLowercasedName = byName
    }

    // Equal catalogs declare the same metrics in the same order (the lookup table follows from them).
    public static func == (a: MetricCatalog, b: MetricCatalog) -> Bool {
        a.custom.count == b.custom.count && zip(a.custom, b.custom).allSatisfy { $0 == $1 && $0.kind == $1.kind }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(custom.count)
        for metric in custom { hasher.combine(metric) }
    }

    /// The metric called `name` (any case), built-in or the pool's own; nil when there is none.
    public func metric(named name: String) -> MetricName? {
        if let builtIn = MetricName(name: name) { return builtIn }
        guard !customByLowercasedName.isEmpty else { return nil }
        return customByLowercasedName[name] ?? customByLowercasedName[name.lowercased()]
    }

    /// Every metric: the built-ins, then the pool's own.
    public var all: [MetricName] { MetricName.builtIns + custom }

    /// The names, for error messages: `P50, P90, …, mean, waiting, kv_cache`.
    public var list: String { all.map(\.rawValue).joined(separator: ", ") }

    /// "unknown metric 'wating'; did you mean 'waiting'?", with the pool's own names among the candidates.
    public func unknownNameMessage(_ name: String) -> String {
        var message = "unknown metric '\(name)'"
        if let guess = NameSuggestion.closest(to: name, in: all.map(\.rawValue)) {
            message += "; did you mean '\(guess)'?"
        } else {
            message += "; known metrics are \(list)"
        }
        return message
    }

    /// Whether `name` can name a metric: a letter or `_` first, then letters, digits, `_` and `.`
    /// (what the expression lexer reads as one name), at most 63 characters; not `and`, `or`, `not`.
    public static func validName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63, !["and", "or", "not"].contains(name.lowercased()) else { return false }
        func letter(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 }
        return letter(first) && bytes.allSatisfy { letter($0) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") }
    }
}
