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

/// The standard traffic of LOADMODEL.md, with seeded Gaussian noise per second.
public enum BuiltinTrace: String, Sendable, CaseIterable {
    /// 1,800 s: 12,000 req/s; at 300 s a 10 s ramp to 8.3× (the seed production story), held 600 s,
    /// back down over 60 s; ±3 % noise.
    case spike
    /// 7,200 s: `8,000 + 52,000·(1 − cos 2πt/7200)/2` req/s, one day's swing compressed into two
    /// hours; ±5 % noise.
    case diurnal

    /// The trace with noise from `seed`: each second's rate is multiplied by `1 + σ·N(0, 1)`
    /// (σ = 3 % for spike, 5 % for diurnal), drawn from xoshiro256** seeded with `seed`.
    public func trace(seed: UInt64) -> Trace {
        var generator = Xoshiro256StarStar(seed: seed)
        let (seconds, sigma) = self == .spike ? (1_800, 0.03) : (7_200, 0.05)
        var demand = [Double](repeating: 0, count: seconds)
        for t in 0..<seconds {
            demand[t] = rate(at: Double(t)) * max(0, 1 + sigma * generator.nextGaussian())
        }
        return Trace(name: "builtin:\(rawValue)", demand: demand)
    }

    /// The noiseless rate at `t` seconds.
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
        }
    }
}
