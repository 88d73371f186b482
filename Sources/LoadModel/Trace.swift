#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Offered load over time: requests per second for each second of a run.
public struct Trace: Sendable, Hashable {
    /// Where it came from, for reports (`builtin:spike`, `last-week.csv`).
    public let name: String
    /// Requests per second offered in second `i` of the run; never negative.
    public let demand: [Double]
    /// The largest rate a trace file may give (requests per second): a billion, far past any one
    /// pool (an H100 replica serves about 10,000); more is a unit or data error, and replica counts
    /// derived from it would overflow.
    public static let maximumRate = 1e9

    public init(name: String, demand: [Double]) {
        self.name = name
        self.demand = demand.map { $0.isFinite ? max(0, $0) : 0 }
    }

    /// Seconds in the trace.
    public var duration: Int { demand.count }

    /// The longest trace accepted: 31 days of seconds (a month of history replays in seconds).
    public static let maximumDuration = 31 * 86_400

    /// A per-second trace from samples `(time in seconds, requests/s)` in increasing time order,
    /// interpolated linearly between samples (a Prometheus range query's points are rates at
    /// instants, and a per-interval CSV's rows are the level around them). The trace runs from the
    /// first sample's time to the last's, both included.
    public init(name: String, samples: [(time: Double, rate: Double)]) {
        var demand: [Double] = []
        if let first = samples.first, let last = samples.last {
            let seconds = Int((last.time - first.time).rounded(.down)) + 1
            demand.reserveCapacity(seconds)
            var segment = 0
            for k in 0..<seconds {
                let t = first.time + Double(k)
                while segment + 1 < samples.count - 1, samples[segment + 1].time <= t { segment += 1 }
                guard samples.count > 1 else { demand.append(first.rate); continue }
                let (a, b) = (samples[segment], samples[segment + 1])
                let fraction = b.time > a.time ? min(1, max(0, (t - a.time) / (b.time - a.time))) : 0
                demand.append(a.rate + (b.rate - a.rate) * fraction)
            }
        }
        self.init(name: name, demand: demand)
    }
}

/// Built-in traffic with seeded Gaussian noise per second: the standard traffic of LOADMODEL.md
/// (`spike`, `diurnal`), and shapes beyond them that the engine is judged on too, so that no
/// constant is tuned to two traces (`step`, `bursts`, `ramp`, `idle`, `walk`).
public enum BuiltinTrace: String, Sendable, CaseIterable {
    /// 1,800 s: 12,000 req/s; at 300 s a 10 s ramp to 8.3× (the seed production story), held 600 s,
    /// back down over 60 s; ±3 % noise.
    case spike
    /// 7,200 s: `8,000 + 52,000·(1 − cos 2πt/7200)/2` req/s, one day's swing compressed into two
    /// hours; ±5 % noise.
    case diurnal
    /// 3,600 s: 12,000 req/s, tripled at once at 600 s and kept (a launch, a new tenant); ±3 % noise.
    case step
    /// 3,600 s: 12,000 req/s with a 30 s burst to 4× every 10 minutes from 300 s (a batch job, a
    /// retry storm): shorter than a large model's cold start; ±3 % noise.
    case bursts
    /// 5,400 s: 10,000 req/s climbing steadily to 80,000 over the first hour, then flat; ±3 % noise.
    case ramp
    /// 7,200 s: 20,000 req/s for 20 minutes, then no request for 20 minutes, alternating (batch
    /// clients, a test cluster at night); ±5 % noise.
    case idle
    /// 7,200 s: a random walk of the log-rate from 20,000 req/s, 1 % per second, kept within
    /// 5,000–150,000 (traffic without a shape to learn).
    case walk

    /// Seconds and the noise's standard deviation (a fraction of the rate).
    private var shape: (seconds: Int, sigma: Double) {
        switch self {
        case .spike: return (1_800, 0.03)
        case .diurnal: return (7_200, 0.05)
        case .step, .bursts: return (3_600, 0.03)
        case .ramp: return (5_400, 0.03)
        case .idle: return (7_200, 0.05)
        case .walk: return (7_200, 0)
        }
    }

    /// The trace with noise from `seed`: each second's rate is multiplied by `1 + σ·N(0, 1)`, drawn
    /// from xoshiro256** seeded with `seed` (`walk`: its steps are the noise).
    public func trace(seed: UInt64) -> Trace {
        var generator = Xoshiro256StarStar(seed: seed)
        let (seconds, sigma) = shape
        var demand = [Double](repeating: 0, count: seconds)
        if self == .walk {
            var logRate = log(20_000.0)
            for t in 0..<seconds {
                logRate = min(max(logRate + 0.01 * generator.nextGaussian(), log(5_000.0)), log(150_000.0))
                demand[t] = exp(logRate)
            }
        } else {
            for t in 0..<seconds {
                demand[t] = rate(at: Double(t)) * max(0, 1 + sigma * generator.nextGaussian())
            }
        }
        return Trace(name: "builtin:\(rawValue)", demand: demand)
    }

    /// The noiseless rate at `t` seconds (`walk`: where it starts).
    public func rate(at t: Double) -> Double {
        switch self {
        case .spike:
            let base = 12_000.0, peak = base * 83 / 10  // 8.3×, exactly
            let rampStart = 300.0, rampEnd = 310.0, holdEnd = rampEnd + 600, downEnd = holdEnd + 60
            switch t {
            case ..<rampStart: return base
            case ..<rampEnd: return base + (peak - base) * (t - rampStart) / (rampEnd - rampStart)
            case ..<holdEnd: return peak
            case ..<downEnd: return peak - (peak - base) * (t - holdEnd) / (downEnd - holdEnd)
            default: return base
            }
        case .diurnal:
            return 8_000 + 52_000 * (1 - cos(2 * Double.pi * t / 7_200)) / 2
        case .step:
            return t < 600 ? 12_000 : 36_000
        case .bursts:
            let phase = t >= 300 ? (t - 300).truncatingRemainder(dividingBy: 600) : 600
            return phase < 30 ? 48_000 : 12_000
        case .ramp:
            return 10_000 + 70_000 * min(1, t / 3_600)
        case .idle:
            return Int(t / 1_200) % 2 == 0 ? 20_000 : 0
        case .walk:
            return 20_000  // its start; the walk itself is drawn in trace(seed:)
        }
    }
}
