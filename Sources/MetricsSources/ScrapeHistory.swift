import Autoscaling
import PrometheusText

/// Successive scrapes of one pool's pods over the rate window, and the pool's metric values they
/// add up to (SPEC §6):
/// - counters become increases over the window, adjacent scrape by adjacent scrape, and a counter
///   that went down is a restarted process (its new value is the increase), as PromQL's `increase`;
/// - P50/P90/P95/P99 come from histogram bucket increases summed by `le` across pods, then
///   interpolated as `histogram_quantile` does; without a histogram, from summaries, taking the
///   largest of the pods' quantiles (the safe side: one slow replica is a slow pool);
/// - `mean` and `queue` are duration-counter increases over request-counter increases;
/// - `qps` is the sum of the pods' request rates; `gpu.util` and `gpu.mem` the mean over the GPUs.
/// A pod scraped once has no increases yet: rates need a second scrape.
struct ScrapeHistory: Sendable {
    /// Readings per pod uid, oldest first, none older than the window.
    private var pods: [String: [PodMetricsReading]] = [:]

    /// Adds a pod's scrape and forgets what fell out of the window.
    mutating func record(pod: String, _ reading: PodMetricsReading, window: Double) {
        pods[pod, default: []].append(reading)
        pods[pod] = pods[pod]?.filter { reading.time.seconds(since: $0.time) <= window }
    }

    /// Forgets pods not scraped within the window (deleted, or no longer Ready): once per read,
    /// not per pod, so a read stays linear in the pods.
    mutating func forgetPods(notScrapedSince cutoff: Timestamp) {
        pods = pods.filter { _, readings in readings.last.map { $0.time >= cutoff } ?? false }
    }

    /// What a read of the pool's pods comes to: the values, why the others are missing, whether the
    /// pool served no request over the window (idle), and the request rate over the newest scrape
    /// interval (the demand the engine sizes from).
    struct Aggregate {
        var readings: [MetricName: MetricReading]
        var unknown: [MetricName: String]
        var idle: Bool
        var demand: Double?
    }

    /// The pool's values from the latest scrape of each of `current` (the pods that answered now):
    /// the built-ins and the pool's own metrics (`custom`). A metric whose families name only other
    /// models than `model`'s is unknown, and the reason lists the models the pods report.
    func aggregate(current: [String], at now: Timestamp, model: ModelMatch? = nil, custom: [CustomMetric] = []) -> Aggregate {
        let series = current.compactMap { pods[$0] }.filter { !$0.isEmpty }
        var values: [MetricName: Double] = [:]
        var unknown: [MetricName: String] = [:]
        /// "no series with model=…; the pods report …" when the pods' families among `families` name other models only.
        func otherModels(_ families: [String]) -> String? {
            guard let model else { return nil }
            let reported = series.reduce(into: Set<String>()) { all, readings in
                for family in families {  // a counter's family may be named with its `_total`
                    all.formUnion(readings.last?.otherModels[family] ?? [])
                    all.formUnion(readings.last?.otherModels[family + "_total"] ?? [])
                }
            }
            return reported.isEmpty ? nil : model.mismatch(reported: Array(reported))
        }
        let percentiles: [(MetricName, Double)] = [(.p50, 0.5), (.p90, 0.9), (.p95, 0.95), (.p99, 0.99)]
        let withRates = series.filter { $0.count >= 2 }
        let span = withRates.map { $0[$0.count - 1].time.seconds(since: $0[0].time) }.max() ?? 0
        let window = "the last \(Int(span.rounded()))s"

        // Latency percentiles: histograms first, then summaries.
        let histogramPods = series.filter { $0.last?.histogramName != nil }
        if !histogramPods.isEmpty {
            var buckets: [Double: Double] = [:]
            for readings in histogramPods where readings.count >= 2 {
                for (key, increase) in Self.increases(readings) where key.hasPrefix("bucket:") {
                    guard let bound = Double(key.dropFirst("bucket:".count)) else { continue }
                    buckets[bound, default: 0] += increase
                }
            }
            let units = histogramPods.last?.last?.histogramUnitsPerSecond ?? 1
            let name = histogramPods.last?.last?.histogramName ?? "histogram"
            if !histogramPods.contains(where: { $0.count >= 2 }) {
                for (metric, _) in percentiles { unknown[metric] = "first scrape of \(name); rates need a second" }
            } else if (buckets[.infinity] ?? 0) <= 0 {
                for (metric, _) in percentiles { unknown[metric] = "no requests in \(window) (\(name))" }
            } else {
                let list = buckets.map { (upperBound: $0.key, count: $0.value) }
                for (metric, q) in percentiles { values[metric] = HistogramQuantile.quantile(q, buckets: list) / units }
            }
        } else if series.contains(where: { $0.last?.summaryName != nil }) {
            for (metric, q) in percentiles {
                let quantiles = series.compactMap { $0.last?.summaryQuantiles[q] }
                if let slowest = quantiles.max() { values[metric] = slowest } else { unknown[metric] = "the summaries have no quantile \(q)" }
            }
        } else if let mismatch = otherModels(ScrapedFamilies.latencyHistograms + ScrapedFamilies.latencySummaries) {
            for (metric, _) in percentiles { unknown[metric] = mismatch }
        } else {
            let hint = series.contains { $0.last?.counters["duration"] != nil } ? "; their mean latency is the metric `mean`" : ""
            for (metric, _) in percentiles {
                unknown[metric] = "the pods export no latency histogram or summary (\(ScrapedFamilies.latencyHistograms[0]) or \(ScrapedFamilies.latencySummaries[0]))\(hint)"
            }
        }

        // Means and rates from counters.
        var totals: [String: Double] = [:]
        var qps = 0.0
        var demand: Double?
        var counted = Set<String>()
        for readings in withRates {
            let increases = Self.increases(readings)
            for (key, value) in increases { totals[key, default: 0] += value }
            counted.formUnion(increases.keys)
            let seconds = readings[readings.count - 1].time.seconds(since: readings[0].time)
            if let requests = increases["requests"], seconds > 0 { qps += requests / seconds }
            // The newest scrape interval alone: the demand as of now, not as of half a window ago.
            let last = Array(readings.suffix(2))
            let interval = last[1].time.seconds(since: last[0].time)
            if let requests = Self.increases(last)["requests"], interval > 0 { demand = (demand ?? 0) + requests / interval }
        }
        let requests = totals["requests"] ?? 0
        for (metric, key, name) in [(MetricName.mean, "duration", ScrapedFamilies.durationCounter), (.queue, "queue", ScrapedFamilies.queueCounter)] {
            if !series.contains(where: { $0.last?.counters[key] != nil }) {
                unknown[metric] = otherModels([name]) ?? "the pods export no \(name)"
            } else if withRates.isEmpty {
                unknown[metric] = "first scrape; rates need a second"
            } else if requests <= 0 || !counted.contains(key) {
                unknown[metric] = "no requests in \(window)"
            } else {
                values[metric] = (totals[key] ?? 0) / requests / ScrapedFamilies.unitsPerSecond(name)
            }
        }
        if !series.contains(where: { $0.last?.counters["requests"] != nil }) {
            unknown[.qps] = otherModels(ScrapedFamilies.requestCounters + ScrapedFamilies.latencyHistograms)
                ?? "the pods export no \(ScrapedFamilies.requestCounter) or histogram count"
        } else if withRates.isEmpty {
            unknown[.qps] = "first scrape; rates need a second"
        } else {
            values[.qps] = qps
        }

        // Gauges from the latest scrape.
        for (metric, gpus, names) in [(MetricName.gpuUtil, series.flatMap { $0.last?.gpuUtilisation ?? [] }, "\(ScrapedFamilies.gpuUtilFraction) or \(ScrapedFamilies.gpuUtilPercent)"),
                                      (.gpuMem, series.flatMap { $0.last?.gpuMemory ?? [] }, "GPU memory used and total (Triton) or used and free (DCGM)")] {
            if gpus.isEmpty { unknown[metric] = "the pods export no \(names)" } else { values[metric] = gpus.reduce(0, +) / Double(gpus.count) }
        }

        // The pool's own metrics, each by its rule.
        for metric in custom {
            guard let rule = metric.podScrape else {
                unknown[metric.name] = "\(metric.name.rawValue) has no podScrape rule; only Prometheus can read it"
                continue
            }
            switch customValue(metric, rule, series: series, withRates: withRates, window: window) {
            case .success(let value): values[metric.name] = value / metric.unit.perCanonical
            case .failure(let reason): unknown[metric.name] = otherModels(rule.families) ?? reason.message
            }
        }

        // NaN (an empty bucket at the rank) is unknown, with its reason.
        var readings: [MetricName: MetricReading] = [:]
        let sampledAt = series.compactMap { $0.last?.time }.min() ?? now
        for (metric, value) in values {
            if value.isFinite { readings[metric] = MetricReading(value: value, sampledAt: sampledAt) } else { unknown[metric] = "the value is \(value)" }
        }
        // Idle: the request counters grew by nothing over a window with rates (not a first scrape).
        let idle = !withRates.isEmpty && counted.contains("requests") && requests <= 0
        return Aggregate(readings: readings, unknown: unknown, idle: idle, demand: demand)
    }

    /// Why one of the pool's own metrics has no value.
    struct Unknown: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// One of the pool's own metrics, in the unit its pods report it in, from the latest scrape of
    /// each pod (gauges) or the increases over the window (histograms, counters).
    private func customValue(_ metric: CustomMetric, _ rule: ScrapeRule, series: [[PodMetricsReading]], withRates: [[PodMetricsReading]],
                             window: String) -> Result<Double, Unknown> {
        let name = metric.name.rawValue
        let exporting = series.filter { $0.last?.customFamilies[name] != nil }
        guard let family = exporting.last?.last?.customFamilies[name] else {
            return .failure(Unknown("the pods export no \(rule.families.joined(separator: " or "))"))
        }
        let labels = rule.labels.isEmpty ? "" : " with \(rule.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ","))"
        let key = "custom:\(name):"
        func increases() -> [String: Double] {
            var totals: [String: Double] = [:]
            for readings in withRates where readings.last?.customFamilies[name] != nil {
                for (k, v) in Self.increases(readings) where k.hasPrefix(key) { totals[String(k.dropFirst(key.count)), default: 0] += v }
            }
            return totals
        }
        let rates = exporting.contains { $0.count >= 2 }
        switch (rule.aggregation, family.kind) {
        case (.sum, .gauge), (.sum, .untyped), (.mean, .gauge), (.mean, .untyped), (.max, .gauge), (.max, .untyped):
            let gauges = exporting.flatMap { $0.last?.customGauges[name] ?? [] }
            guard !gauges.isEmpty else { return .failure(Unknown("no series of \(family.name)\(labels)")) }
            switch rule.aggregation {
            case .sum: return .success(gauges.reduce(0, +))
            case .max: return .success(gauges.max() ?? 0)
            default: return .success(gauges.reduce(0, +) / Double(gauges.count))
            }
        case (.quantile(let q), .histogram):
            guard rates else { return .failure(Unknown("first scrape of \(family.name); rates need a second")) }
            var buckets: [Double: Double] = [:]
            for (k, v) in increases() where k.hasPrefix("bucket:") {
                guard let bound = Double(k.dropFirst("bucket:".count)) else { continue }
                buckets[bound, default: 0] += v
            }
            guard (buckets[.infinity] ?? 0) > 0 else { return .failure(Unknown("no observations of \(family.name)\(labels) in \(window)")) }
            return .success(HistogramQuantile.quantile(q, buckets: buckets.map { (upperBound: $0.key, count: $0.value) }))
        case (.mean, .histogram), (.mean, .summary):
            guard rates else { return .failure(Unknown("first scrape of \(family.name); rates need a second")) }
            let totals = increases()
            guard let count = totals["count"], count > 0 else { return .failure(Unknown("no observations of \(family.name)\(labels) in \(window)")) }
            return .success((totals["sum"] ?? 0) / count)
        case (.rate, .counter), (.rate, .untyped), (.rate, .histogram), (.rate, .summary):
            guard rates else { return .failure(Unknown("first scrape of \(family.name); rates need a second")) }
            var perSecond = 0.0
            for readings in withRates where readings.last?.customFamilies[name] != nil {
                let seconds = readings[readings.count - 1].time.seconds(since: readings[0].time)
                if let total = Self.increases(readings)[key + "total"], seconds > 0 { perSecond += total / seconds }
            }
            return .success(perSecond)
        default:
            let needs: String
            switch rule.aggregation {
            case .sum, .max: needs = "a gauge"
            case .mean: needs = "a gauge, a histogram or a summary"
            case .quantile: needs = "a histogram"
            case .rate: needs = "a counter"
            }
            return .failure(Unknown("\(family.name) is a \(family.kind.rawValue); aggregation \(rule.aggregation.name) needs \(needs)"))
        }
    }

    /// Each counter's increase across the readings: the sum of adjacent differences, where a
    /// counter that went down restarted from zero (its new value is the increase).
    static func increases(_ readings: [PodMetricsReading]) -> [String: Double] {
        var result: [String: Double] = [:]
        for (previous, next) in zip(readings, readings.dropFirst()) {
            for (key, value) in next.counters {
                guard let before = previous.counters[key] else { continue }
                result[key, default: 0] += value >= before ? value - before : value
            }
        }
        return result
    }
}
