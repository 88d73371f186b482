#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Where time comes from: one per process, passed to everything that reads time or waits.
///
/// - Wall time, ``now()``, for what is written down: status, Events, Leases, log lines.
/// - Monotonic time, ``monotonicNow()``, for what is measured: durations, deadlines, timers. It
///   never jumps when the wall clock is set, so a lease's renew deadline or a reconcile's duration
///   cannot be stretched or shrunk by NTP.
/// - Timers (``schedule(after:_:)``) and sleeps (``sleep(for:)``) run on monotonic time.
///
/// The decision engine takes `now` as an argument and owns no clock. Processes hold a
/// ``SystemClock``; tests hold a manual clock (TestDoubles' `ManualClock`) that moves wall time,
/// monotonic time and timers together, and only when told.
public protocol Clock: Sendable {
    /// Wall-clock time (`CLOCK_REALTIME`).
    func now() -> Timestamp
    /// Monotonic time since an arbitrary origin (`CLOCK_MONOTONIC`): only differences mean anything.
    func monotonicNow() -> Duration
    /// Runs `action` once `delay` has passed (a negative delay is none), on no particular thread:
    /// keep it short (enqueue work).
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void)
    /// Suspends the calling task for `delay`. Throws `CancellationError` when the task is cancelled.
    func sleep(for delay: Duration) async throws
}

/// The machine's clocks: `CLOCK_REALTIME` for wall time, `CLOCK_MONOTONIC` for durations, Dispatch's
/// timers for ``schedule(after:_:)`` (ten thousand pools waiting for their poll are ten thousand
/// timers, not ten thousand sleeping tasks), and Swift concurrency's sleeps for ``sleep(for:)``.
public struct SystemClock: Clock {
    public init() {}

    /// `CLOCK_REALTIME`.
    public func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(secondsSinceEpoch: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9)
    }

    /// `CLOCK_MONOTONIC`, since the machine started.
    public func monotonicNow() -> Duration {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return .seconds(Int64(ts.tv_sec)) + .nanoseconds(Int64(ts.tv_nsec))
    }

    /// Runs `action` on a Dispatch global queue once `delay` has passed (at once, on the calling
    /// thread, when `delay` is not positive).
    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        guard delay > .zero else { return action() }
        let (seconds, attoseconds) = delay.components
        let nanoseconds = seconds >= Int64.max / 1_000_000_000 ? Int.max : Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds), execute: action)
    }

    /// `Task.sleep(for:)`; throws `CancellationError` when the task is cancelled.
    public func sleep(for delay: Duration) async throws {
        try await Task.sleep(for: max(delay, .zero))
    }
}

extension Duration {
    /// The duration in seconds, as a `Double` (for formatting and for Prometheus histograms, whose
    /// unit is the second).
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

}
