import Autoscaling
import Kube
import Locking

/// A work queue of keys (the controller's are ``ObjectKey``s) with client-go's semantics:
/// - a key waiting to be processed is not queued twice;
/// - a key is never handed to two workers at once;
/// - a key added while it is being processed is processed again after ``done(_:)``;
/// - ``addAfter(_:delay:)`` and ``addRateLimited(_:)`` (per-key backoff plus an overall bucket); a key
///   waits on one timer at most, the earliest asked for (client-go's delaying queue), so requeues
///   do not pile up: N events followed by N "look again in 5 s" still mean one look in 5 s;
/// - ``shutDown()`` hands out what is queued no more; ``next()`` then answers nil.
///
/// It measures itself as client-go's queue does for its `workqueue_*` metrics (``metrics``).
public final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var queue: [Key] = []
        var dirty: Set<Key> = []
        var processing: Set<Key> = []
        var waiters: [CheckedContinuation<Key?, Never>] = []
        var shuttingDown = false
        /// When each key's pending timer fires (the clock's monotonic time).
        var waiting: [Key: Duration] = [:]
        /// When each waiting key was first added since it was last handed out (monotonic time).
        var addedAt: [Key: Duration] = [:]
        /// When each key being processed was handed out (monotonic time).
        var startedAt: [Key: Duration] = [:]
        var adds = 0
        var retries = 0
        var queueDurations = Histogram(bounds: Histogram.workQueueBounds)
        var workDurations = Histogram(bounds: Histogram.workQueueBounds)

        /// Counts a key as added (client-go's `metrics.add`): once per time it becomes dirty.
        mutating func counted(_ key: Key, at now: Duration) {
            adds += 1
            if addedAt[key] == nil { addedAt[key] = now }
        }

        /// Hands `key` out (client-go's `metrics.get`): its time in the queue is observed.
        mutating func handOut(_ key: Key, at now: Duration) {
            dirty.remove(key)
            processing.insert(key)
            if let added = addedAt.removeValue(forKey: key) { queueDurations.observe((now - added).inSeconds) }
            startedAt[key] = now
        }
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
        let now = clock.monotonicNow()
        let waiter: CheckedContinuation<Key?, Never>? = state.withLock { s in
            guard !s.shuttingDown, !s.dirty.contains(key) else { return nil }
            s.dirty.insert(key)
            s.counted(key, at: now)
            guard !s.processing.contains(key) else { return nil }  // re-queued by done()
            if !s.waiters.isEmpty {
                s.handOut(key, at: now)
                return s.waiters.removeFirst()
            }
            s.queue.append(key)
            return nil
        }
        waiter?.resume(returning: key)
    }

    /// Queues `key` after `delay`. Each call counts as a retry (`workqueue_retries_total` counts
    /// client-go's `AddAfter` calls: rate-limited requeues and requeues after a delay alike).
    public func addAfter(_ key: Key, delay: Duration) {
        guard state.withLock({ s -> Bool in
            if !s.shuttingDown { s.retries += 1 }
            return !s.shuttingDown
        }) else { return }
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
            let now = clock.monotonicNow()
            let immediate: Key?? = state.withLock { s in
                if !s.queue.isEmpty {
                    let key = s.queue.removeFirst()
                    s.handOut(key, at: now)
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
        let now = clock.monotonicNow()
        let waiter: (CheckedContinuation<Key?, Never>, Key)? = state.withLock { s in
            s.processing.remove(key)
            if let started = s.startedAt.removeValue(forKey: key) { s.workDurations.observe((now - started).inSeconds) }
            guard s.dirty.contains(key), !s.shuttingDown else { return nil }
            if !s.waiters.isEmpty {
                s.handOut(key, at: now)
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
            s.addedAt.removeAll()
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        waiters.forEach { $0.resume(returning: nil) }
    }

    /// Keys waiting (not those being processed).
    public var depth: Int { state.withLock { $0.queue.count } }

    /// The queue's `workqueue_*` measurements now (client-go's `queueMetrics`, read when asked
    /// rather than on its 500 ms tick).
    public var metrics: WorkQueueMetrics {
        let now = clock.monotonicNow()
        return state.withLock { s in
            let running = s.startedAt.values.map { (now - $0).inSeconds }
            return WorkQueueMetrics(depth: s.dirty.count, adds: s.adds, retries: s.retries, queueDurations: s.queueDurations,
                                    workDurations: s.workDurations, unfinishedWorkSeconds: running.reduce(0, +),
                                    longestRunningProcessorSeconds: running.max() ?? 0)
        }
    }

    /// Keys being processed now.
    public var inFlight: Int { state.withLock { $0.processing.count } }
    /// Workers waiting in ``next()`` for a key.
    public var waitingWorkers: Int { state.withLock { $0.waiters.count } }
}

/// One work queue's measurements, as client-go defines its `workqueue_*` metrics
/// (`util/workqueue/metrics.go`); times in seconds on the queue's clock.
public struct WorkQueueMetrics: Sendable {
    /// `workqueue_depth`: keys added and not yet handed out (a key added while it is being
    /// processed counts, as in client-go, though it waits for ``WorkQueue/done(_:)``).
    public let depth: Int
    /// `workqueue_adds_total`: adds that queued a key (an add of a key already waiting is not one).
    public let adds: Int
    /// `workqueue_retries_total`: calls of ``WorkQueue/addAfter(_:delay:)``, rate-limited or not.
    public let retries: Int
    /// `workqueue_queue_duration_seconds`: from a key's first add to its hand-out.
    public let queueDurations: Histogram
    /// `workqueue_work_duration_seconds`: from hand-out to ``WorkQueue/done(_:)``.
    public let workDurations: Histogram
    /// `workqueue_unfinished_work_seconds`: the time spent so far on the keys being processed, summed.
    public let unfinishedWorkSeconds: Double
    /// `workqueue_longest_running_processor_seconds`: the longest of those.
    public let longestRunningProcessorSeconds: Double
}
