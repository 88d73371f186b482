import Dispatch
import Foundation
import Locking

/// Runs actions later. The operator uses the real one; tests use ``ManualScheduler`` to move time by hand.
public protocol Scheduler: Sendable {
    /// Seconds on this scheduler's clock (monotonic).
    func now() -> Double
    /// Runs `action` `seconds` from now.
    func schedule(after seconds: Double, _ action: @escaping @Sendable () -> Void)
}

/// Real time, on Dispatch.
public struct DispatchScheduler: Scheduler {
    public init() {}
    public func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    public func schedule(after seconds: Double, _ action: @escaping @Sendable () -> Void) {
        DispatchQueue.global().asyncAfter(deadline: .now() + max(0, seconds), execute: action)
    }
}

/// Time that moves only when told: ``advance(by:)`` runs what fell due, in order.
public final class ManualScheduler: Scheduler {
    private let state = Locked<(now: Double, pending: [(at: Double, sequence: Int, action: @Sendable () -> Void)], sequence: Int)>((0, [], 0))

    public init() {}

    public func now() -> Double { state.withLock { $0.now } }

    public func schedule(after seconds: Double, _ action: @escaping @Sendable () -> Void) {
        state.withLock { s in
            s.pending.append((s.now + max(0, seconds), s.sequence, action))
            s.sequence += 1
        }
    }

    /// Moves the clock on, running every action that falls due (earliest first).
    public func advance(by seconds: Double) {
        let target = state.withLock { $0.now + seconds }
        while true {
            let next: (@Sendable () -> Void)? = state.withLock { s in
                guard let index = s.pending.indices.filter({ s.pending[$0].at <= target })
                    .min(by: { (s.pending[$0].at, s.pending[$0].sequence) < (s.pending[$1].at, s.pending[$1].sequence) }) else { return nil }
                let item = s.pending.remove(at: index)
                s.now = max(s.now, item.at)
                return item.action
            }
            guard let next else { break }
            next()
        }
        state.withLock { $0.now = target }
    }

    public var pendingCount: Int { state.withLock { $0.pending.count } }
}
