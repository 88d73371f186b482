/// A metric a threshold expression can compare (SPEC §3): one of the built-ins (`P90`, `gpu.util`,
/// …) or one a pool declares in `spec.metrics` (`waiting`, `kv_cache`: a preset's or its own),
/// with the kind of quantity it is, which decides the units it takes.
///
/// One word: a built-in is its index (copied and compared as an enum case is), a pool's own a
/// reference to its declaration (compared by name). So a metric keys dictionaries
/// (``MetricSample/readings``) and lookups (``MetricValues``) as cheaply as an enum, and evaluating
/// an expression of built-ins costs what it did when they were one. A pool's own metric is made
/// from its declaration (``custom(_:kind:)``); expressions and command lines find it through the
/// pool's ``MetricCatalog``.
public struct MetricName: Sendable, Hashable, Comparable, CustomStringConvertible {
    private enum Storage: Sendable {
        case builtIn(UInt8)
        case custom(Declared)
    }

    /// A pool's own metric, as declared.
    private final class Declared: Sendable {
        let name: String
        let kind: MetricKind
        init(name: String, kind: MetricKind) {
            self.name = name
            self.kind = kind
        }
    }

    private let storage: Storage

    private init(_ storage: Storage) { self.storage = storage }

    /// Request latency percentiles, across the pool.
    public static var p50: MetricName { MetricName(.builtIn(0)) }
    public static var p90: MetricName { MetricName(.builtIn(1)) }
    public static var p95: MetricName { MetricName(.builtIn(2)) }
    public static var p99: MetricName { MetricName(.builtIn(3)) }
    /// GPU utilisation averaged across the pool's GPUs, a fraction 0–1.
    public static var gpuUtil: MetricName { MetricName(.builtIn(4)) }
    /// Fraction of GPU memory in use, averaged across the pool's GPUs, 0–1.
    public static var gpuMem: MetricName { MetricName(.builtIn(5)) }
    /// Requests per second served by the whole pool.
    public static var qps: MetricName { MetricName(.builtIn(6)) }
    /// Mean time a request waits in the server's queue (Triton's `nv_inference_queue_duration_us`
    /// over its request count): a mean, because Triton exports no queue-time percentiles.
    public static var queue: MetricName { MetricName(.builtIn(7)) }
    /// Mean request latency across the pool: the growth of a cumulative duration counter over the
    /// growth of the request counter (Triton's default `nv_inference_request_duration_us` over
    /// `nv_inference_request_success`), for servers that export no latency histogram or summary.
    /// A mean, not a percentile: it hides the tail, so P90 stays unknown rather than borrowing it.
    public static var mean: MetricName { MetricName(.builtIn(8)) }

    /// The built-in metrics, in their order (status, lists, messages).
    public static let builtIns: [MetricName] = (0..<9).map { MetricName(.builtIn(UInt8($0))) }
    /// The built-in metrics (the name they had when they were the only ones).
    public static var allCases: [MetricName] { builtIns }

    /// A metric a pool declares (`spec.metrics.custom`, or its preset's), of the given kind. Its name
    /// is checked where it is declared (``MetricCatalog/validName(_:)``).
    public static func custom(_ name: String, kind: MetricKind) -> MetricName {
        MetricName(.custom(Declared(name: name, kind: kind)))
    }

    /// The name as written in expressions and shown everywhere: `P90`, `gpu.util`, `waiting`.
    public var rawValue: String {
        switch storage {
        case .builtIn(let index): return Self.builtInNames[Int(index)]
        case .custom(let declared): return declared.name
        }
    }

    /// What kind of quantity the metric is, which decides the units it takes.
    public var kind: MetricKind {
        switch storage {
        case .builtIn(0...3), .builtIn(7), .builtIn(8): return .duration
        case .builtIn(4), .builtIn(5): return .fraction
        case .builtIn: return .rate
        case .custom(let declared): return declared.kind
        }
    }

    /// The position among the built-ins (``builtIns``); nil for a pool's own metric.
    var builtInIndex: Int? {
        if case .builtIn(let index) = storage { return Int(index) }
        return nil
    }

    private static let builtInNames = ["P50", "P90", "P95", "P99", "gpu.util", "gpu.mem", "qps", "queue", "mean"]

    /// A built-in metric by name; names are case-insensitive: `p90`, `P90`, `GPU.util`. A pool's own
    /// metrics are found through its ``MetricCatalog``.
    public init?(name: String) {
        guard let match = Self.byLowercasedName[name] ?? Self.byLowercasedName[name.lowercased()] else { return nil }
        self = match
    }

    private static let byLowercasedName: [String: MetricName] = Dictionary(
        uniqueKeysWithValues: builtIns.map { ($0.rawValue.lowercased(), $0) })

    /// True for the built-ins, false for a pool's own metrics.
    public var isBuiltIn: Bool { builtInIndex != nil }

    public static func == (a: MetricName, b: MetricName) -> Bool {
        switch (a.storage, b.storage) {
        case (.builtIn(let x), .builtIn(let y)): return x == y
        case (.custom(let x), .custom(let y)): return x === y || x.name == y.name
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch storage {
        case .builtIn(let index): hasher.combine(index)
        case .custom(let declared): hasher.combine(declared.name)
        }
    }

    /// Built-ins first, in their order; then a pool's own, by name.
    public static func < (a: MetricName, b: MetricName) -> Bool {
        switch (a.builtInIndex, b.builtInIndex) {
        case (let x?, let y?): return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a.rawValue < b.rawValue
        }
    }

    public var description: String { rawValue }

    /// The key of the metric in `status.observed`: camel case for the built-ins (`p90`, `gpuUtil`);
    /// a pool's own metrics are under `status.observed.custom`, by their names.
    public var statusKey: String {
        guard let builtInIndex else { return rawValue }
        return Self.statusKeys[builtInIndex]
    }

    private static let statusKeys = ["p50", "p90", "p95", "p99", "gpuUtil", "gpuMem", "qps", "queue", "mean"]

    /// The built-in names, for error messages.
    public static let list = builtIns.map(\.rawValue).joined(separator: ", ")
}

/// The kinds of quantity, each with its units.
public enum MetricKind: Sendable, Hashable {
    /// A time: `us` (or `µs`, either micro sign), `ms` or `s` is required. Stored in seconds.
    case duration
    /// A share: a percentage (`85%`) or a bare fraction from 0 to 1 (`0.85`). Stored as a fraction.
    case fraction
    /// Requests per second: a bare number.
    case rate
    /// How many of something there are now (requests waiting, requests running): a bare number.
    case count

    var unitHelp: String {
        switch self {
        case .duration: return "a time with a unit: us, ms or s (as in 200ms)"
        case .fraction: return "a percentage (85%) or a fraction from 0 to 1 (0.85)"
        case .rate: return "a bare number of requests per second (as in 100)"
        case .count: return "a bare count (as in 8)"
        }
    }
}

/// A number with its unit, as written in an expression or on the command line, and its value in
/// the metric's canonical unit (seconds, fraction, requests per second).
public struct Quantity: Sendable, Hashable {
    /// The value in the metric's canonical unit.
    public let value: Double
    /// As written: `200ms`, `85%`.
    public let text: String

    /// Why a quantity does not fit a metric. `offset` is 0-based within the quantity's text.
    public struct Problem: Error, Sendable, Equatable {
        /// What is wrong.
        public let message: String
        /// Where, 0-based within the quantity's text.
        public let offset: Int
    }

    /// Reads `number` and `unit` (as split by the lexer) for `metric`.
    public static func make(number: Double, numberText: String, unit: String, for metric: MetricName) -> Result<Quantity, Problem> {
        let text = numberText + unit
        let name = metric.rawValue
        switch metric.kind {
        case .duration:
            let scale: Double
            switch unit {
            case "us", "\u{B5}s", "\u{3BC}s": scale = 1e-6  // both micro signs: µ (U+00B5) and μ (U+03BC)
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "":
                return .failure(Problem(message: "\(name) needs a time unit: write \(numberText)ms or \(numberText)s", offset: numberText.count))
            default:
                return .failure(Problem(message: "'\(unit)' is not a time unit for \(name); use us, ms or s", offset: numberText.count))
            }
            return .success(Quantity(value: number * scale, text: text))
        case .fraction:
            switch unit {
            case "%":
                guard number <= 100 else {
                    return .failure(Problem(message: "\(name) is at most 100%, not \(text)", offset: 0))
                }
                return .success(Quantity(value: number / 100, text: text))
            case "":
                guard number <= 1 else {
                    return .failure(Problem(message: "\(name) takes a percentage or a fraction from 0 to 1; did you mean \(numberText)%?", offset: 0))
                }
                return .success(Quantity(value: number, text: text))
            default:
                return .failure(Problem(message: "'\(unit)' does not fit \(name); it takes \(metric.kind.unitHelp)", offset: numberText.count))
            }
        case .rate, .count:
            guard unit.isEmpty else {
                return .failure(Problem(message: "'\(unit)' does not fit \(name); it takes \(metric.kind.unitHelp)", offset: numberText.count))
            }
            return .success(Quantity(value: number, text: text))
        }
    }

    /// A canonical value written for people: `250ms`, `1.5s`, `91%`, `120.5`.
    public static func format(_ value: Double, as kind: MetricKind) -> String {
        guard value.isFinite else { return "NaN" }
        switch kind {
        case .duration:
            if value == 0 { return "0s" }
            if abs(value) < 1e-3 { return trimmed(value * 1e6) + "us" }
            if abs(value) < 1 { return trimmed(value * 1e3) + "ms" }
            return trimmed(value) + "s"
        case .fraction:
            return trimmed(value * 100) + "%"
        case .rate, .count:
            return trimmed(value)
        }
    }

    /// Up to three decimals, no trailing zeros.
    static func trimmed(_ v: Double) -> String {
        let rounded = (v * 1000).rounded() / 1000
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int(rounded)) }
        var s = String(rounded)
        if s.contains("e") { return s }
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }
}

extension Quantity {
    /// Reads a quantity written as in expressions (`250ms`, `91%`, `0.4`, `120`, `1.5e3`, `200 ms`)
    /// for `metric`: the number and unit are read by the expression lexer, so a command line and
    /// an expression take the same numbers.
    public static func parse(_ text: String, for metric: MetricName) -> Result<Quantity, Problem> {
        let notAQuantity = Problem(message: "'\(text)' is not a quantity; write a number and, for \(metric.rawValue), \(metric.kind.unitHelp)", offset: 0)
        guard let tokens = try? ThresholdLexer.tokens(text), tokens.count == 2,
              case .quantity(let number, let numberText, let unit) = tokens[0].kind, tokens[0].column == 1 else {
            return .failure(notAQuantity)
        }
        return make(number: number, numberText: numberText, unit: unit, for: metric)
    }
}
