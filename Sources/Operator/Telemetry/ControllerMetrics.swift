import Autoscaling
import Locking
import MetricsSources

/// A Prometheus histogram (cumulative buckets, sum, count) over seconds; controller-runtime's
/// reconcile buckets.
public struct Histogram: Sendable {
    /// Upper bounds, seconds.
    public static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    public private(set) var counts = [Int](repeating: 0, count: Histogram.bounds.count)
    /// Seconds.
    public private(set) var sum = 0.0
    public private(set) var count = 0

    public init() {}

    /// Records one value, in seconds.
    public mutating func observe(_ value: Double) {
        for (i, bound) in Self.bounds.enumerated() where value <= bound { counts[i] += 1 }
        sum += value
        count += 1
    }
}

/// Reads, errors and read time of one kind of metrics source.
public struct MetricsReadStatistics: Sendable {
    /// Reads made.
    public var reads = 0
    /// Reads that failed as a whole (the source was down, no pod answered).
    public var errors = 0
    /// Read times, seconds.
    public var durations = Histogram()
}

/// The controller's own measurements, which its `/metrics` renders (``OperatorMetrics``):
/// reconciles and their durations by result (`success`, `error`), and the metric-source reads by
/// source kind (SPEC §6: every read is timed and counted). Apart from the sources themselves, which
/// only read.
public final class ControllerMetrics: Sendable {
    private let reconcileCounts = Locked<[String: Int]>([:])
    private let reconcileHistograms = Locked<[String: Histogram]>([:])
    private let reads = Locked<[String: MetricsReadStatistics]>([:])

    public init() {}

    /// Records one reconcile's result and how long it took.
    public func recordReconcile(succeeded: Bool, duration: Duration) {
        let result = succeeded ? "success" : "error"
        reconcileCounts.withLock { $0[result, default: 0] += 1 }
        reconcileHistograms.withLock { $0[result, default: Histogram()].observe(duration.inSeconds) }
    }

    /// Records one read of a source of kind `source`.
    public func recordMetricsRead(source: String, failed: Bool, duration: Duration) {
        reads.withLock { all in
            all[source, default: MetricsReadStatistics()].reads += 1
            if failed { all[source, default: MetricsReadStatistics()].errors += 1 }
            all[source, default: MetricsReadStatistics()].durations.observe(duration.inSeconds)
        }
    }

    /// Reconciles done, by result.
    public var reconciles: [String: Int] { reconcileCounts.withLock { $0 } }
    /// Reconcile durations, by result.
    public var reconcileDurations: [String: Histogram] { reconcileHistograms.withLock { $0 } }
    /// Metric reads, by source kind.
    public var metricsReads: [String: MetricsReadStatistics] { reads.withLock { $0 } }
}

/// A metrics source whose every read is timed (on the clock's monotonic time) and counted in the
/// controller's metrics, under the kind of the source that served it.
public struct InstrumentedMetricsSource: MetricsSource {
    let source: any MetricsSource
    let metrics: ControllerMetrics
    let clock: any Clock

    /// `source`'s reads, counted in `metrics`, timed on `clock`.
    public init(_ source: any MetricsSource, metrics: ControllerMetrics, clock: any Clock) {
        self.source = source
        self.metrics = metrics
        self.clock = clock
    }

    public var kind: String { source.kind }
    public func kind(for pool: ElasticInferencePool) -> String { source.kind(for: pool) }
    public func wantsPods(_ pool: ElasticInferencePool) -> Bool { source.wantsPods(pool) }

    public func read(_ query: MetricsQuery) async -> MetricSample {
        let started = clock.monotonicNow()
        let sample = await source.read(query)
        metrics.recordMetricsRead(source: source.kind(for: query.pool), failed: sample.failure != nil, duration: clock.monotonicNow() - started)
        return sample
    }
}
