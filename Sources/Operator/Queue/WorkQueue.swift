import Foundation
import Locking

/// A work queue of keys (`namespace/name`) with client-go's semantics:
/// - a key waiting to be processed is not queued twice;
/// - a key is never handed to two workers at once;
/// - a key added while it is being processed is processed again after ``done(_:)``;
/// - ``addAfter(_:delay:)`` and ``addRateLimited(_:)`` (per-key backoff plus an overall bucket); a key
///   waits on one timer at most, the earliest asked for (client-go's delaying queue), so requeues
///   do not pile up: N events followed by N "look again in 5 s" still mean one look in 5 s;
/// - ``shutDown()`` hands out what is queued no more; ``next()`` then answers nil.
public final class WorkQueue: Sendable {
    private struct State {
        var queue: [String] = []
        var dirty: Set<String> = []
        var processing: Set<String> = []
        var waiters: [CheckedContinuation<String?, Never>] = []
        var shuttingDown = false
        /// When each key's pending timer fires (scheduler time).
        var waiting: [String: Double] = [:]
    }

    private let state = Locked(State())
    private let scheduler: any Scheduler
    public let rateLimiter: any RateLimiter

    public init(scheduler: any Scheduler = DispatchScheduler(), rateLimiter: (any RateLimiter)? = nil) {
        self.scheduler = scheduler
        self.rateLimiter = rateLimiter ?? MaxOfRateLimiter.controllerDefault(scheduler: scheduler)
    }

    /// Queues `key` unless it is already waiting.
    public func add(_ key: String) {
        let waiter: CheckedContinuation<String?, Never>? = state.withLock { s in
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

    /// Queues `key` after `delay` seconds.
    public func addAfter(_ key: String, delay: Double) {
        guard delay > 0 else { return add(key) }
        let readyAt = scheduler.now() + delay
        let schedule = state.withLock { s -> Bool in
            if let pending = s.waiting[key], pending <= readyAt { return false }  // an earlier timer covers it
            s.waiting[key] = readyAt
            return true
        }
        guard schedule else { return }
        scheduler.schedule(after: delay) { [weak self] in
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

    /// Queues `key` after its rate limiter's delay (after a failure).
    public func addRateLimited(_ key: String) {
        addAfter(key, delay: rateLimiter.when(key))
    }

    /// Resets `key`'s backoff (after a success).
    public func forget(_ key: String) { rateLimiter.forget(key) }

    /// The next key to process, waiting for one; nil once shut down.
    public func next() async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let immediate: String?? = state.withLock { s in
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
    public func done(_ key: String) {
        let waiter: (CheckedContinuation<String?, Never>, String)? = state.withLock { s in
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
        let waiters = state.withLock { s -> [CheckedContinuation<String?, Never>] in
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
}
