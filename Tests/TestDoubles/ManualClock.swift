import Autoscaling
import Locking

/// A ``Clock`` that stands still until told to move: ``advance(by:)`` moves wall time and
/// monotonic time together, and runs the timers and wakes the sleeps that fall due, in order, each
/// at its own time.
public final class ManualClock: Clock {
    private struct Timer {
        let due: Duration
        let sequence: Int
        let fire: @Sendable () -> Void
    }

    private struct State {
        var elapsed: Duration = .zero
        var timers: [Timer] = []
        var sequence = 0
    }

    /// Wall time at the start (monotonic time starts at zero).
    public let start: Timestamp
    private let state = Locked(State())

    /// `start`: wall time when the clock is made (default 2026-11-27T10:00:00Z).
    public init(start: Timestamp = Timestamp(secondsSinceEpoch: 1_795_773_600)) {
        self.start = start
    }

    public func now() -> Timestamp { start.adding(seconds: monotonicNow().inSeconds) }

    public func monotonicNow() -> Duration { state.withLock { $0.elapsed } }

    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        state.withLock { s in
            s.timers.append(Timer(due: s.elapsed + max(delay, .zero), sequence: s.sequence, fire: action))
            s.sequence += 1
        }
    }

    public func sleep(for delay: Duration) async throws {
        // nil: not yet suspended; then the continuation; `finished` once resumed (or cancelled early).
        let waiter = Locked<(continuation: CheckedContinuation<Void, any Error>?, finished: Bool)>((nil, false))
        let finish: @Sendable ((any Error)?) -> Void = { error in
            let continuation = waiter.withLock { w -> CheckedContinuation<Void, any Error>? in
                guard !w.finished else { return nil }
                w.finished = true
                defer { w.continuation = nil }
                return w.continuation
            }
            if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelledEarly = waiter.withLock { w -> Bool in
                    if w.finished { return true }
                    w.continuation = continuation
                    return false
                }
                if cancelledEarly { continuation.resume(throwing: CancellationError()) } else { schedule(after: delay) { finish(nil) } }
            }
        } onCancel: {
            finish(CancellationError())
        }
    }

    /// Moves time on by `duration`, running every timer that falls due on the way (earliest first,
    /// then in the order they were set), each with the clock reading its due time.
    public func advance(by duration: Duration) {
        let target = state.withLock { $0.elapsed + duration }
        while true {
            let next: Timer? = state.withLock { s in
                guard let index = s.timers.indices.filter({ s.timers[$0].due <= target })
                    .min(by: { (s.timers[$0].due, s.timers[$0].sequence) < (s.timers[$1].due, s.timers[$1].sequence) }) else { return nil }
                let timer = s.timers.remove(at: index)
                s.elapsed = max(s.elapsed, timer.due)
                return timer
            }
            guard let next else { break }
            next.fire()
        }
        state.withLock { $0.elapsed = max($0.elapsed, target) }
    }

    /// Timers and sleeps waiting for their time.
    public var pendingTimers: Int { state.withLock { $0.timers.count } }
}
