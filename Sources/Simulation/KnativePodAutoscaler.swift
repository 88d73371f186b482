import LoadModel

/// Knative Serving's KPA on concurrency, as its decider runs it (knative/serving
/// `pkg/autoscaler/scaling/autoscaler.go`, `Scale`; defaults from `config/core/configmaps/autoscaler.yaml`):
///
/// - every 2 s (`tickInterval`), the observed concurrency averaged over the stable window (60 s) and
///   the panic window (10 % of it: 6 s); the load model gives concurrency by Little's law, λ × latency;
/// - desired pods = ⌈observed / target⌉ with the target 70 % (`container-concurrency-target-percentage`)
///   of a container concurrency of 100, kept within [⌊ready / 2⌋ (`max-scale-down-rate` 2),
///   ⌈ready × 1000⌉ (`max-scale-up-rate`)];
/// - panic when the panic window's desired pods reach 2× the ready pods (`panic-threshold-percentage`
///   200); while panicking the count only grows, and panic ends after 60 s below the threshold.
///   A decider made while more than one pod is ready starts in panic (`newAutoscaler`);
/// - the revision's min/max scale (the pool's bounds) applied last, as the PodAutoscaler reconciler does.
///
/// Knative reads its queue-proxies directly every second: no metrics lag.
public struct KnativePodAutoscaler: Scaler {
    /// `tickInterval`: 2 s.
    public static let tick = 2.0
    /// `stable-window`: 60 s; `panic-window-percentage`: 10 % of it.
    public static let stableWindow = 60, panicWindow = 6
    /// `panic-threshold-percentage`: 200 %.
    public static let panicThreshold = 2.0
    /// `max-scale-up-rate` 1000, `max-scale-down-rate` 2.
    public static let maxScaleUpRate = 1000.0, maxScaleDownRate = 2.0

    public let name: String
    /// Concurrent requests per pod to aim for: 70 % of a container concurrency of 100.
    public let targetConcurrency: Double
    public let minReplicas: Int
    public let maxReplicas: Int
    public var pollInterval: Double { Self.tick }

    /// When panic mode began or was last extended (nil: not panicking), and the most pods asked for in it.
    private var panicTime: Double?
    private var maxPanicPods = 0
    private var started = false

    public init(name: String = "kpa", targetConcurrency: Double = 70, minReplicas: Int, maxReplicas: Int) {
        self.name = name
        self.targetConcurrency = targetConcurrency
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
    }

    public mutating func decide(_ o: Observation) -> ScalerDecision {
        let now = Double(o.time)
        if !started {
            // newAutoscaler: "We always start in the panic mode, if the deployment is scaled up over 1 pod."
            started = true
            if o.readyReplicas > 1 {
                panicTime = now
                maxPanicPods = o.readyReplicas
            }
        }
        guard let stable = o.history.meanConcurrency(o.time - Self.stableWindow, o.time),
              let panic = o.history.meanConcurrency(o.time - Self.panicWindow, o.time) else {
            return ScalerDecision(replicas: o.currentReplicas, reason: "no data to scale on yet")
        }
        let ready = Double(max(1, o.readyReplicas))
        let maxScaleUp = (Self.maxScaleUpRate * ready).rounded(.up)
        let maxScaleDown = (ready / Self.maxScaleDownRate).rounded(.down)
        let dspc = (stable / targetConcurrency).rounded(.up)
        let dppc = (panic / targetConcurrency).rounded(.up)
        let desiredStable = Int(min(max(dspc, maxScaleDown), maxScaleUp))
        let desiredPanic = Int(min(max(dppc, maxScaleDown), maxScaleUp))

        let overPanicThreshold = dppc / ready >= Self.panicThreshold
        if overPanicThreshold {
            panicTime = now
        } else if let since = panicTime, since + Double(Self.stableWindow) < now {
            panicTime = nil
            maxPanicPods = 0
        }
        var desired = desiredStable
        var reason = "stable: concurrency \(Int(stable.rounded())) / \(Int(targetConcurrency)) per pod"
        if panicTime != nil {
            // "We do not scale down while in panic mode. Only increases will be applied."
            desired = max(desired, desiredPanic)
            maxPanicPods = max(maxPanicPods, desired)
            desired = maxPanicPods
            reason = "panic: concurrency \(Int(panic.rounded())) over 6s / \(Int(targetConcurrency)) per pod"
        }
        return ScalerDecision(replicas: min(max(desired, minReplicas), maxReplicas), reason: reason)
    }
}
