import Dispatch
import Foundation
import Locking

/// A thread of the emulator's own (the fake kubelet, the simulated pods' clock) that waits, works,
/// and waits again until stopped: `wait` says until when to sleep before each round (a wake-up cuts
/// it short; several wake-ups in a burst make one round), and `work` is the round.
final class BackgroundLoop: Sendable {
    private let wakeUps = DispatchSemaphore(value: 0)
    private let running = Locked(true)
    private let finished = DispatchSemaphore(value: 0)

    init(wait: @escaping @Sendable () -> DispatchTime, work: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [wakeUps, running, finished] in
            defer { finished.signal() }
            while running.withLock({ $0 }) {
                _ = wakeUps.wait(timeout: wait())
                guard running.withLock({ $0 }) else { return }
                while wakeUps.wait(timeout: .now()) == .success {}  // coalesce a burst of changes
                work()
            }
        }
    }

    /// Cuts the current wait short.
    func wake() { wakeUps.signal() }

    /// Stops the loop and waits for its round to end (idempotent).
    func stop() {
        let wasRunning = running.withLock { r in
            defer { r = false }
            return r
        }
        guard wasRunning else { return }
        wakeUps.signal()
        finished.wait()
    }
}
