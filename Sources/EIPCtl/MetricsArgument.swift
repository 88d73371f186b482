import Autoscaling
import CommandLineSupport
import Foundation

/// `--metrics 'P90=250ms,gpu.util=91%'`: metric values for an offline dry run, all sampled at `now`.
/// `qps=0` with no latency is an idle pool (`--metrics 'qps=0,gpu.util=2%'`): nothing was served,
/// so the latencies are not unknown but idle.
enum MetricsArgument {
    static func parse(_ text: String, sampledAt now: Timestamp) throws(UsageError) -> MetricSample {
        var readings: [MetricName: MetricReading] = [:]
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else {
                throw UsageError("--metrics: expected NAME=VALUE, as in P90=250ms, not '\(part)'")
            }
            guard let metric = MetricName(name: pair[0]) else {
                throw UsageError("--metrics: " + MetricName.unknownNameMessage(pair[0]))
            }
            switch Quantity.parse(pair[1], for: metric) {
            case .failure(let problem): throw UsageError("--metrics: \(metric.rawValue)=\(pair[1]): \(problem.message)")
            case .success(let quantity):
                if readings[metric] != nil { throw UsageError("--metrics: \(metric.rawValue) is given twice") }
                readings[metric] = MetricReading(value: quantity.value, sampledAt: now)
            }
        }
        return MetricSample(readings: readings, idle: MetricSample.isIdle(readings))
    }
}
