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
    /// Counted per poll interval, not per reconcile (KEDA counts per polling cycle, keda#6053): a
    /// rollout that triggers extra reconciles does not bring fallback sooner.
    public static let fallbackFailureThreshold = 3

    // MARK: Sizing from what the pool has learned (issue 13)

    /// Healthy for learning capacity: a latency clause of the scale-up rule at no more than half its
    /// threshold. Latency grows without bound as a server nears saturation (queueing), so the
    /// throughput seen at half the latency limit still leaves room before the limit; a rate seen at
    /// the limit itself would leave none.
    public static let healthyLatencyFraction = 0.5
    /// Healthy for learning capacity: a utilisation or rate clause of the scale-up rule at no more
    /// than 90 % of its threshold. These grow in proportion to load, so a tenth below the limit is
    /// already a tenth of headroom.
    public static let healthyProportionalFraction = 0.9
    /// The learned capacity halves without new evidence in a day. Slow on purpose: it is a lower
    /// bound that only healthy polls raise; a slower model or hardware shows at once as a breach
    /// with every replica Ready, which cuts it immediately (``CapacityEstimate``).
    public static let capacityHalfLifeSeconds = 86_400.0
    /// Replicas are sized for demand at 100 % of the learned capacity: that capacity was itself
    /// observed with latency at most half its threshold, which is the headroom; sizing below it
    /// would keep replicas from ever running at the rate that raises the estimate.
    public static let capacityTargetUtilization = 1.0
    /// Cold start assumed before this pool has measured one: half a minute, between a small model's
    /// few seconds (H100 calibration: 4–8 s to the first inference) and the minutes of a large image
    /// and weights. Replaced by the median of measured scale-ups after the first.
    public static let coldStartPriorSeconds = 30.0
    /// Scale-ups kept for the cold-start median: five, so one slow node does not move it.
    public static let coldStartSamples = 5
    /// The demand trend's fast average spans a minute (its slow one four): a minute averages the
    /// per-second noise of a busy service to a few tenths of a percent, and still follows a ramp
    /// that a two-minute cold start has to meet.
    public static let demandTrendSeconds = 60.0
    /// A trend counts when the averages' gap is three standard deviations of the fast average's
    /// noise: noise alone gets there about once in a thousand polls.
    public static let trendSignificance = 3.0
    /// Fast path: a latency clause of the scale-up rule at twice its threshold or more is a sudden
    /// breach, acted on at the poll it is seen instead of after `scaleUp.periodSeconds`. Twice the
    /// threshold is past any breach a step period would correct by itself (the period exists to let
    /// the last step show), and far past noise.
    public static let fastPathFactor = 2.0
    /// A demand jump: the request rate grew by more than four times its noise since the last poll,
    /// and by a tenth at least. A busy service's per-second noise of a few percent averages to about
    /// 2 % over a 5 s poll, so a tenth is several standard deviations even before the trend has
    /// measured the noise.
    public static let demandJumpNoiseMultiple = 4.0
    /// The least rise in one poll that is a jump, as a fraction of the previous demand.
    public static let demandJumpMinimumFraction = 0.1

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
    /// Through Prometheus, a reading sums up its queries' `rate(…[1m])` and the scrape interval (15 s,
    /// Prometheus' usual) it lags by: 75 s. The engine waits this long before it reads a breach as
    /// the pool's own (its query templates may say otherwise; this is the presets').
    public static let prometheusMetricsWindowSeconds = 75.0
    /// Through Prometheus, a gauge (requests waiting, KV-cache use, GPU utilisation) shows a change
    /// one scrape interval later: Prometheus' usual 15 s. A direct scrape reads it at the next poll.
    public static let prometheusScrapeIntervalSeconds = 15.0
    /// Prometheus HTTP API: seconds a query may take (the API's own `timeout` parameter is set to
    /// it too). Prometheus' default query timeout is 2 min; a decision cannot wait that long.
    public static let prometheusQueryTimeoutSeconds = 5.0

    // MARK: Warmup (SPEC §5)

    /// The Deployment annotation that lists the init containers the operator owns.
    public static let ownedInitContainersAnnotation = "aiops.example.com/owned-init-containers"
    /// The operator's field manager: the `fieldManager` of every write it makes, so its fields show
    /// as its own in `metadata.managedFields` (the warmup's init containers and annotation as an
    /// `Apply`; `spec.replicas` through `scale` and the pool's status as `Update`s), and GitOps tools
    /// can be told to ignore them (Argo CD's `managedFieldsManagers`).
    public static let fieldManager = "eip-operator"
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
