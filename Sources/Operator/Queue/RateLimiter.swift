import Foundation
import Locking

/// How long to wait before a key is processed again, as client-go's rate limiters decide.
public protocol RateLimiter: Sendable {
    /// The delay for the next retry of `key` (and records the retry).
    func when(_ key: String) -> Double
    /// Forgets `key`'s failures (after a success).
    func forget(_ key: String)
    /// How many times `key` has been retried since it was last forgotten.
    func retries(_ key: String) -> Int
}

/// Per-key exponential backoff: `base × 2^failures`, at most `maximum` (client-go: 5 ms → 1000 s).
public final class ExponentialFailureRateLimiter: RateLimiter {
    let base: Double
    let maximum: Double
    private let failures = Locked<[String: Int]>([:])

    public init(base: Double = 0.005, maximum: Double = 1000) {
        self.base = base
        self.maximum = maximum
    }

    public func when(_ key: String) -> Double {
        let exponent = failures.withLock { f -> Int in
            defer { f[key, default: 0] += 1 }
            return f[key, default: 0]
        }
        return min(maximum, base * pow(2, Double(min(exponent, 62))))
    }

    public func forget(_ key: String) { failures.withLock { _ = $0.removeValue(forKey: key) } }
    public func retries(_ key: String) -> Int { failures.withLock { $0[key, default: 0] } }
}

/// An overall token bucket: `rate` tokens a second, `burst` at most (client-go: 10/s, burst 100).
public final class TokenBucketRateLimiter: RateLimiter {
    let rate: Double
    let burst: Double
    private let scheduler: any Scheduler
    private let bucket: Locked<(tokens: Double, updated: Double)>

    public init(rate: Double = 10, burst: Int = 100, scheduler: any Scheduler) {
        self.rate = rate
        self.burst = Double(burst)
        self.scheduler = scheduler
        bucket = Locked((Double(burst), scheduler.now()))
    }

    public func when(_ key: String) -> Double {
        let now = scheduler.now()
        return bucket.withLock { b in
            b.tokens = min(burst, b.tokens + (now - b.updated) * rate)
            b.updated = now
            b.tokens -= 1  // reserve; a negative balance is a wait
            return b.tokens >= 0 ? 0 : -b.tokens / rate
        }
    }

    public func forget(_ key: String) {}
    public func retries(_ key: String) -> Int { 0 }
}

/// The larger delay of several limiters (client-go's default controller limiter: per-item
/// exponential and the overall bucket).
public struct MaxOfRateLimiter: RateLimiter {
    let limiters: [any RateLimiter]

    public init(_ limiters: [any RateLimiter]) { self.limiters = limiters }

    public func when(_ key: String) -> Double { limiters.map { $0.when(key) }.max() ?? 0 }
    public func forget(_ key: String) { limiters.forEach { $0.forget(key) } }
    public func retries(_ key: String) -> Int { limiters.map { $0.retries(key) }.max() ?? 0 }

    public static func controllerDefault(scheduler: any Scheduler) -> MaxOfRateLimiter {
        MaxOfRateLimiter([ExponentialFailureRateLimiter(), TokenBucketRateLimiter(scheduler: scheduler)])
    }
}

