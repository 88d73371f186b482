import Autoscaling
import Locking
import MetricsSources

/// Metric values a test sets and changes as it goes (``set(_:)``), or a source that fails
/// (``fail(_:)``); every read is stamped with the query's time (less ``setClockBehind(_:)``'s
/// seconds as the source's own time). `qps` 0 with no latency reads as an idle pool.
public final class ScriptedMetricsSource: MetricsSource {
    private let values: Locked<[MetricName: Double]>
    private let failure = Locked<String?>(nil)
    private let readCount = Locked(0)
    private let behind = Locked(0.0)

    public init(_ values: [MetricName: Double] = [:]) {
        self.values = Locked(values)
    }

    public var kind: String { "static" }

    /// Replaces the values.
    public func set(_ newValues: [MetricName: Double]) { values.withLock { $0 = newValues } }
    /// Makes every read fail with `reason` (nil: read normally again).
    public func fail(_ reason: String?) { failure.withLock { $0 = reason } }
    /// The source's clock runs `seconds` behind the operator's: its values carry that much older times.
    public func setClockBehind(_ seconds: Double) { behind.withLock { $0 = seconds } }
    /// Reads so far.
    public var reads: Int { readCount.withLock { $0 } }

    public func read(_ query: MetricsQuery) async -> MetricSample {
        readCount.withLock { $0 += 1 }
        if let reason = failure.withLock({ $0 }) { return MetricSample(failure: reason, source: "static") }
        let sourceTime = query.now.adding(seconds: -behind.withLock { $0 })
        let readings = values.withLock { $0 }.mapValues { MetricReading(value: $0, sampledAt: sourceTime, readAt: query.now) }
        return MetricSample(readings: readings, source: "static", idle: MetricSample.isIdle(readings))
    }
}
