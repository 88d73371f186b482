/// A metric a threshold expression can compare (SPEC §3).
public enum MetricName: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Request latency percentiles, across the pool.
    case p50 = "P50", p90 = "P90", p95 = "P95", p99 = "P99"
    /// GPU utilisation averaged across the pool's GPUs, a fraction 0–1.
    case gpuUtil = "gpu.util"
    /// Fraction of GPU memory in use, averaged across the pool's GPUs, 0–1.
    case gpuMem = "gpu.mem"
    /// Requests per second served by the whole pool.
    case qps
    /// Mean time a request waits in the server's queue (Triton's `nv_inference_queue_duration_us`
    /// over its request count): a mean, because Triton exports no queue-time percentiles.
    case queue
    /// Mean request latency across the pool: the growth of a cumulative duration counter over the
    /// growth of the request counter (Triton's default `nv_inference_request_duration_us` over
    /// `nv_inference_request_success`), for servers that export no latency histogram or summary.
    /// A mean, not a percentile: it hides the tail, so P90 stays unknown rather than borrowing it.
    case mean

    /// What kind of quantity the metric is, which decides the units it takes.
    public var kind: MetricKind {
        switch self {
        case .p50, .p90, .p95, .p99, .queue, .mean: return .duration
        case .gpuUtil, .gpuMem: return .fraction
        case .qps: return .rate
        }
    }

    /// Metric names are case-insensitive: `p90`, `P90`, `GPU.util`.
    public init?(name: String) {
        guard let match = Self.byLowercasedName[name] ?? Self.byLowercasedName[name.lowercased()] else { return nil }
        self = match
    }

    private static let byLowercasedName: [String: MetricName] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.rawValue.lowercased(), $0) })

    public static func < (a: MetricName, b: MetricName) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }

    /// The camel-case key used for the metric in status (`p90`, `gpuUtil`).
    public var statusKey: String {
        switch self {
        case .p50: return "p50"
        case .p90: return "p90"
        case .p95: return "p95"
        case .p99: return "p99"
        case .gpuUtil: return "gpuUtil"
        case .gpuMem: return "gpuMem"
        case .qps: return "qps"
        case .queue: return "queue"
        case .mean: return "mean"
        }
    }

    /// The names, for error messages.
    public static let list = allCases.map(\.rawValue).joined(separator: ", ")
}

/// The kinds of quantity, each with its units.
public enum MetricKind: Sendable, Hashable {
    /// A time: `us` (or `µs`), `ms` or `s` is required. Stored in seconds.
    case duration
    /// A share: a percentage (`85%`) or a bare fraction from 0 to 1 (`0.85`). Stored as a fraction.
    case fraction
    /// Requests per second: a bare number.
    case rate

    var unitHelp: String {
        switch self {
        case .duration: return "a time with a unit: us, ms or s (as in 200ms)"
        case .fraction: return "a percentage (85%) or a fraction from 0 to 1 (0.85)"
        case .rate: return "a bare number of requests per second (as in 100)"
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
            case "us", "µs": scale = 1e-6
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
        case .rate:
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
        case .rate:
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
    /// Reads a quantity written as in expressions (`250ms`, `91%`, `0.4`, `120`) for `metric`.
    public static func parse(_ text: String, for metric: MetricName) -> Result<Quantity, Problem> {
        let numberText = String(text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") })
        let unit = String(text.dropFirst(numberText.count))
        guard !numberText.isEmpty, numberText.filter({ $0 == "." }).count <= 1, numberText != ".", let number = Double(numberText) else {
            return .failure(Problem(message: "'\(text)' is not a quantity; write a number and, for \(metric.rawValue), \(metric.kind.unitHelp)", offset: 0))
        }
        return make(number: number, numberText: numberText, unit: unit, for: metric)
    }
}
