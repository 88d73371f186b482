import LoadModel

/// How a scaler did over a run (LOADMODEL.md, "Scores").
public struct Scores: Sendable, Hashable {
    /// Seconds in which the pool's true P90 exceeded the SLO.
    public let sloViolationSeconds: Int
    /// The sum over seconds of replicas that existed (ready or starting): the GPU bill.
    public let replicaSeconds: Int
    /// Changes of the replica count asked for; each is a cold start or a killed pod.
    public let scaleEvents: Int
    /// Requests offered over the run.
    public let offeredRequests: Double
    /// Requests that gave up waiting.
    public let droppedRequests: Double
    /// The most replicas that existed at once.
    public let peakReplicas: Int

    /// The scores of recorded ticks (one per second): a run measured rather than simulated, such as
    /// the live demo's, scored exactly as ``Simulator`` scores its own.
    public init(ticks: [PoolTick], slo: Double, scaleEvents: Int) {
        var accumulator = ScoreAccumulator(slo: slo)
        for tick in ticks { accumulator.add(tick) }
        self = accumulator.scores(scaleEvents: scaleEvents)
    }

    init(sloViolationSeconds: Int, replicaSeconds: Int, scaleEvents: Int, offeredRequests: Double, droppedRequests: Double, peakReplicas: Int) {
        self.sloViolationSeconds = sloViolationSeconds
        self.replicaSeconds = replicaSeconds
        self.scaleEvents = scaleEvents
        self.offeredRequests = offeredRequests
        self.droppedRequests = droppedRequests
        self.peakReplicas = peakReplicas
    }

    /// `replicaSeconds` as GPU-hours (one GPU per replica).
    public var gpuHours: Double { Double(replicaSeconds) / 3600 }

    /// Dropped requests as a percentage of those offered.
    public var droppedPercent: Double { offeredRequests > 0 ? 100 * droppedRequests / offeredRequests : 0 }
}

/// Adds up the scores tick by tick.
struct ScoreAccumulator {
    let slo: Double
    var violations = 0
    var replicaSeconds = 0
    var offered = 0.0
    var dropped = 0.0
    var peak = 0

    init(slo: Double) { self.slo = slo }

    mutating func add(_ tick: PoolTick) {
        if tick.p90 > slo { violations += 1 }
        replicaSeconds += tick.replicas
        offered += tick.demand
        dropped += tick.dropped
        peak = max(peak, tick.replicas)
    }

    func scores(scaleEvents: Int) -> Scores {
        Scores(sloViolationSeconds: violations, replicaSeconds: replicaSeconds, scaleEvents: scaleEvents,
               offeredRequests: offered, droppedRequests: dropped, peakReplicas: peak)
    }
}
