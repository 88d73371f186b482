/// What an autoscaler's metrics pipeline shows of the pool at an instant: not the instantaneous
/// values but windows of them, possibly late (LOADMODEL.md, "What an autoscaler sees").
public enum MetricsPipeline: Sendable, Hashable {
    /// The operator's direct scrape of the Ready pods (`PodScrape`): P90 from the latency
    /// histogram's increase over the last `rateWindow` seconds, `qps` the mean over it, `gpu.util`
    /// the gauge at the scrape instant. No lag.
    case directScrape(rateWindow: Int)
    /// Through Prometheus: what was scraped up to `scrapeInterval` seconds ago (the lag), with
    /// `rate()` (and `histogram_quantile` over it) taken over `rateWindow` seconds.
    case prometheus(scrapeInterval: Int, rateWindow: Int)

    /// Prometheus' usual scrape interval and the `[1m]` of the query templates.
    public static let typicalPrometheus = MetricsPipeline.prometheus(scrapeInterval: 15, rateWindow: 60)

    /// How late the values are, in seconds.
    public var lag: Int {
        switch self {
        case .directScrape: return 0
        case .prometheus(let interval, _): return interval
        }
    }

    /// The seconds a rate or quantile spans.
    public var rateWindow: Int {
        switch self {
        case .directScrape(let window), .prometheus(_, let window): return window
        }
    }

    /// The reading at the start of second `time`, from the ticks before it.
    public func reading(of history: PoolHistory, at time: Int) -> PipelineReading {
        let end = time - lag
        let start = end - rateWindow
        let last = history.clip(end - 1, end).map { history.ticks[$0.lowerBound] }
        return PipelineReading(
            p90: history.requestWeightedP90(start, end),
            qps: history.meanDemand(start, end),
            gpuUtilisation: last?.gpuUtilisation,
            gpuUtilisationMean: history.meanGPUUtilisation(start, end),
            seconds: history.clip(start, end)?.count ?? 0)
    }
}

/// One reading of a metrics pipeline. Units: seconds, requests/s, fractions. Nil = no value.
public struct PipelineReading: Sendable, Hashable {
    /// Request-weighted P90 over the window; nil when the window served no request (idle).
    public let p90: Double?
    /// Mean offered load over the window.
    public let qps: Double?
    /// GPU utilisation at the window's end (a gauge, as scraped).
    public let gpuUtilisation: Double?
    /// GPU utilisation averaged over the window (as `avg_over_time` shows it).
    public let gpuUtilisationMean: Double?
    /// Seconds of the window that had ticks (less than the window at the start of a run).
    public let seconds: Int
}
