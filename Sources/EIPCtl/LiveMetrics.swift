import Autoscaling
import CommandLineSupport
import MetricsSources

/// Live metrics for `eipctl reconcile --dry-run POOL` without `--metrics`: read as the operator
/// reads them, through the pool's source (or `--metrics-source`), from where eipctl runs. A pod
/// IP or a Prometheus address may be unreachable from a laptop; the reasons then say so, and the
/// decision holds as the operator's would.
enum LiveMetrics {
    /// The source for a pool: its Prometheus (or `--prometheus-address`), or a direct scrape of its
    /// pods taken twice, 2 s apart, since rates need two scrapes.
    static func source(for pool: ElasticInferencePool, args: ParsedArguments, clock: any Clock) throws(UsageError) -> any MetricsSource {
        var kind = pool.spec.metrics?.kind == .prometheus ? "prometheus" : "podscrape"
        if let given = args.value("metrics-source") {
            guard ["podscrape", "prometheus"].contains(given.lowercased()) else { throw UsageError("--metrics-source: podscrape or prometheus, not '\(given)'") }
            kind = given.lowercased()
        }
        var templates = QueryTemplates.triton
        if let names = args.value("prometheus-templates") {
            switch QueryTemplates.combined(list: names) {
            case .success(let combined): templates = combined
            case .failure(let error): throw UsageError("--prometheus-templates: \(error)")
            }
        }
        if kind == "prometheus" {
            return PrometheusQuerySource(connection: args.value("prometheus-address").map(PrometheusConnection.init(address:)), templates: templates)
        }
        return TwoScrapes(source: PodScrapeSource(), interval: .seconds(2), clock: clock)
    }

    /// The note on where the values came from.
    static func note(for sample: MetricSample, source: any MetricsSource) -> String {
        if source is TwoScrapes {
            return "live metrics: \(sample.source ?? "PodScrape"), two scrapes 2 s apart\(sample.failure.map { " (\($0))" } ?? "")"
        }
        return "live metrics: \(sample.source ?? "Prometheus")"
    }
}

/// A direct scrape read twice, `interval` apart (each read stamped with the clock's time): the
/// second has rates.
struct TwoScrapes: MetricsSource {
    let source: PodScrapeSource
    let interval: Duration
    let clock: any Clock

    var kind: String { source.kind }
    func wantsPods(_ pool: ElasticInferencePool) -> Bool { true }

    func read(_ query: MetricsQuery) async -> MetricSample {
        var first = query
        first.now = clock.now()
        _ = await source.read(first)
        try? await clock.sleep(for: interval)
        var second = query
        second.now = clock.now()
        return await source.read(second)
    }
}
