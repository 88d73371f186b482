import Autoscaling
import Locking

/// Where a pool's metric values come from. The Prometheus and direct-scrape sources arrive with the
/// metrics issue; a source that cannot read answers a sample with `failure` set (never zeros).
public protocol MetricsSource: Sendable {
    func read(pool: ElasticInferencePool, target: DeploymentView, now: Timestamp) async -> MetricSample
}

/// Fixed values, sampled "now": for tests, demos (`eip-operator --static-metrics`) and dry runs.
public final class StaticMetricsSource: MetricsSource {
    private let values = Locked<[MetricName: Double]>([:])
    private let failure = Locked<String?>(nil)

    public init(_ values: [MetricName: Double] = [:]) {
        self.values.withLock { $0 = values }
    }

    /// Replaces the values (tests move metrics with this).
    public func set(_ newValues: [MetricName: Double]) { values.withLock { $0 = newValues } }
    /// Makes every read fail with `reason` (nil: read normally again).
    public func fail(_ reason: String?) { failure.withLock { $0 = reason } }

    public func read(pool: ElasticInferencePool, target: DeploymentView, now: Timestamp) async -> MetricSample {
        if let reason = failure.withLock({ $0 }) { return MetricSample(failure: reason) }
        return MetricSample(readings: values.withLock { $0 }.mapValues { MetricReading(value: $0, sampledAt: now) })
    }
}
