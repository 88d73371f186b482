#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LoadModel

/// Kubernetes' HorizontalPodAutoscaler, `autoscaling/v2`, on one metric with the default behavior, as
/// kube-controller-manager runs it (kubernetes/kubernetes `pkg/controller/podautoscaler/horizontal.go`
/// and `replica_calculator.go`; defaults from `pkg/apis/autoscaling/v2/defaults.go`):
///
/// - every 15 s (`--horizontal-pod-autoscaler-sync-period`), a replica proposal from the metric
///   (``Metric``), left at the current count when the usage ratio is within the 10 % tolerance
///   (`--horizontal-pod-autoscaler-tolerance`);
/// - stabilisation (`stabilizeRecommendationWithBehaviors`): a scale-down goes only to the highest
///   recommendation of the last 300 s; scale-up has no window;
/// - rate limits (`convertDesiredReplicasWithBehaviorRate`): up by at most max(4 pods, 100 %) per
///   15 s, counted from the replicas at the start of the period; down by at most 100 % per 15 s;
/// - `minReplicas`/`maxReplicas` (the pool's bounds).
///
/// The metric comes through Prometheus (prometheus-adapter or KEDA's metrics server): a 60 s window
/// seen 15 s late (LOADMODEL.md, ``MetricsPipeline/typicalPrometheus``).
public struct HorizontalPodAutoscaler: Scaler {
    /// The one metric the HPA scales on.
    public enum Metric: Sendable, Hashable {
        /// A `Pods` metric with an `AverageValue` target: GPU utilisation per pod (DCGM through
        /// prometheus-adapter), averaged over the window. `calcPlainMetricReplicas`: the proposal is
        /// ⌈ready × value/target⌉; pods still starting (Pending) are left out, and on a scale-up they
        /// count as using nothing, so replicas on their way are not asked for twice.
        case gpuUtilisation(target: Double)
        /// An `External` metric with an `AverageValue` target, KEDA's default `metricType`: the P90
        /// of `histogram_quantile(0.9, rate(…[1m]))` (KEDA's Prometheus scaler, in milli-units).
        /// `GetExternalPerPodMetricReplicas`: the proposal is ⌈value/target⌉ unless value/(target ×
        /// replicas) is within tolerance. An empty or NaN answer counts as 0 (`ignoreNullValues`,
        /// true by default in KEDA's `prometheus_scaler.go`).
        case latencyAverageValue(target: Double)
        /// The same query with `metricType: Value`: `GetExternalMetricReplicas`, ⌈ready × value/target⌉.
        case latencyValue(target: Double)
    }

    /// `--horizontal-pod-autoscaler-sync-period`: 15 s.
    public static let syncPeriod = 15.0
    /// `--horizontal-pod-autoscaler-tolerance`: 0.1.
    public static let tolerance = 0.1
    /// The default `behavior.scaleDown.stabilizationWindowSeconds` (`--horizontal-pod-autoscaler-downscale-stabilization`): 300 s.
    public static let scaleDownStabilization = 300.0
    /// The default policies (`defaults.go`): up by 4 pods or 100 % per 15 s (the larger), down by 100 % per 15 s.
    static let scaleUpPods = 4, scaleUpPercent = 100.0, scaleDownPercent = 100.0, policyPeriod = 15.0

    public let name: String
    public let metric: Metric
    public let minReplicas: Int
    public let maxReplicas: Int
    public let pipeline: MetricsPipeline
    public var pollInterval: Double { Self.syncPeriod }

    /// Recent recommendations (time, replicas), for the scale-down stabilisation window.
    private var recommendations: [(time: Double, replicas: Int)] = []
    /// Recent scale events (time, replicas added or removed), for the rate limits.
    private var scaleUpEvents: [(time: Double, change: Int)] = []
    private var scaleDownEvents: [(time: Double, change: Int)] = []

    public init(name: String, metric: Metric, minReplicas: Int, maxReplicas: Int, pipeline: MetricsPipeline = .typicalPrometheus) {
        self.name = name
        self.metric = metric
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.pipeline = pipeline
    }

    public mutating func decide(_ o: Observation) -> ScalerDecision {
        let now = Double(o.time)
        let current = o.currentReplicas
        // recordInitialRecommendation: the first sync remembers the current scale.
        if recommendations.isEmpty { recommendations.append((now, current)) }
        let desired: Int
        let reason: String
        if current > maxReplicas {
            (desired, reason) = (maxReplicas, "Current number of replicas above Spec.MaxReplicas")
        } else if current < minReplicas {
            (desired, reason) = (minReplicas, "Current number of replicas below Spec.MinReplicas")
        } else {
            guard let proposal = proposal(o) else {
                // FailedGetExternalMetric / FailedGetPodsMetric: the scale is left as it is.
                return ScalerDecision(replicas: current, reason: "no metric value: scale unchanged")
            }
            desired = normalize(current: current, desired: proposal.replicas, now: now)
            reason = proposal.reason
        }
        if desired > current {
            scaleUpEvents.append((now, desired - current))
        } else if desired < current {
            scaleDownEvents.append((now, current - desired))
        }
        return ScalerDecision(replicas: desired, reason: reason)
    }

    /// The metric's replica proposal (`computeReplicasForMetrics`), nil when the metric cannot be read.
    func proposal(_ o: Observation) -> (replicas: Int, reason: String)? {
        let reading = pipeline.reading(of: o.history, at: o.time)
        let current = o.currentReplicas
        switch metric {
        case .gpuUtilisation(let target):
            guard o.readyReplicas > 0, let value = reading.gpuUtilisationMean else { return nil }
            let replicas = Self.podsMetricReplicas(value: value, target: target, current: current, ready: o.readyReplicas)
            return (replicas, "gpu.util \(percent(value)) / target \(percent(target))")
        case .latencyAverageValue(let target):
            // KEDA sends milli-units (GenerateMetricInMili); no value is 0 (ignoreNullValues).
            let usage = (((reading.p90 ?? 0) * 1000).rounded(.towardZero))
            let target = (target * 1000).rounded(.towardZero)
            var replicas = current
            if abs(1 - usage / (target * Double(current))) > Self.tolerance { replicas = Int((usage / target).rounded(.up)) }
            return (replicas, "P90 \(Int(usage))ms / target \(Int(target))ms (AverageValue)")
        case .latencyValue(let target):
            let usage = reading.p90 ?? 0
            let ratio = usage / target
            var replicas = current
            if abs(1 - ratio) > Self.tolerance { replicas = Int((ratio * Double(o.readyReplicas)).rounded(.up)) }
            return (replicas, "P90 \(Int((usage * 1000).rounded()))ms / target \(Int((target * 1000).rounded()))ms (Value)")
        }
    }

    /// `calcPlainMetricReplicas` for a pod metric averaged over `ready` pods, with `current − ready`
    /// pods still starting (ignored; on a scale-up counted as using nothing).
    static func podsMetricReplicas(value: Double, target: Double, current: Int, ready: Int) -> Int {
        let ratio = value / target
        let starting = max(0, current - ready)
        if starting == 0 || ratio <= 1 {
            if abs(1 - ratio) <= tolerance { return current }
            return Int((ratio * Double(ready)).rounded(.up))
        }
        let rebalanced = value * Double(ready) / Double(ready + starting) / target
        if abs(1 - rebalanced) <= tolerance || rebalanced < 1 { return current }
        return Int((rebalanced * Double(ready + starting)).rounded(.up))
    }

    /// `normalizeDesiredReplicasWithBehaviors`: stabilisation, then the rate limits and bounds.
    mutating func normalize(current: Int, desired: Int, now: Double) -> Int {
        // stabilizeRecommendationWithBehaviors: scale-up window 0 (the lowest recent recommendation
        // of none), scale-down window 300 s (the highest recent one).
        var stabilized = desired
        if desired < current {
            for r in recommendations where r.time > now - Self.scaleDownStabilization { stabilized = max(stabilized, r.replicas) }
        }
        recommendations.removeAll { $0.time < now - Self.scaleDownStabilization }
        recommendations.append((now, desired))

        // convertDesiredReplicasWithBehaviorRate, over the scale events of the last period.
        scaleUpEvents.removeAll { $0.time <= now - Self.policyPeriod }
        scaleDownEvents.removeAll { $0.time <= now - Self.policyPeriod }
        if stabilized > current {
            let added = scaleUpEvents.reduce(0) { $0 + $1.change }
            let start = current - added
            var limit = max(start + Self.scaleUpPods, Int((Double(start) * (1 + Self.scaleUpPercent / 100)).rounded(.up)))
            limit = max(limit, current)
            return min(stabilized, min(maxReplicas, limit))
        }
        if stabilized < current {
            let removed = scaleDownEvents.reduce(0) { $0 + $1.change }
            let start = current + removed
            var limit = Int((Double(start) * (1 - Self.scaleDownPercent / 100)).rounded(.towardZero))
            limit = min(limit, current)
            return max(stabilized, max(minReplicas, limit))
        }
        return stabilized
    }

    private func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded()))%" }
}
