import Autoscaling
import Locking

/// A work queue of keys (the controller's are ``ObjectKey``s) with client-go's semantics:
/// - a key waiting to be processed is not queued twice;
/// - a key is never handed to two workers at once;
/// - a key added while it is being processed is processed again after ``done(_:)``;
/// - ``addAfter(_:delay:)`` and ``addRateLimited(_:)`` (per-key backoff plus an overall bucket); a key
///   waits on one timer at most, the earliest asked for (client-go's delaying queue), so requeues
///   do not pile up: N events followed by N "look again in 5 s" still mean one look in 5 s;
/// - ``shutDown()`` hands out what is queued no more; ``next()`` then answers nil.
public final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var queue: [Key] = []
        var dirty: Set<Key> = []
        var processing: Set<Key> = []
        var waiters: [CheckedContinuation<Key?, Never>] = []
        var shuttingDown = false
        /// When each key's pending timer fires (the clock's monotonic time).
        var waiting: [Key: Duration] = [:]
    }

    private let state = Locked(State())
    private let clock: any Clock
    /// The delays of ``addRateLimited(_:)`` (default: client-go's controller limiter).
    public let rateLimiter: any RateLimiter<Key>

    /// - Parameters:
    ///   - clock: the delays' timers run on it (default: the system's).
    ///   - rateLimiter: default ``MaxOfRateLimiter/controllerDefault(clock:)``.
    public init(clock: any Clock = SystemClock(), rateLimiter: (any RateLimiter<Key>)? = nil) {
        self.clock = clock
        self.rateLimiter = rateLimiter ?? MaxOfRateLimiter<Key>.controllerDefault(clock: clock)
    }

    /// Queues `key` unless it is already waiting.
    public func add(_ key: Key) {
        let waiter: CheckedContinuation<Key?, Never>? = state.withLock { s in
            guard !s.shuttingDown, !s.dirty.contains(key) else { return nil }
            s.dirty.insert(key)
            guard !s.processing.contains(key) else { return nil }  // re-queued by done()
            if !s.waiters.isEmpty {
                s.dirty.remove(key)
                s.processing.insert(key)
                return s.waiters.removeFirst()
            }
            s.queue.append(key)
            return nil
        }
        waiter?.resume(returning: key)
    }

    /// Queues `key` after `delay`.
    public func addAfter(_ key: Key, delay: Duration) {
        guard delay > .zero else { return add(key) }
        let readyAt = clock.monotonicNow() + delay
        let schedule = state.withLock { s -> Bool in
            if let pending = s.waiting[key], pending <= readyAt { return false }  // an earlier timer covers it
            s.waiting[key] = readyAt
            return true
        }
        guard schedule else { return }
        clock.schedule(after: delay) { [weak self] in
            guard let self else { return }
            // Only the key's current timer adds it; one replaced by an earlier one is void.
            let current = self.state.withLock { s -> Bool in
                guard s.waiting[key] == readyAt else { return false }
                s.waiting[key] = nil
                return true
            }
            if current { self.add(key) }
        }
    }

    /// Queues `key` after its rate limiter's delay (after a failure), and not before `atLeast`
    /// (a `Retry-After` the API server sent).
    public func addRateLimited(_ key: Key, atLeast: Duration = .zero) {
        addAfter(key, delay: max(rateLimiter.when(key), atLeast))
    }

    /// Resets `key`'s backoff (after a success).
    public func forget(_ key: Key) { rateLimiter.forget(key) }

    /// The next key to process, waiting for one; nil once shut down.
    public func next() async -> Key? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Key?, Never>) in
            let immediate: Key?? = state.withLock { s in
                if !s.queue.isEmpty {
                    let key = s.queue.removeFirst()
                    s.dirty.remove(key)
                    s.processing.insert(key)
                    return .some(key)
                }
                if s.shuttingDown { return .some(nil) }
                s.waiters.append(continuation)
                return .none
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Marks `key` processed; if it was added meanwhile, it is queued again.
    public func done(_ key: Key) {
        let waiter: (CheckedContinuation<Key?, Never>, Key)? = state.withLock { s in
            s.processing.remove(key)
            guard s.dirty.contains(key), !s.shuttingDown else { return nil }
            if !s.waiters.isEmpty {
                s.dirty.remove(key)
                s.processing.insert(key)
                return (s.waiters.removeFirst(), key)
            }
            s.queue.append(key)
            return nil
        }
        if let (continuation, key) = waiter { continuation.resume(returning: key) }
    }

    /// Stops handing out keys; waiting workers get nil.
    public func shutDown() {
        let waiters = state.withLock { s -> [CheckedContinuation<Key?, Never>] in
            s.shuttingDown = true
            s.queue.removeAll()
            s.dirty.removeAll()
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        waiters.forEach { $0.resume(returning: nil) }
    }

    /// Keys waiting (not those being processed).
    public var depth: Int { state.withLock { $0.queue.count } }
    /// Keys being processed now.
    public var inFlight: Int { state.withLock { $0.processing.count } }
    /// Workers waiting in ``next()`` for a key.
    public var waitingWorkers: Int { state.withLock { $0.waiters.count } }
}
