/// A Prometheus histogram over seconds: cumulative bucket counts under fixed upper bounds, a sum and
/// a count. The bounds of each family are the ones its Go original uses, so that the
/// `histogram_quantile` queries written for them read ours the same way.
public struct Histogram: Sendable {
    /// The Go client's `prometheus.DefBuckets`, seconds: the bounds of our own `eip_*` histograms.
    public static let defaultBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// `controller_runtime_reconcile_time_seconds`' bounds, seconds: 5 ms to 60 s, fine below 1 s
    /// (controller-runtime, `pkg/internal/controller/metrics/metrics.go`).
    public static let reconcileBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7,
                                                   0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20,
                                                   25, 30, 40, 50, 60]

    /// The `workqueue_*_duration_seconds` bounds, seconds: `ExponentialBuckets(10e-9, 10, 12)`,
    /// 10 ns to 1,000 s by tens (controller-runtime's `pkg/metrics/workqueue.go`, after client-go's).
    public static let workQueueBounds: [Double] = (0..<12).map { 1e-8 * pow10($0) }

    /// `rest_client_request_duration_seconds`' bounds, seconds (client-go's `tools/metrics`, as
    /// component-base registers it).
    public static let requestBounds: [Double] = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60]

    /// Upper bounds, seconds, ascending (`+Inf` is implied).
    public let bounds: [Double]
    /// Observations at or below each bound (cumulative), one per bound.
    public private(set) var counts: [Int]
    /// Sum of the observations, seconds.
    public private(set) var sum = 0.0
    /// Observations.
    public private(set) var count = 0

    /// An empty histogram over `bounds` (default ``defaultBounds``).
    public init(bounds: [Double] = Histogram.defaultBounds) {
        self.bounds = bounds
        counts = [Int](repeating: 0, count: bounds.count)
    }

    /// Records one value, in seconds.
    public mutating func observe(_ value: Double) {
        for (i, bound) in bounds.enumerated() where value <= bound { counts[i] += 1 }
        sum += value
        count += 1
    }

    /// 10 to the `n`, exactly for the small `n` used here.
    private static func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { product, _ in product * 10 } }
}
