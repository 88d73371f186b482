import Autoscaling
import Locking
import MetricsSources

/// Metric values a test sets and changes as it goes (``set(_:)``), or a source that fails
/// (``fail(_:)``); every read is stamped with the query's time.
public final class ScriptedMetricsSource: MetricsSource {
    private let values: Locked<[MetricName: Double]>
    private let failure = Locked<String?>(nil)
    private let readCount = Locked(0)

    public init(_ values: [MetricName: Double] = [:]) {
        self.values = Locked(values)
    }

    public var kind: String { "static" }

    /// Replaces the values.
    public func set(_ newValues: [MetricName: Double]) { values.withLock { $0 = newValues } }
    /// Makes every read fail with `reason` (nil: read normally again).
    public func fail(_ reason: String?) { failure.withLock { $0 = reason } }
    /// Reads so far.
    public var reads: Int { readCount.withLock { $0 } }

    public func read(_ query: MetricsQuery) async -> MetricSample {
        readCount.withLock { $0 += 1 }
        if let reason = failure.withLock({ $0 }) { return MetricSample(failure: reason, source: "static") }
        return MetricSample(readings: values.withLock { $0 }.mapValues { MetricReading(value: $0, sampledAt: query.now) }, source: "static")
    }
}
