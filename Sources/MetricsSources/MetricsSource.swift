import Autoscaling
import JSON

/// What a metrics source is asked for one pool: the pool, its target, the target's pods (Ready or
/// not; direct scrape reads the Ready ones), the metrics the rules read, and the time of the read.
public struct MetricsQuery: Sendable {
    /// The pool.
    public var pool: ElasticInferencePool
    /// Its workload.
    public var target: WorkloadView
    /// The pods the target's selector picks (empty when the source needs none: ``MetricsSource/wantsPods(_:)``).
    public var pods: [JSONValue]
    /// The metrics the pool's rules read (sources that pay per metric read only these).
    public var metrics: [MetricName]
    /// The clock reading of the reconcile; readings without a time of their own are stamped with it.
    public var now: Timestamp

    /// A query for a pool whose workload is a Deployment.
    public init(pool: ElasticInferencePool, target: DeploymentView, pods: [JSONValue] = [], metrics: [MetricName] = [], now: Timestamp) {
        self.init(pool: pool, target: WorkloadView(target), pods: pods, metrics: metrics, now: now)
    }

    /// A query.
    public init(pool: ElasticInferencePool, target: WorkloadView, pods: [JSONValue] = [], metrics: [MetricName] = [], now: Timestamp) {
        self.pool = pool
        self.target = target
        self.pods = pods
        self.metrics = metrics
        self.now = now
    }

    /// The pool's key: sources keep per-pool state under it.
    var poolKey: ObjectKey { pool.key }
}

/// Where a pool's metric values come from (SPEC §6). A source that cannot read answers with
/// `failure` set, and a metric it cannot read is absent with a reason: never a zero. Reading never
/// throws: every fault is in the sample.
public protocol MetricsSource: Sendable {
    /// A short name for the operator's metrics and logs: `static`, `prometheus`, `podscrape`.
    var kind: String { get }
    /// The values for one pool now.
    func read(_ query: MetricsQuery) async -> MetricSample
    /// Whether reads for this pool need its target's pods (direct scrape only).
    func wantsPods(_ pool: ElasticInferencePool) -> Bool
    /// The kind of the source that reads this pool (a router answers for the source it picks).
    func kind(for pool: ElasticInferencePool) -> String
}

extension MetricsSource {
    public func wantsPods(_ pool: ElasticInferencePool) -> Bool { false }
    public func kind(for pool: ElasticInferencePool) -> String { kind }
}

/// Fixed values, sampled "now": for demos (`eip-operator --static-metrics`), benchmarks and dry runs.
public struct StaticMetricsSource: MetricsSource {
    /// Values of the built-ins in each metric's canonical unit (seconds, fraction, requests/s).
    public let values: [MetricName: Double]
    /// Values of pools' own metrics, by name, as written (`12`, `93%`): each pool that declares the
    /// name reads it in its metric's unit; one whose metric does not take it gets a reason.
    public let custom: [String: String]

    /// A source always answering `values` (and `custom`, to the pools that declare those names).
    public init(_ values: [MetricName: Double] = [:], custom: [String: String] = [:]) {
        self.values = values
        self.custom = custom
    }

    public var kind: String { "static" }

    public func read(_ query: MetricsQuery) async -> MetricSample {
        var readings = values.mapValues { MetricReading(value: $0, sampledAt: query.now) }
        var unknown: [MetricName: String] = [:]
        let catalog = query.pool.spec.metricCatalog
        for (name, text) in custom {
            guard let metric = catalog.metric(named: name) else { continue }
            switch Quantity.parse(text, for: metric) {
            case .success(let quantity): readings[metric] = MetricReading(value: quantity.value, sampledAt: query.now)
            case .failure(let problem): unknown[metric] = "--static-metrics \(name)=\(text): \(problem.message)"
            }
        }
        return MetricSample(readings: readings, unknownReasons: unknown, source: "static", idle: MetricSample.isIdle(readings))
    }
}

/// One sample, the same for every read: what `eipctl reconcile --dry-run --metrics …` decides from.
public struct FixedSampleSource: MetricsSource {
    /// The sample every read answers.
    public let sample: MetricSample

    /// A source always answering `sample`.
    public init(_ sample: MetricSample) { self.sample = sample }

    public var kind: String { "fixed" }
    public func read(_ query: MetricsQuery) async -> MetricSample { sample }
}
