import LoadModel

/// The settings every scaler of one comparison shares.
public struct SimulationSettings: Sendable, Hashable {
    /// The server and its cold start.
    public var profile: ServerProfile
    /// The latency SLO on the pool's true P90, seconds (LOADMODEL.md's standard runs: 200 ms).
    public var slo: Double
    /// Replicas Ready at the start (the pool's `minReplicas`).
    public var initialReplicas: Int

    public init(profile: ServerProfile = .h100BERT, slo: Double = 0.2, initialReplicas: Int) {
        self.profile = profile
        self.slo = slo
        self.initialReplicas = initialReplicas
    }
}

/// One scaler's run over a trace: its scores, the per-second series behind them, and its scale events.
public struct ScalerRun: Sendable {
    /// The scaler's name (``Scaler/name``).
    public let name: String
    public let scores: Scores
    public let series: RunSeries
    public let events: [ScaleEvent]

    /// A run recorded elsewhere (the live demo's), to score, report and plot as a simulated one.
    public init(name: String, scores: Scores, series: RunSeries, events: [ScaleEvent]) {
        self.name = name
        self.scores = scores
        self.series = series
        self.events = events
    }
}

/// A change of the replica count asked for, with the scaler's reason.
public struct ScaleEvent: Sendable, Hashable {
    /// The second of the run, and the replica counts before and after.
    public let time: Int
    public let from: Int
    public let to: Int
    public let reason: String

    public init(time: Int, from: Int, to: Int, reason: String) {
        self.time = time
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// Per-second series of a run (index = second).
public struct RunSeries: Sendable {
    /// Offered load, requests/s.
    public var demand: [Double] = []
    /// Requests served (per second).
    public var served: [Double] = []
    /// Requests that gave up (per second).
    public var dropped: [Double] = []
    /// Replicas asked for, which exist at once (ready or starting).
    public var replicas: [Int] = []
    /// Replicas Ready.
    public var ready: [Int] = []
    /// The pool's true P90, seconds.
    public var p90: [Double] = []

    public init() {}

    /// The series of recorded ticks (one per second), as ``Simulator`` records them.
    public init(ticks: [PoolTick]) {
        demand = ticks.map(\.demand)
        served = ticks.map(\.served)
        dropped = ticks.map(\.dropped)
        replicas = ticks.map(\.replicas)
        ready = ticks.map(\.ready)
        p90 = ticks.map(\.p90)
    }
}

/// Runs scalers against the load model, one second at a time (LOADMODEL.md): at each of a scaler's
/// polls it decides from what it can see, the replicas it asks for start (ready after the cold
/// start), then the second's traffic is served.
///
/// Before second 0 the pool has served the trace's first rate on its initial replicas for
/// ``warmUpSeconds``, so that every metrics pipeline has full windows at the first poll, as in a
/// system that was running: an empty history would blind the anchors for their first 75 s and read
/// as a failing source to the engine (tripping a pool's fallback). The warm-up is not scored.
public enum Simulator {
    /// Seconds of history before second 0: more than any window plus lag (Prometheus 15 s + 60 s,
    /// KPA 60 s, the direct scrape's 4 polls up to a 2 min poll).
    public static let warmUpSeconds = 600

    /// Runs `scaler` over `trace` and scores it.
    public static func run(_ scaler: some Scaler, trace: Trace, settings: SimulationSettings) -> ScalerRun {
        var scaler = scaler
        let seconds = trace.duration
        let warmUp = Self.warmUpSeconds
        var pool = PoolModel(profile: settings.profile, readyReplicas: settings.initialReplicas, at: -Double(warmUp))
        var history = PoolHistory(start: -warmUp, reservingCapacity: warmUp + seconds)
        for t in -warmUp..<0 { history.append(pool.step(at: Double(t), demand: trace.demand.first ?? 0)) }
        var series = RunSeries()
        series.replicas.reserveCapacity(seconds)
        series.ready.reserveCapacity(seconds)
        series.p90.reserveCapacity(seconds)
        series.served.reserveCapacity(seconds)
        series.dropped.reserveCapacity(seconds)
        var score = ScoreAccumulator(slo: settings.slo)
        var events: [ScaleEvent] = []
        let interval = max(scaler.pollInterval, 0.001)
        var nextPoll = 0.0

        for t in 0..<seconds {
            if Double(t) >= nextPoll {
                while nextPoll <= Double(t) { nextPoll += interval }
                let observation = Observation(time: t, currentReplicas: pool.count, readyReplicas: pool.readyCount(at: Double(t)), history: history)
                let decision = scaler.decide(observation)
                let target = max(0, decision.replicas)
                if target != pool.count {
                    events.append(ScaleEvent(time: t, from: pool.count, to: target, reason: decision.reason))
                    pool.scale(to: target, at: Double(t))
                }
            }
            let tick = pool.step(at: Double(t), demand: trace.demand[t])
            history.append(tick)
            score.add(tick)
            series.replicas.append(tick.replicas)
            series.ready.append(tick.ready)
            series.p90.append(tick.p90)
            series.served.append(tick.served)
            series.dropped.append(tick.dropped)
        }
        series.demand = trace.demand
        return ScalerRun(name: scaler.name, scores: score.scores(scaleEvents: events.count), series: series, events: events)
    }
}
