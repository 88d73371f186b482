import Autoscaling
import JSON
import LoadModel

/// The project's own decision engine as a ``Scaler``: each poll runs the planning code the
/// operator's reconciler runs, with the pool, a Deployment view (`spec.replicas` = the replicas asked
/// for, `status.readyReplicas` = those Ready), the metric sample the pool's metrics source would
/// return, the clock, and the scaling state carried from poll to poll exactly as the operator carries
/// it in status (`decision.state` → `pool.state`). No second copy of the rules.
///
/// This file is the only place the simulator touches the planning API: it calls
/// `ReconcilePlan(pool:policy:target:sample:now:state:)` and reads `decision.to`, the decision's
/// reason and `plan.state`.
public struct EngineScaler: Scaler {
    /// The metrics the load model gives values for; a pool whose rules read others cannot be simulated.
    public static let modelledMetrics: [MetricName] = [.p90, .gpuUtil, .qps]

    public let name: String
    public let pollInterval: Double
    /// The view of the pool's metrics source: the direct scrape (the operator's default) or Prometheus.
    public let pipeline: MetricsPipeline
    private let pool: ElasticInferencePool
    private let policy: ScalingPolicy
    /// What the operator keeps in the pool's status, carried from poll to poll.
    private var state: ScalingState
    /// The wall-clock time of second 0 of the run.
    private let start: Timestamp

    /// - Parameters:
    ///   - source: overrides the pool's `metrics.source` (nil: the pool's, else the operator's default, `PodScrape`).
    ///   - start: the clock reading at second 0 (it shows only in the state's timestamps).
    public init(name: String = "eip-operator", pool: ElasticInferencePool, policy: ScalingPolicy,
                source: MetricsSourceSpec.Kind? = nil, start: Timestamp = Timestamp(secondsSinceEpoch: 1_800_000_000)) {
        self.name = name
        self.pool = pool
        self.policy = policy
        state = pool.state
        self.start = start
        pollInterval = policy.behavior.pollIntervalSeconds
        switch source ?? pool.spec.metrics?.kind ?? .podScrape {
        case .podScrape:
            // The rate window of `PodScrapeSource`: max(30 s, 4 poll intervals).
            let window = max(pool.spec.metrics?.scrapeRateWindowSeconds ?? Defaults.scrapeRateWindowSeconds, 4 * policy.behavior.pollIntervalSeconds)
            pipeline = .directScrape(rateWindow: Int(window.rounded(.up)))
        case .prometheus:
            pipeline = .typicalPrometheus
        }
    }

    /// The metrics `policy`'s rules read that the load model does not give (P50, P99, gpu.mem, queue, mean).
    public static func unmodelledMetrics(of policy: ScalingPolicy) -> [String] {
        policy.metrics.filter { !modelledMetrics.contains($0) }.map(\.rawValue)
    }

    public mutating func decide(_ o: Observation) -> ScalerDecision {
        let now = start.adding(seconds: Double(o.time))
        let target = DeploymentView(name: pool.spec.targetName, namespace: pool.namespace, replicas: o.currentReplicas, readyReplicas: o.readyReplicas)
        let plan = ReconcilePlan(pool: pool, policy: policy, target: target, sample: sample(o, now: now), now: now, state: state)
        state = plan.state
        return ScalerDecision(replicas: plan.decision.to, reason: plan.decision.reason.kind.rawValue)
    }

    /// The sample the pool's source would return: the direct scrape fails with no Ready pod to
    /// scrape; a window that served no request has no latency (idle), as `ScrapeHistory` says. The
    /// demand is the rate over the last poll interval (a direct scrape's newest counter increase),
    /// or `qps` through Prometheus.
    private func sample(_ o: Observation, now: Timestamp) -> MetricSample {
        if case .directScrape = pipeline, o.readyReplicas == 0 {
            return MetricSample(failure: "no Ready pods of Deployment \(pool.spec.targetName) to scrape", source: "simulated PodScrape")
        }
        let reading = pipeline.reading(of: o.history, at: o.time)
        var readings: [MetricName: MetricReading] = [:]
        var unknown: [MetricName: String] = [:]
        for (metric, value) in [(MetricName.p90, reading.p90), (.gpuUtil, reading.gpuUtilisation), (.qps, reading.qps)] {
            if let value {
                readings[metric] = MetricReading(value: value, sampledAt: now)
            } else {
                unknown[metric] = reading.seconds == 0 ? "first scrape; rates need a second" : "no requests in the last \(reading.seconds)s"
            }
        }
        let idle = reading.seconds > 0 && reading.p90 == nil && (reading.qps ?? 0) == 0
        var demand: MetricReading?
        if case .directScrape = pipeline {
            let interval = max(1, Int(pollInterval.rounded()))
            demand = o.history.meanDemand(o.time - interval, o.time).map { MetricReading(value: $0, sampledAt: now) }
        }
        return MetricSample(readings: readings, unknownReasons: unknown, source: "simulated", idle: idle, demand: demand)
    }
}
