import Dispatch

/// Runs async work from synchronous code (a command line's top level, a benchmark) and waits for
/// its result. Never call it from a task on the cooperative pool: it blocks the calling thread.
public func awaitBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = Locked<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await body()
        box.withLock { $0 = value }
        done.signal()
    }
    // The semaphore is signalled only after the value is stored.
    while true {
        if let value = box.withLock({ $0 }) { return value }
        done.wait()
    }
}
