import Autoscaling
import CommandLineSupport
import Foundation
import JSON
import Kube
import Locking
import Operator

/// Live metrics for `eipctl reconcile --dry-run POOL` without `--metrics`: read as the operator
/// reads them, through the pool's source (or `--metrics-source`), from where eipctl runs. A pod
/// IP or a Prometheus address may be unreachable from a laptop; the reasons then say so, and the
/// decision holds as the operator's would.
enum LiveMetrics {
    /// The sample and a note on where it came from.
    static func read(pool: ElasticInferencePool, policy: ScalingPolicy, target: DeploymentView, client: KubeClient,
                     args: ParsedArguments, clock: any WallClock) throws(UsageError) -> (MetricSample, String) {
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
        let address = args.value("prometheus-address")
        if kind == "prometheus" {
            let source = PrometheusQuerySource(connection: address.map(PrometheusConnection.init(address:)), templates: templates)
            let sample = awaitBlocking {
                await source.read(MetricsQuery(pool: pool, target: target, metrics: policy.metrics, now: clock.now()))
            }
            return (sample, "live metrics: \(sample.source ?? "Prometheus")")
        }

        // Direct scrape: the target's pods from the API server; two reads two seconds apart, since
        // rates need two scrapes.
        let pods = awaitBlocking { () async -> [JSONValue] in
            guard let selector = target.selector else { return [] }
            let all = (try? await client.list(.pods, namespace: pool.namespace).items) ?? []
            return all.filter(selector.matches)
        }
        let source = PodScrapeSource()
        let sample = awaitBlocking { () async -> MetricSample in
            _ = await source.read(MetricsQuery(pool: pool, target: target, pods: pods, metrics: policy.metrics, now: clock.now()))
            try? await Task.sleep(nanoseconds: 2_000_000_000)
            return await source.read(MetricsQuery(pool: pool, target: target, pods: pods, metrics: policy.metrics, now: clock.now()))
        }
        return (sample, "live metrics: \(sample.source ?? "PodScrape"), two scrapes 2 s apart\(sample.failure.map { " (\($0))" } ?? "")")
    }
}
