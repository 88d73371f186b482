import Dispatch
import Foundation

/// Threads for blocking work: a libcurl transfer, a connection served, anything that holds a thread
/// while it waits. A job runs on an idle thread, or on a new one when every thread is busy (blocking
/// work must never wait for another job to finish); a thread idle for `idleSeconds` ends.
///
/// Why not a thread per job: glibc keeps at most 40 MiB of thread stacks for reuse, five of the
/// usual 8 MiB, so a new thread per request maps and unmaps its stack under one process-wide lock.
/// With a few hundred transfers and connections in flight (the test suite; an operator with many
/// pools) that lock stalled every thread for seconds. Kept threads are reused instead.
public final class BlockingThreads: Sendable {
    /// The process's pool: the HTTP client's transfers and the HTTP server's connections.
    public static let shared = BlockingThreads()

    /// Seconds an idle thread waits for a job before it ends. Default 60 s: a controller's polls
    /// (every 5 s by default) keep their threads, and a burst's extra threads go within a minute.
    public let idleSeconds: Double

    /// Jobs not yet taken, how many threads wait for one without a wake-up already sent them, and
    /// how many threads there are.
    private let state = Locked<(jobs: [@Sendable () -> Void], idle: Int, threads: Int)>(([], 0, 0))
    private let wakeUps = DispatchSemaphore(value: 0)

    public init(idleSeconds: Double = 60) {
        self.idleSeconds = idleSeconds
    }

    /// Runs `job` on a thread of the pool: an idle one, else a new one. Returns at once.
    public func run(_ job: @escaping @Sendable () -> Void) {
        let wakeIdle = state.withLock { s -> Bool in
            s.jobs.append(job)
            guard s.idle > 0 else {
                s.threads += 1
                return false
            }
            s.idle -= 1
            return true
        }
        if wakeIdle {
            wakeUps.signal()
        } else {
            Thread.detachNewThread { [self] in work() }
        }
    }

    /// Threads waiting for a job now, without a wake-up already sent them.
    public var idleThreads: Int { state.withLock { $0.idle } }

    /// Threads of the pool now: running a job or waiting for one.
    public var threads: Int { state.withLock { $0.threads } }

    /// A thread's life: jobs while there are any, then waits; ends after `idleSeconds` without one.
    /// Invariant: the threads waiting are `idle` plus the wake-ups sent and not yet taken, so a
    /// thread whose wait ran out ends only while `idle` counts one (else a wake-up is on its way).
    private func work() {
        while true {
            let job = state.withLock { s -> (@Sendable () -> Void)? in
                if s.jobs.isEmpty {
                    s.idle += 1
                    return nil
                }
                return s.jobs.removeFirst()
            }
            if let job {
                job()
                continue
            }
            while wakeUps.wait(timeout: .now() + idleSeconds) == .timedOut {
                let ends = state.withLock { s -> Bool in
                    guard s.idle > 0 else { return false }
                    s.idle -= 1
                    s.threads -= 1
                    return true
                }
                if ends { return }
            }
        }
    }
}
