import Autoscaling
import Kube
import Locking
import MetricsSources

/// Reads, errors and read time of one kind of metrics source.
public struct MetricsReadStatistics: Sendable {
    /// Reads made.
    public var reads = 0
    /// Reads that failed as a whole (the source was down, no pod answered).
    public var errors = 0
    /// Read times, seconds.
    public var durations = Histogram()
}

/// How a reconcile ended, as controller-runtime labels `controller_runtime_reconcile_total`'s
/// `result`: an error; asked to come back after a delay (`requeue_after`); asked to come back at
/// once through the rate limiter (`requeue`; ours never asks); or done (`success`).
public enum ReconcileOutcome: String, Sendable, CaseIterable {
    case success, error, requeue
    case requeueAfter = "requeue_after"
}

extension ReconcileResult {
    /// How it ended, as controller-runtime counts it: an error first, then a delay asked for.
    public var outcome: ReconcileOutcome {
        error != nil ? .error : (requeueAfter ?? .zero) > .zero ? .requeueAfter : .success
    }
}

/// The controller's own measurements, which its `/metrics` renders (``OperatorMetrics``), named and
/// counted as controller-runtime's (`pkg/internal/controller/metrics`): reconciles by result, their
/// errors, their durations (one histogram per controller, no result label), the workers busy and
/// allowed; and the metric-source reads by source kind (SPEC §6: every read is timed and counted).
/// Apart from the sources themselves, which only read.
public final class ControllerMetrics: Sendable {
    private struct Reconciles {
        var results: [ReconcileOutcome: Int] = [:]
        var durations = Histogram(bounds: Histogram.reconcileBounds)
        var active = 0
    }

    private let reconcileState = Locked(Reconciles())
    private let reads = Locked<[String: MetricsReadStatistics]>([:])
    /// Workers allowed to reconcile at once (`controller_runtime_max_concurrent_reconciles`).
    public let maxConcurrentReconciles: Int

    /// Measurements of a controller running `maxConcurrentReconciles` workers (default 1).
    public init(maxConcurrentReconciles: Int = 1) {
        self.maxConcurrentReconciles = maxConcurrentReconciles
    }

    /// A worker started a reconcile (`controller_runtime_active_workers` goes up by one).
    public func reconcileStarted() { reconcileState.withLock { $0.active += 1 } }

    /// A worker finished a reconcile: counted under `result`, timed, and the worker idle again.
    public func reconcileFinished(_ result: ReconcileOutcome, duration: Duration) {
        reconcileState.withLock { r in
            r.active -= 1
            r.results[result, default: 0] += 1
            r.durations.observe(duration.inSeconds)
        }
    }

    /// Records one read of a source of kind `source`.
    public func recordMetricsRead(source: String, failed: Bool, duration: Duration) {
        reads.withLock { all in
            all[source, default: MetricsReadStatistics()].reads += 1
            if failed { all[source, default: MetricsReadStatistics()].errors += 1 }
            all[source, default: MetricsReadStatistics()].durations.observe(duration.inSeconds)
        }
    }

    /// Reconciles done, by result (every result present, 0 if none yet).
    public var reconciles: [ReconcileOutcome: Int] {
        reconcileState.withLock { r in Dictionary(uniqueKeysWithValues: ReconcileOutcome.allCases.map { ($0, r.results[$0] ?? 0) }) }
    }
    /// Reconciles that failed (`controller_runtime_reconcile_errors_total`).
    public var reconcileErrors: Int { reconcileState.withLock { $0.results[.error] ?? 0 } }
    /// Reconcile durations, seconds, all results together.
    public var reconcileDurations: Histogram { reconcileState.withLock { $0.durations } }
    /// Workers reconciling now.
    public var activeWorkers: Int { reconcileState.withLock { $0.active } }
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
