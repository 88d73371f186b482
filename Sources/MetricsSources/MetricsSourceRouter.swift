import Autoscaling

/// Picks each pool's source: the pool's own `spec.metrics.source` when it names one, else the
/// operator-wide default. (The operator times and counts the reads for its `/metrics`.)
public struct MetricsSourceRouter: MetricsSource {
    let defaultSource: any MetricsSource
    let prometheus: any MetricsSource
    let podScrape: any MetricsSource

    /// A router: `defaultSource` for pools that name none.
    public init(default defaultSource: any MetricsSource, prometheus: any MetricsSource, podScrape: any MetricsSource) {
        self.defaultSource = defaultSource
        self.prometheus = prometheus
        self.podScrape = podScrape
    }

    /// The default source's kind.
    public var kind: String { defaultSource.kind }

    /// The source for a pool.
    public func source(for pool: ElasticInferencePool) -> any MetricsSource {
        switch pool.spec.metrics?.kind {
        case .prometheus: return prometheus
        case .podScrape: return podScrape
        case nil: return defaultSource
        }
    }

    public func kind(for pool: ElasticInferencePool) -> String { source(for: pool).kind }
    public func wantsPods(_ pool: ElasticInferencePool) -> Bool { source(for: pool).wantsPods(pool) }
    public func read(_ query: MetricsQuery) async -> MetricSample { await source(for: query.pool).read(query) }
}
