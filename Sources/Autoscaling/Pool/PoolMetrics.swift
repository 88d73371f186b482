/// A metric a pool declares in `spec.metrics.custom` (or its preset declares for it): its name, the
/// unit its sources report it in, and how each source reads it. Expressions use it as they use the
/// built-ins (`waiting > 8 || kv_cache > 90%`), with the units its kind takes.
///
/// ```yaml
/// custom:
/// - name: waiting
///   unit: count
///   podScrape: {family: "vllm:num_requests_waiting", aggregation: sum}
///   prometheus: {query: 'sum(vllm:num_requests_waiting{namespace="{{namespace}}",model_name=~"{{models}}"})'}
/// ```
public struct CustomMetric: Sendable, Hashable {
    /// The metric, with the kind its unit gives it.
    public var name: MetricName
    /// The unit the sources report it in.
    public var unit: SourceUnit
    /// How a direct scrape reads it; nil: the direct scrape cannot.
    public var podScrape: ScrapeRule?
    /// The PromQL template that gives it (placeholders as for the built-ins' templates); nil: none.
    public var prometheusQuery: String?

    /// A metric named `name` in `unit`; its kind is the unit's.
    public init(name: String, unit: SourceUnit, podScrape: ScrapeRule? = nil, prometheusQuery: String? = nil) {
        self.name = .custom(name, kind: unit.kind)
        self.unit = unit
        self.podScrape = podScrape
        self.prometheusQuery = prometheusQuery
    }
}

/// The unit a source reports a pool's own metric in (`spec.metrics.custom[].unit`): it decides the
/// metric's kind in expressions and how a reported value becomes the canonical one (seconds, a
/// fraction 0–1, a count, per second).
public enum SourceUnit: String, Sendable, Hashable, CaseIterable {
    /// A count (requests waiting, requests running): compared with a bare number (`waiting > 8`).
    case count
    /// A fraction from 0 to 1 (vLLM's KV-cache usage): compared as `90%` or `0.9`.
    case fraction
    /// A percentage from 0 to 100 (DCGM's utilisation): divided by 100, compared as `90%` or `0.9`.
    case percent
    /// Seconds, milliseconds or microseconds: compared with a time (`ttft > 500ms`).
    case seconds, milliseconds, microseconds
    /// Per second (a counter's rate: tokens/s): compared with a bare number.
    case perSecond

    /// The kind of quantity a metric in this unit is.
    public var kind: MetricKind {
        switch self {
        case .count: return .count
        case .fraction, .percent: return .fraction
        case .seconds, .milliseconds, .microseconds: return .duration
        case .perSecond: return .rate
        }
    }

    /// Reported values are divided by this to give the canonical value (400000 µs / 1e6 is exactly 0.4).
    public var perCanonical: Double {
        switch self {
        case .percent: return 100
        case .milliseconds: return 1e3
        case .microseconds: return 1e6
        case .count, .fraction, .seconds, .perSecond: return 1
        }
    }
}

/// How a direct scrape reads a pool's own metric from the pods' expositions: the family (the first
/// of `families` a pod exports), the series of it that count (label filters, and the pool's model:
/// ``ModelMatch``), and how their values become one number for the pool (`aggregation`).
public struct ScrapeRule: Sendable, Hashable {
    /// How the matching series of every scraped pod become one value.
    public enum Aggregation: Sendable, Hashable {
        /// Gauges: the sum of the series' latest values (requests waiting across the pool).
        case sum
        /// Gauges: the mean of the series' latest values (KV-cache use across the engines). Histograms
        /// and summaries: the mean observation over the rate window (`_sum` increase over `_count` increase).
        case mean
        /// Gauges: the largest latest value (the fullest engine).
        case max
        /// Histograms: the quantile (0 < q < 1) of the bucket increases over the rate window, summed
        /// by `le` across the pods: PromQL's `histogram_quantile(q, sum by (le) (rate(…)))`.
        case quantile(Double)
        /// Counters (or a histogram's `_count`): the sum of the pods' increases per second over the
        /// rate window, as `sum(rate(…))`; a counter that went down restarted from zero.
        case rate

        /// As written in `aggregation`.
        public var name: String {
            switch self {
            case .sum: return "sum"
            case .mean: return "mean"
            case .max: return "max"
            case .quantile: return "quantile"
            case .rate: return "rate"
            }
        }

        /// The names `aggregation` takes.
        public static let names = ["sum", "mean", "max", "quantile", "rate"]
    }

    /// The metric family, and any it was known by before (a preset's fallback for a renamed
    /// family): the first a pod exports is read.
    public var families: [String]
    /// Series whose labels have these values (exact matches); the pool's model is matched besides.
    public var labels: [String: String]
    /// How the series become one value.
    public var aggregation: Aggregation

    /// A rule reading `families` (the first present).
    public init(families: [String], labels: [String: String] = [:], aggregation: Aggregation) {
        self.families = families
        self.labels = labels
        self.aggregation = aggregation
    }
}

/// Which series are the pool's model (`spec.metrics.model`): a server that serves several models
/// (Triton's `model` label, vLLM's `model_name`) labels each series with one; only those of the
/// pool's model (and of the LoRA adapters the pool counts as its own) are read. A family whose
/// series carry the label but none of these values gives no value, with the models the pods do
/// report in the reason: never the sum of every model on the server. A family without the label
/// (GPU gauges; a server that serves one model, as TGI) is read whole.
public struct ModelMatch: Sendable, Hashable {
    /// The labels that name a series' model, the first a series carries being its model
    /// (`model.label`; default Triton's `model`, then vLLM's `model_name`).
    public var labels: [String]
    /// The model's name as the server reports it (`model.name`; default `spec.modelRef`).
    public var name: String
    /// LoRA adapters whose series count as the model's (`model.adapters`; default none).
    public var adapters: [String]

    /// Triton's label, then vLLM's.
    public static let defaultLabels = ["model", "model_name"]

    /// A match for `name` (and `adapters`) on `labels`.
    public init(name: String, labels: [String] = ModelMatch.defaultLabels, adapters: [String] = []) {
        self.labels = labels
        self.name = name
        self.adapters = adapters
    }

    /// The names a series may carry to count: the model's, then its adapters'.
    public var names: [String] { [name] + adapters }

    /// The model a series names (its first model label); nil when it carries none.
    public func model(of labels: [String: String]) -> String? {
        for label in self.labels { if let value = labels[label] { return value } }
        return nil
    }

    /// Why a family gave nothing: `no series with model_name="llama"; the pods report a, b`.
    public func mismatch(reported: [String]) -> String {
        let label = labels.count == 1 ? labels[0] : "model"
        let wanted = names.map { "\"\($0)\"" }.joined(separator: " or ")
        return "no series with \(label)=\(wanted); the pods report \(reported.sorted().joined(separator: ", "))"
    }
}
