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
    /// Direct scrape: the path (Triton's and most exporters').
    public static let scrapePath = "/metrics"
    /// Direct scrape: seconds each pod has to answer. Prometheus' default `scrape_timeout` is 10 s,
    /// but a decision waits on the slowest pod, and a 5 s poll must not be held up by one: 2 s.
    public static let scrapeTimeoutSeconds = 2.0
    /// Direct scrape and Prometheus answers: the largest body read. A Triton exposition for a handful
    /// of models is 10–20 KB; 16 MiB is a thousand times that, so only a runaway pod reaches it, and
    /// it cannot take the operator's memory with it.
    public static let metricsResponseMaximumBytes = 16 << 20
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
    /// The pre-pull DaemonSet's pause container (operator flag `--pause-image`): the image the
    /// kubelet itself uses for pod sandboxes in Kubernetes 1.27–1.30, so it is usually cached already.
    public static let pauseImage = "registry.k8s.io/pause:3.9"
    /// Label on the pre-pull DaemonSet and its pods: the pool's name.
    public static let prePullPoolLabel = "aiops.example.com/prepull-pool"
    /// Annotation on the pre-pull DaemonSet: a fingerprint of the spec the operator wrote.
    public static let prePullSpecHashAnnotation = "aiops.example.com/prepull-spec-hash"
    /// The pool finalizer that removes the operator's init containers from the Deployment first.
    public static let warmupFinalizer = "aiops.example.com/warmup-cleanup"
    /// Failed cleanup attempts (a forbidden or failing write) after which a deleted pool is let go
    /// anyway, with a warning Event: a finalizer must never hold a deletion forever. With the work
    /// queue's backoff (5 ms doubling, client-go's) 12 attempts span about 10 s (5 ms × (2¹¹ − 1)),
    /// long enough to ride out an API server restart; what is left behind is named in the Event.
    public static let cleanupAttempts = 12
}
