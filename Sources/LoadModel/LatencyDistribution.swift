#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The spread of one tick's request latencies around its P90, for something that must export a
/// latency histogram (kube-emulator's simulated serving pods): log-normal, with its 0.9 quantile at
/// the tick's P90 and a shape `sigma` (the standard deviation of the log of the latency).
///
/// The load model gives only the P90 (LOADMODEL.md); the shape is what the calibration histograms
/// show around it (`shared/data/h100-calibration/histograms.prom`): P50 at 0.09–0.65 of P90 and P99
/// at 1.1–7.2 of it across the load levels. `sigma` 0.8 puts P50 at 0.36 and P99 at 2.3 of P90.
public struct LatencyDistribution: Sendable, Hashable {
    /// The P90, seconds.
    public let p90: Double
    /// The standard deviation of ln(latency).
    public let sigma: Double

    /// The shape of the calibration data (see the type's documentation).
    public static let calibratedSigma = 0.8
    /// z such that Φ(z) = 0.9.
    static let z90 = 1.281_551_565_544_600_5

    public init(p90: Double, sigma: Double = Self.calibratedSigma) {
        self.p90 = p90
        self.sigma = sigma
    }

    /// The fraction of requests at or below `latency` seconds (the cumulative distribution).
    public func fraction(atOrBelow latency: Double) -> Double {
        guard latency > 0, p90 > 0 else { return latency >= 0 && p90 <= 0 ? 1 : 0 }
        guard latency.isFinite else { return 1 }
        let z = log(latency / p90) / sigma + Self.z90
        return 0.5 * erfc(-z / 2.0.squareRoot())
    }

    /// The latency below which a fraction `q` of requests fall (0 < q < 1).
    public func quantile(_ q: Double) -> Double {
        p90 * exp(sigma * (Self.inverseNormal(q) - Self.z90))
    }

    /// The mean latency, seconds: `p90 · exp(σ²/2 − σ·z₀.₉)`.
    public var mean: Double { p90 * exp(sigma * sigma / 2 - sigma * Self.z90) }

    /// Φ⁻¹(q) by bisection on erfc (60 halvings: exact to double precision; used off the hot path).
    static func inverseNormal(_ q: Double) -> Double {
        var low = -10.0, high = 10.0
        for _ in 0..<60 {
            let middle = (low + high) / 2
            if 0.5 * erfc(-middle / 2.0.squareRoot()) < q { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}
