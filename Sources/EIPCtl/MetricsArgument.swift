import Autoscaling
import CommandLineSupport

/// `--metrics 'P90=250ms,gpu.util=91%,waiting=12'`: metric values for a dry run, all sampled at
/// `now`, named as the pool's expressions name them (its own metrics too). `qps=0` with no latency
/// is an idle pool (`--metrics 'qps=0,gpu.util=2%'`): nothing was served, so the latencies are not
/// unknown but idle.
enum MetricsArgument {
    /// The values of `text` for a pool whose metrics are `catalog`.
    static func parse(_ text: String, catalog: MetricCatalog, sampledAt now: Timestamp) throws(UsageError) -> MetricSample {
        switch MetricAssignments.parse(text, catalog: catalog) {
        case .failure(let problem): throw UsageError("--metrics: \(problem)")
        case .success(let values):
            let readings = values.mapValues { MetricReading(value: $0, sampledAt: now) }
            return MetricSample(readings: readings, idle: MetricSample.isIdle(readings))
        }
    }

    /// Checks the list's form before the pool is read (its names are checked against the pool's).
    static func checkForm(_ text: String) throws(UsageError) {
        if case .failure(let problem) = MetricAssignments.pairs(text) { throw UsageError("--metrics: \(problem)") }
    }
}
