/// Every default the operator applies, in one table, with where each number comes from.
/// A pool that leaves a field out gets the value here; `eipctl reconcile --dry-run` shows the result.
public enum Defaults {
    // MARK: Replicas (SPEC §2)

    /// `spec.minReplicas`: 1, as HPA's `minReplicas` defaults to 1.
    public static let minReplicas = 1
    /// Upper limit on `spec.maxReplicas` (SPEC §2): keeps a typo from asking for 10,000 GPUs.
    public static let maxReplicasLimit = 1000

    // MARK: Decision cadence

    /// `spec.behavior.pollInterval`: 5 s (SPEC §2). HPA syncs every 15 s, KEDA polls every 30 s.
    public static let pollIntervalSeconds = 5.0
    /// Smallest accepted poll interval: 1 s (ANCHORS: "poll 5 s default, 1 s possible").
    public static let minimumPollIntervalSeconds = 1.0
    /// A metric value older than this many poll intervals is unknown (SPEC §6).
    public static let staleAfterPollIntervals = 2.0

    // MARK: Scale up (SPEC §4 rule 3; the same shape as HPA's default scale-up behavior)

    /// `scaleUp.pods`: add at least 4 pods per step (HPA default policy: 4 pods per 15 s).
    public static let scaleUpPods = 4
    /// `scaleUp.percent`: or 100% of the ready replicas, whichever is larger (HPA default policy: 100% per 15 s).
    public static let scaleUpPercent = 100
    /// `scaleUp.periodSeconds`: at most one step per 15 s (HPA's policy period).
    public static let scaleUpPeriodSeconds = 15
    /// `scaleUp.stabilizationWindowSeconds`: 0, scale up at once (HPA's scale-up default).
    public static let scaleUpStabilizationWindowSeconds = 0

    // MARK: Scale down (SPEC §4 rule 4)

    /// `scaleDown.pods`: remove at least 1 pod per step (SPEC §4).
    public static let scaleDownPods = 1
    /// `scaleDown.percent`: or 10% of the current replicas, whichever is larger (SPEC §4).
    public static let scaleDownPercent = 10
    /// `scaleDown.periodSeconds`: at most one step per 60 s (SPEC §4; slower than HPA's 15 s
    /// because a GPU replica given back is minutes away from coming back).
    public static let scaleDownPeriodSeconds = 60
    /// `scaleDown.stabilizationWindowSeconds`: the rule must hold for 300 s (HPA's default window).
    public static let scaleDownStabilizationWindowSeconds = 300

    // MARK: Fallback (SPEC §4 rule 6; KEDA's `fallback` block)

    /// `fallback.failureThreshold`: 3 consecutive failed reads, as in KEDA's fallback examples.
    public static let fallbackFailureThreshold = 3

    // MARK: Metrics sources (SPEC §6)

    /// Direct scrape: Triton's metrics port and path.
    public static let scrapePort = 8002
    public static let scrapePath = "/metrics"
    /// Direct scrape: seconds each pod has to answer. Prometheus' default `scrape_timeout` is 10 s,
    /// but a decision waits on the slowest pod, and a 5 s poll must not be held up by one: 2 s.
    public static let scrapeTimeoutSeconds = 2.0
    /// Direct scrape: counters become rates over at least this window (or 4 poll intervals, when
    /// longer). 30 s is `rate()` over 2 of Prometheus' 15 s scrapes, the shortest window Prometheus
    /// advises; at a 5 s poll it spans 6 scrapes, enough to smooth one pod's jitter.
    public static let scrapeRateWindowSeconds = 30.0
    /// Prometheus HTTP API: seconds a query may take (the API's own `timeout` parameter is set to
    /// it too). Prometheus' default query timeout is 2 min; a decision cannot wait that long.
    public static let prometheusQueryTimeoutSeconds = 5.0

    // MARK: Warmup (SPEC §5)

    /// The Deployment annotation that lists the init containers the operator owns.
    public static let ownedInitContainersAnnotation = "aiops.example.com/owned-init-containers"
    /// The command each pre-pull init container runs: exit at once; the pull is the point.
    public static let prePullCommand = ["sh", "-c", "true"]
}
