/// Every tick of a run so far, with running sums so that a window's mean costs O(1) and its
/// request-weighted P90 O(window): what the metrics pipelines read from.
///
/// Windows are half-open ranges of seconds `[start, end)` (a tick covers one second), clipped to
/// the ticks that exist: a window reaching before the history sees only the history.
public struct PoolHistory: Sendable {
    /// The second of the first tick: negative when a run records a warm-up before its second 0.
    public let start: Int
    /// The ticks, one per second from `start`.
    public private(set) var ticks: [PoolTick] = []
    private var demandSums: [Double] = [0]
    private var concurrencySums: [Double] = [0]
    private var gpuSums: [Double] = [0]

    public init(start: Int = 0, reservingCapacity capacity: Int = 0) {
        self.start = start
        ticks.reserveCapacity(capacity)
        demandSums.reserveCapacity(capacity + 1)
        concurrencySums.reserveCapacity(capacity + 1)
        gpuSums.reserveCapacity(capacity + 1)
    }

    /// Records the next second's tick.
    public mutating func append(_ tick: PoolTick) {
        ticks.append(tick)
        demandSums.append(demandSums[demandSums.count - 1] + tick.demand)
        concurrencySums.append(concurrencySums[concurrencySums.count - 1] + tick.concurrency)
        gpuSums.append(gpuSums[gpuSums.count - 1] + tick.gpuUtilisation)
    }

    /// Seconds recorded.
    public var count: Int { ticks.count }

    /// The indices into `ticks` of the seconds `[from, to)`, clipped to the ticks recorded; nil when none is left.
    func clip(_ from: Int, _ to: Int) -> Range<Int>? {
        let lower = max(0, from - start), upper = min(ticks.count, to - start)
        return lower < upper ? lower..<upper : nil
    }

    /// Mean offered load (requests/s) over the window.
    public func meanDemand(_ start: Int, _ end: Int) -> Double? {
        clip(start, end).map { (demandSums[$0.upperBound] - demandSums[$0.lowerBound]) / Double($0.count) }
    }

    /// Mean concurrency (λ × P90, requests in flight) over the window.
    public func meanConcurrency(_ start: Int, _ end: Int) -> Double? {
        clip(start, end).map { (concurrencySums[$0.upperBound] - concurrencySums[$0.lowerBound]) / Double($0.count) }
    }

    /// Mean GPU utilisation over the window.
    public func meanGPUUtilisation(_ start: Int, _ end: Int) -> Double? {
        clip(start, end).map { (gpuSums[$0.upperBound] - gpuSums[$0.lowerBound]) / Double($0.count) }
    }

    /// The P90 of the requests served in the window, each second's requests counted at that
    /// second's P90: what `histogram_quantile(0.9, …)` over the histogram's increase shows, without
    /// bucket rounding. Nil when the window served no request (an idle pool has no latency).
    public func requestWeightedP90(_ start: Int, _ end: Int) -> Double? {
        guard let range = clip(start, end) else { return nil }
        var points: [(p90: Double, served: Double)] = []
        points.reserveCapacity(range.count)
        var total = 0.0
        for i in range where ticks[i].served > 0 {
            points.append((ticks[i].p90, ticks[i].served))
            total += ticks[i].served
        }
        guard total > 0 else { return nil }
        points.sort { $0.p90 < $1.p90 }
        let rank = 0.9 * total
        var cumulative = 0.0
        for point in points {
            cumulative += point.served
            if cumulative >= rank { return point.p90 }
        }
        return points[points.count - 1].p90
    }
}
