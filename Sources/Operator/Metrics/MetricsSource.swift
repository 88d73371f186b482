import Autoscaling
import JSON
import Locking

/// What a metrics source is asked for one pool: the pool, its target, the target's pods from the
/// informer cache (Ready or not; direct scrape reads the Ready ones), and the time of the read.
public struct MetricsQuery: Sendable {
    public var pool: ElasticInferencePool
    public var target: DeploymentView
    /// The pods the target's selector picks, from the cache (empty when the source needs none).
    public var pods: [JSONValue]
    /// The metrics the pool's rules read (sources that pay per metric read only these).
    public var metrics: [MetricName]
    public var now: Timestamp

    public init(pool: ElasticInferencePool, target: DeploymentView, pods: [JSONValue] = [], metrics: [MetricName] = [], now: Timestamp) {
        self.pool = pool
        self.target = target
        self.pods = pods
        self.metrics = metrics
        self.now = now
    }

    /// `namespace/name` of the pool: the key sources keep per-pool state under.
    var poolKey: String { "\(pool.namespace)/\(pool.name)" }
}

/// Where a pool's metric values come from (SPEC §6). A source that cannot read answers with
/// `failure` set, and a metric it cannot read is absent with a reason: never a zero.
public protocol MetricsSource: Sendable {
    /// A short name for the operator's metrics and logs: `static`, `prometheus`, `podscrape`.
    var kind: String { get }
    func read(_ query: MetricsQuery) async -> MetricSample
    /// Whether reads for this pool need its target's pods from the cache (direct scrape only).
    func wantsPods(_ pool: ElasticInferencePool) -> Bool
}

extension MetricsSource {
    public func wantsPods(_ pool: ElasticInferencePool) -> Bool { false }
}

/// Fixed values, sampled "now": for tests, demos (`eip-operator --metrics-source=static`) and dry runs.
public final class StaticMetricsSource: MetricsSource {
    private let values = Locked<[MetricName: Double]>([:])
    private let failure = Locked<String?>(nil)

    public init(_ values: [MetricName: Double] = [:]) {
        self.values.withLock { $0 = values }
    }

    public var kind: String { "static" }

    /// Replaces the values (tests move metrics with this).
    public func set(_ newValues: [MetricName: Double]) { values.withLock { $0 = newValues } }
    /// Makes every read fail with `reason` (nil: read normally again).
    public func fail(_ reason: String?) { failure.withLock { $0 = reason } }

    public func read(_ query: MetricsQuery) async -> MetricSample {
        if let reason = failure.withLock({ $0 }) { return MetricSample(failure: reason, source: "static") }
        return MetricSample(readings: values.withLock { $0 }.mapValues { MetricReading(value: $0, sampledAt: query.now) }, source: "static")
    }
}
