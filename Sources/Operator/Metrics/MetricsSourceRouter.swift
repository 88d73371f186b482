import Autoscaling
import Foundation
import Locking

/// Reads, errors and read time of one kind of source, for the operator's `/metrics`.
public struct MetricsReadStatistics: Sendable {
    public var reads = 0
    /// Reads that failed as a whole (the source was down, no pod answered).
    public var errors = 0
    public var durations = Histogram()
}

/// Picks each pool's source: the pool's own `spec.metrics.source` when it names one, else the
/// operator-wide default; and times and counts every read by source kind (SPEC §6: "every read is
/// timed and counted").
public final class MetricsSourceRouter: MetricsSource {
    let defaultSource: any MetricsSource
    let prometheus: any MetricsSource
    let podScrape: any MetricsSource
    /// By source kind (`prometheus`, `podscrape`, `static`).
    public let statistics = Locked<[String: MetricsReadStatistics]>([:])

    public init(default defaultSource: any MetricsSource, prometheus: any MetricsSource, podScrape: any MetricsSource) {
        self.defaultSource = defaultSource
        self.prometheus = prometheus
        self.podScrape = podScrape
    }

    public var kind: String { defaultSource.kind }

    /// The source for a pool.
    public func source(for pool: ElasticInferencePool) -> any MetricsSource {
        switch pool.spec.metrics?.kind {
        case .prometheus: return prometheus
        case .podScrape: return podScrape
        case nil: return defaultSource
        }
    }

    public func wantsPods(_ pool: ElasticInferencePool) -> Bool { source(for: pool).wantsPods(pool) }

    public func read(_ query: MetricsQuery) async -> MetricSample {
        let source = source(for: query.pool)
        let started = DispatchTime.now().uptimeNanoseconds
        let sample = await source.read(query)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        statistics.withLock { all in
            all[source.kind, default: MetricsReadStatistics()].reads += 1
            if sample.failure != nil { all[source.kind, default: MetricsReadStatistics()].errors += 1 }
            all[source.kind, default: MetricsReadStatistics()].durations.observe(seconds)
        }
        return sample
    }
}
