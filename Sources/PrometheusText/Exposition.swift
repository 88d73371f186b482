/// One sample of the Prometheus text exposition format: `name{label="value",…} value [timestamp]`.
public struct Sample: Sendable, Equatable {
    public let name: String
    public let labels: [String: String]
    public let value: Double
    /// Milliseconds since the epoch, when the line carried one.
    public let timestamp: Int64?

    public init(name: String, labels: [String: String], value: Double, timestamp: Int64? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }

    public static func == (a: Sample, b: Sample) -> Bool {
        a.name == b.name && a.labels == b.labels && a.timestamp == b.timestamp && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }
}

/// A metric family: its `# TYPE`, `# HELP` and samples (for histograms and summaries, the
/// `_bucket`, `_sum` and `_count` series too).
public struct MetricFamily: Sendable, Equatable {
    /// The `# TYPE` of the family; `untyped` when none was declared.
    public enum Kind: String, Sendable { case counter, gauge, histogram, summary, untyped }

    public let name: String
    public var kind: Kind
    public var help: String?
    public var samples: [Sample]

    public init(name: String, kind: Kind, help: String? = nil, samples: [Sample] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.samples = samples
    }
}

/// Why exposition text could not be read: the 1-based line and column, and what was expected.
public struct ExpositionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let message: String

    public var description: String { "\(line):\(column): \(message)" }
}
