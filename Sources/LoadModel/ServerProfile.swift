/// How one model-server replica responds to load: the "profile" of `LOADMODEL.md`.
///
/// Units: requests per second, seconds, and fractions (0–1) for utilisation.
public struct ServerProfile: Sendable, Hashable {
    /// A short name for reports (`h100-bert`).
    public var name: String
    /// Requests per second one ready replica serves at saturation.
    public var capacity: Double
    /// P90 latency at low load, in seconds.
    public var baseLatency: Double
    /// GPU utilisation as a function of the per-replica load ρ.
    public var gpuUtilisation: GPUUtilisationCurve
    /// Seconds from a replica being asked for to its being Ready (image pull, weights, warmup).
    public var coldStart: Double

    public init(name: String, capacity: Double, baseLatency: Double, gpuUtilisation: GPUUtilisationCurve, coldStart: Double) {
        self.name = name
        self.capacity = capacity
        self.baseLatency = baseLatency
        self.gpuUtilisation = gpuUtilisation
        self.coldStart = coldStart
    }
}

/// GPU utilisation (a fraction) at per-replica load ρ: `min(maximum, idle + perLoad·ρ)`.
public struct GPUUtilisationCurve: Sendable, Hashable {
    /// Utilisation at no load.
    public var idle: Double
    /// Utilisation added per unit of load (ρ = 1 is one replica's capacity).
    public var perLoad: Double
    /// Where utilisation plateaus, however high the load.
    public var maximum: Double

    public init(idle: Double, perLoad: Double, maximum: Double) {
        self.idle = idle
        self.perLoad = perLoad
        self.maximum = maximum
    }

    /// Utilisation at load `rho` (infinite when nothing is ready: the plateau).
    public func at(_ rho: Double) -> Double {
        guard rho.isFinite else { return maximum }
        return min(maximum, idle + perLoad * max(0, rho))
    }
}

extension ServerProfile {
    /// The default: a BERT-base encoder behind a Triton-style dynamic batcher on one NVIDIA H100,
    /// measured in `shared/data/h100-calibration/` (2026-11-27; copied as test fixtures to
    /// `Tests/LoadModelTests/Fixtures/h100-calibration/`, against which a test checks these numbers).
    ///
    /// - `capacity` 9,800 req/s: the mean served rate of the saturated levels of `load_sweep.csv`
    ///   (offered ≥ 80 % of the batch-32 capacity: 10,031, 9,263, 9,418, 11,065, 9,543, 9,732 req/s
    ///   → 9,842), rounded as LOADMODEL.md rounds it.
    /// - `baseLatency` 9 ms: P90 at 10 % and 20 % load is 11.6 and 7.2 ms (`load_sweep.csv`).
    /// - `gpuUtilisation` `min(58 %, 12 % + 52 %·ρ)`: a line through the unsaturated levels (16.7 %
    ///   at ρ 0.08 to 51.2 % at ρ 0.76) and the plateau of the saturated ones (52.6–62.2 %): the
    ///   server is host-bound, so utilisation never says "full" (LOADMODEL.md).
    /// - `coldStart` 10 s: `coldstart.json` measured 4.8 and 7.6 s from process start to the first
    ///   inference of this small model; 10 s adds scheduling. Large models take minutes: pass
    ///   `--cold-start 120s`.
    public static let h100BERT = ServerProfile(
        name: "h100-bert", capacity: 9_800, baseLatency: 0.009,
        gpuUtilisation: GPUUtilisationCurve(idle: 0.12, perLoad: 0.52, maximum: 0.58), coldStart: 10)

    /// LOADMODEL.md's second profile: the same capacity and latency, with a GPU utilisation that
    /// tracks load (`min(100 %, 5 % + 95 %·ρ)`), as on a server bound by its GPU rather than its host.
    public static let gpuBound = ServerProfile(
        name: "gpu-bound", capacity: 9_800, baseLatency: 0.009,
        gpuUtilisation: GPUUtilisationCurve(idle: 0.05, perLoad: 0.95, maximum: 1.0), coldStart: 10)

    /// The built-in profiles by name, for `--profile builtin:NAME`.
    public static let builtins: [String: ServerProfile] = ["h100-bert": .h100BERT, "gpu-bound": .gpuBound]
}
