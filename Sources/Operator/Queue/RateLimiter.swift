import Autoscaling
import Locking

/// How long to wait before a key is processed again, as client-go's rate limiters decide.
public protocol RateLimiter<Key>: Sendable {
    associatedtype Key: Hashable & Sendable
    /// The delay for the next retry of `key` (and records the retry).
    func when(_ key: Key) -> Duration
    /// Forgets `key`'s failures (after a success).
    func forget(_ key: Key)
    /// How many times `key` has been retried since it was last forgotten.
    func retries(_ key: Key) -> Int
}

/// Per-key exponential backoff: `base × 2^failures`, at most `maximum` (client-go: 5 ms → 1000 s).
public final class ExponentialFailureRateLimiter<Key: Hashable & Sendable>: RateLimiter {
    /// The first delay (default 5 ms, client-go's).
    let base: Duration
    /// The longest delay (default 1000 s, client-go's).
    let maximum: Duration
    private let failures = Locked<[Key: Int]>([:])

    /// A limiter; the defaults are client-go's.
    public init(base: Duration = .milliseconds(5), maximum: Duration = .seconds(1000)) {
        self.base = base
        self.maximum = maximum
    }

    public func when(_ key: Key) -> Duration {
        let exponent = failures.withLock { f -> Int in
            defer { f[key, default: 0] += 1 }
            return f[key, default: 0]
        }
        // Doubling past 2^40 × 5 ms is past any maximum worth having; stop before the arithmetic overflows.
        let doublings = min(exponent, 40)
        let delay = base * (1 << doublings)
        return min(maximum, delay)
    }

    public func forget(_ key: Key) { failures.withLock { _ = $0.removeValue(forKey: key) } }
    public func retries(_ key: Key) -> Int { failures.withLock { $0[key, default: 0] } }
}

/// An overall token bucket: `rate` tokens a second, `burst` at most (client-go: 10/s, burst 100).
public final class TokenBucketRateLimiter<Key: Hashable & Sendable>: RateLimiter {
    /// Tokens added per second (default 10, client-go's).
    let rate: Double
    /// Tokens the bucket holds at most (default 100, client-go's).
    let burst: Double
    private let clock: any Clock
    private let bucket: Locked<(tokens: Double, updated: Duration)>

    /// A bucket, full at first; `rate` per second, `burst` at most (defaults: client-go's), timed on `clock`.
    public init(rate: Double = 10, burst: Int = 100, clock: any Clock) {
        self.rate = rate
        self.burst = Double(burst)
        self.clock = clock
        bucket = Locked((Double(burst), clock.monotonicNow()))
    }

    public func when(_ key: Key) -> Duration {
        let now = clock.monotonicNow()
        let seconds = bucket.withLock { b -> Double in
            b.tokens = min(burst, b.tokens + (now - b.updated).inSeconds * rate)
            b.updated = now
            b.tokens -= 1  // reserve; a negative balance is a wait
            return b.tokens >= 0 ? 0 : -b.tokens / rate
        }
        return .seconds(seconds)
    }

    public func forget(_ key: Key) {}
    public func retries(_ key: Key) -> Int { 0 }
}

/// The larger delay of several limiters (client-go's default controller limiter: per-item
/// exponential and the overall bucket).
public struct MaxOfRateLimiter<Key: Hashable & Sendable>: RateLimiter {
    let limiters: [any RateLimiter<Key>]

    /// The larger of `limiters`' delays.
    public init(_ limiters: [any RateLimiter<Key>]) { self.limiters = limiters }

    public func when(_ key: Key) -> Duration { limiters.map { $0.when(key) }.max() ?? .zero }
    public func forget(_ key: Key) { limiters.forEach { $0.forget(key) } }
    public func retries(_ key: Key) -> Int { limiters.map { $0.retries(key) }.max() ?? 0 }

    /// client-go's `DefaultControllerRateLimiter`: 5 ms → 1000 s per key, and 10/s with a burst of 100 overall.
    public static func controllerDefault(clock: any Clock) -> MaxOfRateLimiter {
        MaxOfRateLimiter([ExponentialFailureRateLimiter<Key>(), TokenBucketRateLimiter<Key>(clock: clock)])
    }
}
