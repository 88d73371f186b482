import JSON

/// An `ElasticInferencePool` (group `aiops.example.com`, version `v1alpha2`): the autoscaling and
/// warmup policy for one model-serving Deployment. Every optional field already carries its default
/// (see ``Defaults``).
public struct ElasticInferencePool: Sendable, Hashable {
    /// The API group.
    public static let group = "aiops.example.com"
    /// The served version.
    public static let version = "v1alpha2"
    /// `aiops.example.com/v1alpha2`.
    public static let apiVersion = "\(group)/\(version)"
    /// The kind.
    public static let kind = "ElasticInferencePool"
    /// The resource name in paths.
    public static let plural = "elasticinferencepools"

    /// `metadata.name`.
    public var name: String
    /// The namespace; "default" when the object does not say.
    public var namespace: String
    /// `metadata.uid` (nil in a manifest): owner references name it.
    public var uid: String?
    /// `metadata.generation`: the spec version that status's `observedGeneration` reports on.
    public var generation: Int?
    /// `metadata.resourceVersion` as read (nil in a manifest).
    public var resourceVersion: String?
    /// `spec`, with every default applied.
    public var spec: PoolSpec
    /// What the operator recorded in status to carry decisions across restarts.
    public var state: ScalingState
    /// `status` as read: status writes are made only when they change it.
    public var status: JSONObject

    /// A pool from its parts (``check(_:cache:)`` reads one from an object).
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
    /// The workload to scale, in the pool's namespace (`targetRef.name`, default `modelRef`).
    public var targetName: String
    /// Its kind (`targetRef.apiVersion` and `.kind`; default an `apps/v1` Deployment).
    public var targetKind: WorkloadKind = .deployment
    /// At least this many replicas (1–1000; default 1).
    public var minReplicas: Int
    /// At most this many replicas (≥ `minReplicas`, ≤ 1000).
    public var maxReplicas: Int
    /// `spec.scaleUpThreshold`, as written (SPEC §3; ``ScalingPolicy`` holds it parsed).
    public var scaleUpThreshold: String
    /// `spec.scaleDownThreshold`, as written.
    public var scaleDownThreshold: String
    /// `spec.warmupStrategy`.
    public var warmup: WarmupStrategy
    /// Where metric values come from; nil means the operator-wide default source.
    public var metrics: MetricsSourceSpec?
    /// `spec.behavior`: poll interval, steps, fallback.
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

    /// A warmup strategy; the defaults are none, and `sh -c true` as the pre-pull command.
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
    /// Seconds between decisions (`pollInterval`, 1 s–1 h; default 5 s).
    public var pollIntervalSeconds: Double
    /// `scaleUp`: steps up (default: HPA's scale-up policy).
    public var scaleUp: StepPolicy
    /// `scaleDown`: steps down (default: 1 pod or 10 %, per 60 s, after 300 s).
    public var scaleDown: StepPolicy
    /// `fallback`: nil unless `fallback.replicas` is set.
    public var fallback: FallbackPolicy?

    /// A behavior; every default is ``Defaults``'.
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
    /// Pods per step, at least (≥ 0).
    public var pods: Int
    /// Or this percentage of the replicas stepped from, when larger (rounded up).
    public var percent: Int
    /// Seconds between two steps in this direction, at least.
    public var periodSeconds: Int
    /// Seconds the rule must have held before the first step.
    public var stabilizationWindowSeconds: Int

    /// A step policy.
    public init(pods: Int, percent: Int, periodSeconds: Int, stabilizationWindowSeconds: Int) {
        self.pods = pods
        self.percent = percent
        self.periodSeconds = periodSeconds
        self.stabilizationWindowSeconds = stabilizationWindowSeconds
    }

    /// 4 pods or 100 %, at most every 15 s, at once (HPA's default scale-up).
    public static let defaultScaleUp = StepPolicy(
        pods: Defaults.scaleUpPods, percent: Defaults.scaleUpPercent,
        periodSeconds: Defaults.scaleUpPeriodSeconds, stabilizationWindowSeconds: Defaults.scaleUpStabilizationWindowSeconds)
    /// 1 pod or 10 %, at most every 60 s, after the rule held 300 s (SPEC §4).
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
    /// Decisions in a row without the metrics they need (default 3).
    public var failureThreshold: Int
    /// Replicas to go to then (kept within the bounds).
    public var replicas: Int

    /// A fallback.
    public init(failureThreshold: Int = Defaults.fallbackFailureThreshold, replicas: Int) {
        self.failureThreshold = failureThreshold
        self.replicas = replicas
    }
}

/// `spec.metrics`: the pool's own metrics source (SPEC §6), and the metrics it declares (its
/// preset's and its custom ones), with which series are its model's. Read by the metrics sources.
public struct MetricsSourceSpec: Sendable, Hashable {
    /// `spec.metrics.source`.
    public enum Kind: String, Sendable, Hashable { case prometheus = "Prometheus", podScrape = "PodScrape" }

    /// `source`; nil: the operator-wide default (`--metrics-source`).
    public var kind: Kind?
    /// `prometheus.address`, such as `http://prometheus.monitoring:9090`.
    public var prometheusAddress: String?
    /// `prometheus.queries`: per-metric PromQL templates overriding the defaults (built-in or the pool's own).
    public var prometheusQueries: [MetricName: String]
    /// `podScrape.port` and `.path` (Triton: 8002, /metrics).
    public var scrapePort: Int
    /// `podScrape.path` (default `/metrics`).
    public var scrapePath: String
    /// `podScrape.rateWindow`, seconds: counters become rates and histograms quantiles over at
    /// least this (and 4 poll intervals); default ``Defaults/scrapeRateWindowSeconds``.
    public var scrapeRateWindowSeconds: Double

    /// Seconds of history a reading of this source sums up: the direct scrape's rate window, at
    /// least 4 polls; through Prometheus, its usual `rate(…[1m])` and a 15 s scrape behind it. (The
    /// operator's own source, when `source` is left out, is taken as a direct scrape.)
    public func metricsWindowSeconds(pollInterval: Double) -> Double {
        switch kind {
        case .prometheus?: return max(Defaults.prometheusMetricsWindowSeconds, 4 * pollInterval)
        case .podScrape?, nil: return max(scrapeRateWindowSeconds, 4 * pollInterval)
        }
    }

    /// Seconds before a gauge reading (a count or a share read as it is now, not over a window)
    /// shows a change in the pool: the next poll of a direct scrape; through Prometheus, its 15 s
    /// scrape interval too.
    public func gaugeLagSeconds(pollInterval: Double) -> Double {
        switch kind {
        case .prometheus?: return max(Defaults.prometheusScrapeIntervalSeconds, pollInterval)
        case .podScrape?, nil: return pollInterval
        }
    }

    /// `preset`: the serving stack whose signals the pool reads (vLLM, TGI, Triton); nil: none.
    public var preset: ServerPreset?
    /// `model`: which series are the pool's model (default: `modelRef` on the preset's model label,
    /// else on `model` or `model_name`).
    public var model: ModelMatch
    /// The pool's own metrics: the preset's, then `custom` (a custom one replaces the preset's of the same name).
    public var custom: [CustomMetric]
    /// The metrics the pool's expressions may name: the built-ins and ``custom``.
    public let catalog: MetricCatalog

    /// A metrics spec; the defaults are the operator's source, no preset, no metrics of its own.
    public init(kind: Kind? = nil, prometheusAddress: String? = nil, prometheusQueries: [MetricName: String] = [:],
                scrapePort: Int = Defaults.scrapePort, scrapePath: String = Defaults.scrapePath,
                scrapeRateWindowSeconds: Double = Defaults.scrapeRateWindowSeconds, preset: ServerPreset? = nil,
                model: ModelMatch, custom: [CustomMetric] = []) {
        self.kind = kind
        self.prometheusAddress = prometheusAddress
        self.prometheusQueries = prometheusQueries
        self.scrapePort = scrapePort
        self.scrapePath = scrapePath
        self.scrapeRateWindowSeconds = scrapeRateWindowSeconds
        self.preset = preset
        self.model = model
        var own: [CustomMetric] = []
        for metric in (preset?.metrics ?? []) + custom {
            own.removeAll { $0.name.rawValue.lowercased() == metric.name.rawValue.lowercased() }
            own.append(metric)
        }
        self.custom = own
        catalog = MetricCatalog(custom: own.map(\.name))
    }

    /// The declaration of one of the pool's own metrics; nil for a built-in or an unknown one.
    public func definition(of metric: MetricName) -> CustomMetric? {
        guard !metric.isBuiltIn else { return nil }
        return custom.first { $0.name == metric }
    }
}

extension PoolSpec {
    /// The metrics the pool's expressions may name: the built-ins, and its own when `spec.metrics` declares some.
    public var metricCatalog: MetricCatalog { metrics?.catalog ?? .builtIn }
    /// Which series are the pool's model: `spec.metrics.model`, else `modelRef` on the usual labels.
    public var modelMatch: ModelMatch { metrics?.model ?? ModelMatch(name: modelRef) }
}

/// What the operator keeps in the pool's status so that a restart or a leader change neither
/// resets nor skips a window (SPEC §4 rule 4), nor forgets what the engine learned (issue 13).
public struct ScalingState: Sendable, Hashable {
    /// Since when the scale-up rule has been true without a break; nil when it is not.
    public var scaleUpCandidateSince: Timestamp?
    /// Since when the scale-down rule has been true (and the scale-up rule not) without a break.
    public var scaleDownCandidateSince: Timestamp?
    /// When replicas were last stepped up (bound corrections aside); nil: never.
    public var lastScaleUpTime: Timestamp?
    /// When replicas were last stepped down; nil: never.
    public var lastScaleDownTime: Timestamp?
    /// Polls in a row that had to hold for want of metric values: counted per poll interval since
    /// ``metricsFailingSince``, not per reconcile (SPEC §4 rule 6).
    public var consecutiveMetricFailures: Int
    /// Since when the metrics the rules need have been missing without a break; nil when they are not.
    public var metricsFailingSince: Timestamp?
    /// What the engine has learned about the pool.
    public var learned: LearnedState

    /// A state; the defaults are a new pool's.
    public init(scaleUpCandidateSince: Timestamp? = nil, scaleDownCandidateSince: Timestamp? = nil,
                lastScaleUpTime: Timestamp? = nil, lastScaleDownTime: Timestamp? = nil, consecutiveMetricFailures: Int = 0,
                metricsFailingSince: Timestamp? = nil, learned: LearnedState = LearnedState()) {
        self.scaleUpCandidateSince = scaleUpCandidateSince
        self.scaleDownCandidateSince = scaleDownCandidateSince
        self.lastScaleUpTime = lastScaleUpTime
        self.lastScaleDownTime = lastScaleDownTime
        self.consecutiveMetricFailures = consecutiveMetricFailures
        self.metricsFailingSince = metricsFailingSince
        self.learned = learned
    }

    /// The state as status fields. Absent times are written as null, so that a merge patch clears
    /// them; `learned` is written whole.
    public var statusFields: JSONObject {
        func time(_ t: Timestamp?) -> JSONValue { t.map { .string($0.rfc3339) } ?? .null }
        var o = JSONObject()
        o["scaleUpCandidateSince"] = time(scaleUpCandidateSince)
        o["scaleDownCandidateSince"] = time(scaleDownCandidateSince)
        if let t = lastScaleUpTime { o["lastScaleUpTime"] = .string(t.rfc3339) }
        if let t = lastScaleDownTime { o["lastScaleDownTime"] = .string(t.rfc3339) }
        o["consecutiveMetricFailures"] = .integer(consecutiveMetricFailures)
        o["metricsFailingSince"] = time(metricsFailingSince)
        o["learned"] = .object(learned.statusFields)
        return o
    }
}
