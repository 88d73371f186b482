#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JSON

/// What the engine learns about a pool from its own history (issue 13), kept in `status.learned`
/// so that a restart or a leader change keeps it: how much traffic one ready replica serves with
/// latency healthy, how long its replicas take to become Ready, and where demand is heading.
///
/// Every number is stored as status writes it (six significant digits, whole-second times), so a
/// decision made from the state read back from status is the decision made from the state in memory,
/// and a steady pool's state settles on fixed numbers (no status write per poll for its last digits).
public struct LearnedState: Sendable, Hashable {
    /// Requests/s one ready replica serves with latency healthy; nil until a healthy poll was seen.
    public var capacity: CapacityEstimate?
    /// How long this pool's scale-ups took to become Ready.
    public var coldStart: ColdStartEstimate
    /// The demand's level and trend; nil until a poll had a request rate.
    public var demand: DemandTrend?
    /// The last scale-up still waiting for its replicas to be Ready (to measure the cold start).
    public var pendingScaleUp: PendingScaleUp?
    /// Since when every replica has been Ready (the metrics window then shows this capacity); nil while some start.
    public var readySince: Timestamp?
    /// The demand (requests/s) of the previous poll, to see a sudden jump.
    public var lastDemand: Double?
    /// The demand a fast-path scale-up sized for, beyond what was seen: replicas asked for it that
    /// are still starting are given back if the jump stops short of it (``ScalingDecision/Reason/trimStarting``).
    public var surgeForecast: Double?

    /// A pool that has learned nothing yet.
    public init(capacity: CapacityEstimate? = nil, coldStart: ColdStartEstimate = ColdStartEstimate(), demand: DemandTrend? = nil,
                pendingScaleUp: PendingScaleUp? = nil, readySince: Timestamp? = nil, lastDemand: Double? = nil, surgeForecast: Double? = nil) {
        self.capacity = capacity
        self.coldStart = coldStart
        self.demand = demand
        self.pendingScaleUp = pendingScaleUp
        self.readySince = readySince
        self.lastDemand = lastDemand
        self.surgeForecast = surgeForecast
    }

    /// Seconds every replica has been Ready at `now`; 0 while some are starting.
    public func settledSeconds(at now: Timestamp) -> Double {
        readySince.map { max(0, now.seconds(since: $0)) } ?? 0
    }
}

/// The request rate one ready replica serves while latency is healthy (issue 13 §1): the highest
/// `qps / ready` seen while the scale-up rule was false and every clause of it had headroom (a
/// latency under half its threshold, a utilisation or rate under 90 % of its own), decaying slowly
/// toward lower observations, and cut at once when the rule fires at a lower rate with every replica
/// Ready (the model or the hardware got slower). A lower bound on what a replica can take, so a
/// pool sized from it is never smaller than its demand needs.
public struct CapacityEstimate: Sendable, Hashable {
    /// Requests/s per ready replica.
    public var requestsPerReplica: Double
    /// When it was last raised or cut.
    public var updatedAt: Timestamp

    /// An estimate.
    public init(requestsPerReplica: Double, updatedAt: Timestamp) {
        self.requestsPerReplica = requestsPerReplica
        self.updatedAt = updatedAt
    }

    /// The estimate after a healthy poll at `rate` requests/s per ready replica: the larger of the
    /// rate and the estimate decayed since its last update (half-life ``Defaults/capacityHalfLifeSeconds``).
    func observingHealthy(rate: Double, at now: Timestamp) -> CapacityEstimate {
        let age = max(0, now.seconds(since: updatedAt))
        let decayed = requestsPerReplica * exp2(-age / Defaults.capacityHalfLifeSeconds)
        if rate >= decayed { return CapacityEstimate(requestsPerReplica: LearnedRounding.value(rate), updatedAt: now.wholeSeconds) }
        // Below it: keep the estimate and its time, so that the decay runs from the last evidence.
        return self
    }

    /// The estimate after the scale-up rule fired at `rate` per replica with every replica Ready
    /// for a full metrics window: no more than that rate.
    func observingBreach(rate: Double, at now: Timestamp) -> CapacityEstimate {
        rate < requestsPerReplica ? CapacityEstimate(requestsPerReplica: LearnedRounding.value(rate), updatedAt: now.wholeSeconds) : self
    }

    /// Ready replicas that serve `demand` requests/s at ``Defaults/capacityTargetUtilization`` of the estimate.
    public func replicas(for demand: Double) -> Int {
        let perReplica = requestsPerReplica * Defaults.capacityTargetUtilization
        guard perReplica > 0, demand.isFinite, demand > 0 else { return 0 }
        return Int(min((demand / perReplica).rounded(.up), Double(Defaults.maxReplicasLimit)))
    }
}

/// How long this pool's replicas take from being asked for to being Ready (issue 13 §2): the
/// median of the last few scale-ups measured (robust to one slow node), else a prior.
public struct ColdStartEstimate: Sendable, Hashable {
    /// Seconds of the last scale-ups (at most ``Defaults/coldStartSamples``), oldest first.
    public var samples: [Double]

    /// An estimate from `samples`.
    public init(samples: [Double] = []) { self.samples = samples }

    /// The median of the samples, or ``Defaults/coldStartPriorSeconds`` before the first.
    public var seconds: Double {
        guard !samples.isEmpty else { return Defaults.coldStartPriorSeconds }
        let sorted = samples.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// True once a scale-up has been measured.
    public var isMeasured: Bool { !samples.isEmpty }

    func adding(_ seconds: Double) -> ColdStartEstimate {
        ColdStartEstimate(samples: Array((samples + [seconds.rounded()]).suffix(Defaults.coldStartSamples)))
    }
}

/// A scale-up whose replicas are not all Ready yet: `replicas` asked for at `since`.
public struct PendingScaleUp: Sendable, Hashable {
    /// The replica count asked for.
    public var replicas: Int
    /// When it was asked for.
    public var since: Timestamp

    /// A pending scale-up.
    public init(replicas: Int, since: Timestamp) {
        self.replicas = replicas
        self.since = since
    }
}

/// The demand's level and trend (issue 13 §2): two exponentially weighted moving averages of the
/// request rate, a fast one (``Defaults/demandTrendSeconds``) and a slow one (four times longer).
/// On a steady ramp of slope `s` each lags the demand by `s` times its time constant, so their gap
/// is `s × (slow − fast)`: the trend, read without fitting anything. A trend counts only when the
/// gap stands well clear of the noise the fast average still carries, so noise never sizes a pool.
public struct DemandTrend: Sendable, Hashable {
    /// The fast average, requests/s.
    public var level: Double
    /// The slow average, requests/s.
    public var baseline: Double
    /// The mean absolute deviation of the demand from the fast average, requests/s.
    public var noise: Double
    /// When it was last updated.
    public var at: Timestamp
    /// When it started: a trend is read only once its slow average spans its own time constant.
    public var since: Timestamp

    /// A trend.
    public init(level: Double, baseline: Double, noise: Double, at: Timestamp, since: Timestamp) {
        self.level = level
        self.baseline = baseline
        self.noise = noise
        self.at = at
        self.since = since
    }

    /// A trend that starts at `demand`.
    init(starting demand: Double, at now: Timestamp) {
        self.init(level: LearnedRounding.value(demand), baseline: LearnedRounding.value(demand), noise: 0, at: now.wholeSeconds,
                  since: now.wholeSeconds)
    }

    static var fastSeconds: Double { Defaults.demandTrendSeconds }
    static var slowSeconds: Double { 4 * Defaults.demandTrendSeconds }

    /// The trend after a poll that read `demand` requests/s at `now`.
    func observing(_ demand: Double, at now: Timestamp) -> DemandTrend {
        let dt = now.seconds(since: at)
        guard dt > 0 else { return self }
        // A gap of more than a slow time constant (a restart, a long outage): start again.
        guard dt < Self.slowSeconds else { return DemandTrend(starting: demand, at: now) }
        let fast = 1 - exp(-dt / Self.fastSeconds), slow = 1 - exp(-dt / Self.slowSeconds)
        let residual = demand - level
        return DemandTrend(level: LearnedRounding.value(level + fast * residual),
                           baseline: LearnedRounding.value(baseline + slow * (demand - baseline)),
                           noise: LearnedRounding.value(noise + slow * (abs(residual) - noise)), at: now.wholeSeconds, since: since)
    }

    /// Requests/s per second: the ramp the two averages' gap implies.
    public var slope: Double { (level - baseline) / (Self.slowSeconds - Self.fastSeconds) }

    /// True when the demand rises clearly: the gap is more than ``Defaults/trendSignificance``
    /// standard deviations of the fast average's own noise (the mean absolute deviation × 1.25 is a
    /// Gaussian's standard deviation; an average over `τ/Δt` polls carries √(Δt / 2τ) of it).
    public func isRising(pollSeconds: Double) -> Bool {
        guard at.seconds(since: since) >= Self.slowSeconds else { return false }
        let weight = 1 - exp(-pollSeconds / Self.fastSeconds)
        let noiseOfLevel = 1.25 * noise * (weight / (2 - weight)).squareRoot()
        return slope > 0 && level - baseline > Defaults.trendSignificance * noiseOfLevel
    }

    /// The demand expected `seconds` from now if the trend holds: the level is `slope × fast` behind
    /// the demand already.
    public func forecast(ahead seconds: Double) -> Double {
        level + slope * (Self.fastSeconds + seconds)
    }
}

/// Learned numbers are stored as status writes them: six significant digits (a moving average's
/// step of a tenth of a percent still moves it), whole seconds.
enum LearnedRounding {
    static func value(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x.isFinite ? x : 0 }
        let magnitude = pow(10, floor(log10(abs(x))) - 5)
        return (x / magnitude).rounded() * magnitude
    }
}

extension Timestamp {
    /// This instant at whole seconds (down), as status stores times.
    var wholeSeconds: Timestamp { Timestamp(secondsSinceEpoch: secondsSinceEpoch.rounded(.down)) }
}

// MARK: In status (`status.learned`)

extension LearnedState {
    /// The learned state as `status.learned`: numbers as numbers, times as RFC 3339, absent values
    /// as null (a merge patch clears them), and `capacityPerReplica` and `coldStart` as people read
    /// them (`8.41k/s`, `2m (measured)`), for `kubectl get -o wide` and `describe`.
    public var statusFields: JSONObject {
        func time(_ t: Timestamp?) -> JSONValue { t.map { .string($0.rfc3339) } ?? .null }
        func number(_ x: Double?) -> JSONValue { x.map { .double($0) } ?? .null }
        var o = JSONObject()
        o["capacityPerReplica"] = capacity.map { .string(RateText.compact($0.requestsPerReplica) + "/s") } ?? .null
        o["capacity"] = capacity.map { ["requestsPerReplica": .double($0.requestsPerReplica), "updatedAt": .string($0.updatedAt.rfc3339)] } ?? .null
        o["coldStart"] = .string(DecisionMessage.seconds(coldStart.seconds) + (coldStart.isMeasured ? " (measured)" : " (assumed)"))
        o["coldStartSamples"] = .array(coldStart.samples.map { .double($0) })
        o["demand"] = demand.map {
            ["level": .double($0.level), "baseline": .double($0.baseline), "noise": .double($0.noise), "at": .string($0.at.rfc3339),
             "since": .string($0.since.rfc3339)]
        } ?? .null
        o["pendingScaleUp"] = pendingScaleUp.map { ["replicas": .integer($0.replicas), "since": .string($0.since.rfc3339)] } ?? .null
        o["readySince"] = time(readySince)
        o["lastDemand"] = number(lastDemand)
        o["surgeForecast"] = number(surgeForecast)
        return o
    }

    /// The learned state from `status.learned`. What cannot be read is left out (the engine learns
    /// it again), and said through `warn` (field, message).
    public static func decode(_ value: JSONValue?, warn: (String, String) -> Void) -> LearnedState {
        guard let o = value?.objectValue else { return LearnedState() }
        func time(_ v: JSONValue?, _ field: String) -> Timestamp? {
            guard let v, !v.isNull else { return nil }
            guard let text = v.stringValue, let t = Timestamp(rfc3339: text) else {
                warn(field, "not an RFC 3339 time (\(v.compactText)); ignored")
                return nil
            }
            return t
        }
        func number(_ v: JSONValue?, _ field: String) -> Double? {
            guard let v, !v.isNull else { return nil }
            guard let x = v.doubleValue, x.isFinite, x >= 0 else {
                warn(field, "not a non-negative number (\(v.compactText)); ignored")
                return nil
            }
            return x
        }
        var learned = LearnedState()
        if let c = o["capacity"]?.objectValue, let rate = number(c["requestsPerReplica"], "learned.capacity.requestsPerReplica"), rate > 0,
           let at = time(c["updatedAt"], "learned.capacity.updatedAt") {
            learned.capacity = CapacityEstimate(requestsPerReplica: rate, updatedAt: at)
        }
        let samples = (o["coldStartSamples"]?.arrayValue ?? []).compactMap { number($0, "learned.coldStartSamples") }
        learned.coldStart = ColdStartEstimate(samples: Array(samples.suffix(Defaults.coldStartSamples)))
        if let d = o["demand"]?.objectValue, let level = number(d["level"], "learned.demand.level"),
           let baseline = number(d["baseline"], "learned.demand.baseline"), let noise = number(d["noise"], "learned.demand.noise"),
           let at = time(d["at"], "learned.demand.at") {
            learned.demand = DemandTrend(level: level, baseline: baseline, noise: noise, at: at, since: time(d["since"], "learned.demand.since") ?? at)
        }
        if let p = o["pendingScaleUp"]?.objectValue, let replicas = p["replicas"]?.intValue, replicas > 0,
           let since = time(p["since"], "learned.pendingScaleUp.since") {
            learned.pendingScaleUp = PendingScaleUp(replicas: replicas, since: since)
        }
        learned.readySince = time(o["readySince"], "learned.readySince")
        learned.lastDemand = number(o["lastDemand"], "learned.lastDemand")
        learned.surgeForecast = number(o["surgeForecast"], "learned.surgeForecast")
        return learned
    }
}

/// Request rates as people read them: three significant digits with k or M, `950`, `8.41k`, `99.6k`, `1.2M`.
public enum RateText {
    public static func compact(_ rate: Double) -> String {
        guard rate.isFinite else { return "NaN" }
        let (scaled, suffix): (Double, String) = rate >= 999_500 ? (rate / 1e6, "M") : rate >= 999.5 ? (rate / 1e3, "k") : (rate, "")
        let digits = scaled >= 100 ? 0 : scaled >= 10 ? 1 : 2
        let factor = pow(10, Double(digits))
        var text = String((scaled * factor).rounded() / factor)
        if text.hasSuffix(".0") { text.removeLast(2) }
        if text.contains("."), digits > 0 { while text.hasSuffix("0") { text.removeLast() } }
        return text + suffix
    }
}
