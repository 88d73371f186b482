/// A validated pool's policy with its expressions parsed: everything the decision engine reads
/// from the pool. Built by ``ElasticInferencePool/check(_:cache:)``.
public struct ScalingPolicy: Sendable, Hashable {
    /// `spec.minReplicas`.
    public let minReplicas: Int
    /// `spec.maxReplicas`.
    public let maxReplicas: Int
    /// `spec.scaleUpThreshold`, parsed.
    public let scaleUp: ThresholdExpression
    /// `spec.scaleDownThreshold`, parsed.
    public let scaleDown: ThresholdExpression
    /// `spec.behavior`.
    public let behavior: ScalingBehavior
    /// `spec.paused`.
    public let paused: Bool
    /// Comparisons of the scale-up rule that allow a proportional estimate: `gpu.util` or `qps`
    /// compared with `>`/`>=` and not under a `!`.
    let proportionalClauses: [Comparison]
    /// Comparisons of the scale-up rule that fire on a value too high (`>`/`>=`, not under a `!`),
    /// with a positive threshold: what "healthy with headroom" and "a breach far past the threshold" are measured against.
    let breachClauses: [Comparison]

    /// Seconds of history one metric reading sums up (``MetricsSourceSpec/metricsWindowSeconds(pollInterval:)``):
    /// how long the engine waits before a breach is the pool's as it is now, and before a healthy
    /// reading says what the replicas serve.
    public let metricsWindowSeconds: Double
    /// Seconds before a gauge (a count or a share, read as it is now) shows a change
    /// (``MetricsSourceSpec/gaugeLagSeconds(pollInterval:)``): how long a blind step on a gauge's
    /// breach waits for its replicas to show.
    public let gaugeLagSeconds: Double

    /// A policy from its parts (``ElasticInferencePool/check(_:cache:)`` builds one from a pool);
    /// `metricsWindowSeconds` defaults to the direct scrape's, max(30 s, 4 polls), and
    /// `gaugeLagSeconds` to one poll.
    public init(minReplicas: Int, maxReplicas: Int, scaleUp: ThresholdExpression, scaleDown: ThresholdExpression,
                behavior: ScalingBehavior = ScalingBehavior(), paused: Bool = false, metricsWindowSeconds: Double? = nil,
                gaugeLagSeconds: Double? = nil) {
        self.metricsWindowSeconds = metricsWindowSeconds ?? max(Defaults.scrapeRateWindowSeconds, 4 * behavior.pollIntervalSeconds)
        self.gaugeLagSeconds = gaugeLagSeconds ?? behavior.pollIntervalSeconds
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.scaleUp = scaleUp
        self.scaleDown = scaleDown
        self.behavior = behavior
        self.paused = paused
        var breaches: [Comparison] = []
        func walk(_ node: ThresholdExpression.Node, negated: Bool) {
            switch node {
            case .not(let inner): walk(inner, negated: !negated)
            case .and(let a, let b), .or(let a, let b): walk(a, negated: negated); walk(b, negated: negated)
            case .comparison(let i):
                let c = scaleUp.comparisons[i]
                if !negated, c.op == .greater || c.op == .greaterOrEqual, c.threshold.value > 0 {
                    breaches.append(c)
                }
            }
        }
        walk(scaleUp.root, negated: false)
        breachClauses = breaches
        proportionalClauses = breaches.filter { $0.metric == .gpuUtil || $0.metric == .qps }
        var all = scaleUp.metrics
        for m in scaleDown.metrics where !all.contains(m) { all.append(m) }
        metrics = all
    }

    /// The metrics either rule reads.
    public let metrics: [MetricName]
}

/// One metric value in its canonical unit (seconds, fraction, requests/s), when the source sampled
/// it, and when the operator read it.
public struct MetricReading: Sendable, Hashable {
    /// In the metric's canonical unit: seconds, a fraction 0–1, requests/s.
    public var value: Double
    /// When the value was sampled, by the source's clock (a scrape's time, a query's evaluation time).
    public var sampledAt: Timestamp
    /// When the operator read it, by the operator's clock. Freshness is judged by this (issue 13 §4):
    /// a source whose clock runs behind the operator's must not make every value stale.
    public var readAt: Timestamp

    /// A reading; `readAt` defaults to `sampledAt` (a source on the operator's own clock).
    public init(value: Double, sampledAt: Timestamp, readAt: Timestamp? = nil) {
        self.value = value
        self.sampledAt = sampledAt
        self.readAt = readAt ?? sampledAt
    }

    /// Seconds the source's clock is behind the operator's at this reading (negative: ahead).
    public var clockSkew: Double { readAt.seconds(since: sampledAt) }
}

/// What a metrics source returned for one pool: the values it could read, and why it could not
/// read the rest (a missing metric is unknown, never zero).
public struct MetricSample: Sendable, Hashable {
    /// The values read, by metric (a metric without a value is absent, never zero).
    public var readings: [MetricName: MetricReading]
    /// Why the source failed, if it failed as a whole (connection refused, bad response, …).
    public var failure: String?
    /// Why a metric the source was asked for has no reading (an empty query result, no matching
    /// series, a first scrape that has no rate yet).
    public var unknownReasons: [MetricName: String]
    /// Which source answered, for status and logs: `PodScrape 3/4 pods`, `Prometheus http://…`.
    public var source: String?
    /// The source is healthy and counted no request over its window (issue 13 §4): latencies have no
    /// value because nothing was served, not because reading failed. Idle is not a failure, and the
    /// rules read a latency comparison as satisfied when it asks for low latency and as not breached
    /// when it asks for high (``ThresholdExpression/evaluate(_:idle:)``).
    public var idle: Bool
    /// The request rate over the source's shortest window (the last scrape interval of a direct
    /// scrape), requests/s: the demand the engine sizes from. Nil: it uses `qps`.
    public var demand: MetricReading?

    /// A sample; the default has nothing (every metric unknown).
    public init(readings: [MetricName: MetricReading] = [:], failure: String? = nil,
                unknownReasons: [MetricName: String] = [:], source: String? = nil, idle: Bool = false, demand: MetricReading? = nil) {
        self.readings = readings
        self.failure = failure
        self.unknownReasons = unknownReasons
        self.source = source
        self.idle = idle
        self.demand = demand
    }

    /// Whether fixed values describe an idle pool: a request rate of zero and no latency (as
    /// `--metrics 'qps=0,gpu.util=2%'` and `--static-metrics` give them).
    public static func isIdle(_ readings: [MetricName: MetricReading]) -> Bool {
        readings[.qps]?.value == 0 && !readings.keys.contains { $0.kind == .duration }
    }

    /// The largest clock skew between the source and the operator, seconds (positive: the source is
    /// behind), when some reading has one of more than a second; nil otherwise.
    public var clockSkew: Double? {
        let skew = readings.values.map(\.clockSkew).max { abs($0) < abs($1) } ?? 0
        return abs(skew) > 1 ? skew : nil
    }

    /// The values fresh at `now`: a reading the operator read more than `maxAge` seconds ago, NaN or
    /// infinite is unknown.
    public func freshValues(at now: Timestamp, maxAge: Double) -> (values: MetricValues, stale: [MetricName]) {
        var values = MetricValues()
        var stale: [MetricName] = []
        for (name, reading) in readings {
            if now.seconds(since: reading.readAt) > maxAge {
                stale.append(name)
            } else {
                values[name] = reading.value
            }
        }
        return (values, stale.sorted())
    }
}

/// The target Deployment as the decision sees it.
public struct TargetSnapshot: Sendable, Hashable {
    /// The Deployment's name.
    public var name: String
    /// `spec.replicas` (1 when unset, as the API server defaults it).
    public var currentReplicas: Int
    /// `status.readyReplicas`.
    public var readyReplicas: Int
    /// Other autoscalers that target the same Deployment, as `Kind/name`.
    public var otherAutoscalers: [String]

    /// A snapshot.
    public init(name: String, currentReplicas: Int, readyReplicas: Int, otherAutoscalers: [String] = []) {
        self.name = name
        self.currentReplicas = currentReplicas
        self.readyReplicas = readyReplicas
        self.otherAutoscalers = otherAutoscalers
    }

    /// Replicas that exist but are not ready yet: capacity on its way.
    public var warmingReplicas: Int { max(0, currentReplicas - readyReplicas) }
}
