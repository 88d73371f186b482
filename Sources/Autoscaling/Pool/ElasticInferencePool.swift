import JSON

/// An `ElasticInferencePool` (group `aiops.example.com`, version `v1alpha2`): the autoscaling and
/// warmup policy for one model-serving Deployment. Every optional field already carries its default
/// (see ``Defaults``).
public struct ElasticInferencePool: Sendable, Hashable {
    public static let group = "aiops.example.com"
    public static let version = "v1alpha2"
    public static let apiVersion = "\(group)/\(version)"
    public static let kind = "ElasticInferencePool"
    public static let plural = "elasticinferencepools"

    public var name: String
    /// The namespace; "default" when the object does not say.
    public var namespace: String
    public var uid: String?
    public var generation: Int?
    public var resourceVersion: String?
    public var spec: PoolSpec
    /// What the operator recorded in status to carry decisions across restarts.
    public var state: ScalingState
    /// `status` as read: status writes are made only when they change it.
    public var status: JSONObject

    public init(name: String, namespace: String, uid: String? = nil, generation: Int? = nil, resourceVersion: String? = nil,
                spec: PoolSpec, state: ScalingState = ScalingState(), status: JSONObject = [:]) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.generation = generation
        self.resourceVersion = resourceVersion
        self.spec = spec
        self.state = state
        self.status = status
    }
}

/// `spec` of a pool.
public struct PoolSpec: Sendable, Hashable {
    /// The model served by the pool.
    public var modelRef: String
    /// The Deployment to scale, in the pool's namespace (`targetRef.name`, default `modelRef`).
    public var targetName: String
    public var minReplicas: Int
    public var maxReplicas: Int
    /// Threshold expressions as written (SPEC §3).
    public var scaleUpThreshold: String
    public var scaleDownThreshold: String
    public var warmup: WarmupStrategy
    /// Where metric values come from; nil means the operator-wide default source.
    public var metrics: MetricsSourceSpec?
    public var behavior: ScalingBehavior
    /// Stop changing replicas; keep reporting.
    public var paused: Bool
}

/// `spec.warmupStrategy` (SPEC §5).
public struct WarmupStrategy: Sendable, Hashable {
    /// core/v1 Container objects placed after the Deployment's own init containers, in this order.
    public var initContainers: [JSONObject]
    /// Images pre-pulled onto the nodes the target may run on.
    public var preloadedImages: [String]
    /// The command each pre-pull init container runs (default `sh -c true`).
    public var prePullCommand: [String]

    public init(initContainers: [JSONObject] = [], preloadedImages: [String] = [], prePullCommand: [String] = Defaults.prePullCommand) {
        self.initContainers = initContainers
        self.preloadedImages = preloadedImages
        self.prePullCommand = prePullCommand
    }

    /// The names of the init containers, in order.
    public var initContainerNames: [String] { initContainers.compactMap { $0["name"]?.stringValue } }
}

/// `spec.behavior` (SPEC §4).
public struct ScalingBehavior: Sendable, Hashable {
    public var pollIntervalSeconds: Double
    public var scaleUp: StepPolicy
    public var scaleDown: StepPolicy
    public var fallback: FallbackPolicy?

    public init(pollIntervalSeconds: Double = Defaults.pollIntervalSeconds, scaleUp: StepPolicy = .defaultScaleUp,
                scaleDown: StepPolicy = .defaultScaleDown, fallback: FallbackPolicy? = nil) {
        self.pollIntervalSeconds = pollIntervalSeconds
        self.scaleUp = scaleUp
        self.scaleDown = scaleDown
        self.fallback = fallback
    }
}

/// How far and how often one direction may step: by the larger of `pods` and `percent`,
/// at most once per `periodSeconds`, after the rule has held for `stabilizationWindowSeconds`.
public struct StepPolicy: Sendable, Hashable {
    public var pods: Int
    public var percent: Int
    public var periodSeconds: Int
    public var stabilizationWindowSeconds: Int

    public init(pods: Int, percent: Int, periodSeconds: Int, stabilizationWindowSeconds: Int) {
        self.pods = pods
        self.percent = percent
        self.periodSeconds = periodSeconds
        self.stabilizationWindowSeconds = stabilizationWindowSeconds
    }

    public static let defaultScaleUp = StepPolicy(
        pods: Defaults.scaleUpPods, percent: Defaults.scaleUpPercent,
        periodSeconds: Defaults.scaleUpPeriodSeconds, stabilizationWindowSeconds: Defaults.scaleUpStabilizationWindowSeconds)
    public static let defaultScaleDown = StepPolicy(
        pods: Defaults.scaleDownPods, percent: Defaults.scaleDownPercent,
        periodSeconds: Defaults.scaleDownPeriodSeconds, stabilizationWindowSeconds: Defaults.scaleDownStabilizationWindowSeconds)

    /// The step from `base` replicas: the larger of `pods` and `percent` of base (rounded up).
    public func step(from base: Int) -> Int {
        max(pods, (base * percent + 99) / 100)
    }
}

/// `behavior.fallback`: replicas to go to after this many consecutive metric failures (KEDA's shape).
public struct FallbackPolicy: Sendable, Hashable {
    public var failureThreshold: Int
    public var replicas: Int

    public init(failureThreshold: Int = Defaults.fallbackFailureThreshold, replicas: Int) {
        self.failureThreshold = failureThreshold
        self.replicas = replicas
    }
}

/// `spec.metrics`: the pool's own metrics source (SPEC §6). Read by the metrics sources.
public struct MetricsSourceSpec: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case prometheus = "Prometheus", podScrape = "PodScrape" }

    public var kind: Kind
    /// `prometheus.address`, such as `http://prometheus.monitoring:9090`.
    public var prometheusAddress: String?
    /// `prometheus.queries`: per-metric PromQL templates overriding the defaults.
    public var prometheusQueries: [MetricName: String]
    /// `podScrape.port` and `.path` (Triton: 8002, /metrics).
    public var scrapePort: Int
    public var scrapePath: String
}

/// What the operator keeps in the pool's status so that a restart or a leader change neither
/// resets nor skips a window (SPEC §4 rule 4).
public struct ScalingState: Sendable, Hashable {
    /// Since when the scale-up rule has been true without a break; nil when it is not.
    public var scaleUpCandidateSince: Timestamp?
    /// Since when the scale-down rule has been true (and the scale-up rule not) without a break.
    public var scaleDownCandidateSince: Timestamp?
    public var lastScaleUpTime: Timestamp?
    public var lastScaleDownTime: Timestamp?
    /// Decisions in a row that had to hold for want of metric values.
    public var consecutiveMetricFailures: Int

    public init(scaleUpCandidateSince: Timestamp? = nil, scaleDownCandidateSince: Timestamp? = nil,
                lastScaleUpTime: Timestamp? = nil, lastScaleDownTime: Timestamp? = nil, consecutiveMetricFailures: Int = 0) {
        self.scaleUpCandidateSince = scaleUpCandidateSince
        self.scaleDownCandidateSince = scaleDownCandidateSince
        self.lastScaleUpTime = lastScaleUpTime
        self.lastScaleDownTime = lastScaleDownTime
        self.consecutiveMetricFailures = consecutiveMetricFailures
    }

    /// The state as status fields (absent values left out).
    public var statusFields: JSONObject {
        var o = JSONObject()
        if let t = scaleUpCandidateSince { o["scaleUpCandidateSince"] = .string(t.rfc3339) }
        if let t = scaleDownCandidateSince { o["scaleDownCandidateSince"] = .string(t.rfc3339) }
        if let t = lastScaleUpTime { o["lastScaleUpTime"] = .string(t.rfc3339) }
        if let t = lastScaleDownTime { o["lastScaleDownTime"] = .string(t.rfc3339) }
        o["consecutiveMetricFailures"] = .integer(consecutiveMetricFailures)
        return o
    }
}
