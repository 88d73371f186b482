import Autoscaling
import Locking

/// What decides whether this process may write at all: the ``WriteExecutor`` asks before every
/// request it sends (``LeaderElector`` is the one the process uses: "I held the Lease within the
/// renew deadline", on monotonic time).
public protocol WriteFence: Sendable {
    /// nil while writes may go out; otherwise why not (it ends up in the refused write's error).
    func writesBlocked() -> String?
}

/// Runs `body`, giving up on it after `limit` of `clock`'s time: its value, or nil when the time ran
/// out first (the body's task is then cancelled, which stops an HTTP transfer within a second, and
/// is not waited for). For calls whose answer is worthless past a deadline, such as a Lease renewal
/// past the renew deadline (client-go bounds each attempt by a context with that deadline).
func withTimeLimit<T: Sendable>(_ limit: Duration, clock: any Clock, _ body: @escaping @Sendable () async -> T) async -> T? {
    let waiter = Locked<CheckedContinuation<T?, Never>?>(nil)
    let work = Locked<Task<Void, Never>?>(nil)
    return await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            waiter.withLock { $0 = continuation }
            let task = Task {
                let value = await body()
                waiter.withLock { $0.take() }?.resume(returning: value)
            }
            work.withLock { $0 = task }
            clock.schedule(after: limit) {
                guard let late = waiter.withLock({ $0.take() }) else { return }
                task.cancel()
                late.resume(returning: nil)
            }
        }
    } onCancel: {
        work.withLock { $0 }?.cancel()
        waiter.withLock { $0.take() }?.resume(returning: nil)
    }
}
