/// PromQL's `histogram_quantile`, for histograms read from exposition text.
public enum HistogramQuantile {
    /// The `q` quantile of cumulative buckets (`le` upper bounds → counts), as PromQL computes it:
    /// buckets sorted by bound; counts made monotonic; NaN without a `+Inf` bucket or observations;
    /// the rank `q × total` located in its bucket and interpolated linearly from the bucket's lower
    /// bound (0 for the first bucket when its bound is positive); a rank beyond the finite buckets gives
    /// the highest finite bound. `q` < 0 gives -Inf, `q` > 1 gives +Inf.
    public static func quantile(_ q: Double, buckets: [(upperBound: Double, count: Double)]) -> Double {
        if q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        var sorted = buckets.filter { !$0.upperBound.isNaN }.sorted { $0.upperBound < $1.upperBound }
        guard sorted.count >= 2, sorted.last?.upperBound == .infinity else { return .nan }
        // Monotonic counts (a scrape can catch buckets mid-update).
        for i in 1..<sorted.count where sorted[i].count < sorted[i - 1].count { sorted[i].count = sorted[i - 1].count }
        let total = sorted[sorted.count - 1].count
        guard total > 0 else { return .nan }
        let rank = q * total
        // The first bucket (of all but +Inf) whose count reaches the rank, as PromQL's sort.Search.
        let b = sorted.dropLast().firstIndex { $0.count >= rank } ?? sorted.count - 1
        if b == sorted.count - 1 { return sorted[sorted.count - 2].upperBound }
        if b == 0 && sorted[0].upperBound <= 0 { return sorted[0].upperBound }
        var lower = 0.0
        var countBefore = 0.0
        if b > 0 {
            lower = sorted[b - 1].upperBound
            countBefore = sorted[b - 1].count
        }
        let upper = sorted[b].upperBound
        // As PromQL: an empty bucket at rank 0 divides 0 by 0 (NaN).
        return lower + (upper - lower) * ((rank - countBefore) / (sorted[b].count - countBefore))
    }

    /// The buckets of `family`'s `_bucket` samples whose other labels match `labels` (nil: all,
    /// summed by `le`, as `sum by (le)` does across pods).
    public static func buckets(of family: MetricFamily, matching labels: [String: String]? = nil) -> [(upperBound: Double, count: Double)] {
        var sums: [Double: Double] = [:]
        for sample in family.samples where sample.name == family.name + "_bucket" {
            guard let le = sample.labels["le"], let bound = LineCursor.number(le) else { continue }
            if let labels, !labels.allSatisfy({ sample.labels[$0.key] == $0.value }) { continue }
            sums[bound, default: 0] += sample.value
        }
        return sums.map { ($0.key, $0.value) }
    }
}
