import Foundation
import Locking
import Testing

/// Runs each test of a suite on threads of its own, off Swift's cooperative pool:
/// - for tests that block a thread while a process runs (curl, kubectl, eipctl, promtool,
///   prometheus) or while they poll: on a 2-core machine the pool has two threads, and a test
///   blocking one of them would hold up every async test running beside it;
/// - for tests that measure real time (a cancellation within a second, a token's expiry): on the
///   pool, their continuations would wait behind whatever else the suite runs at the time.
/// The test's tasks, and its child tasks, run on threads made for them: a thread that blocks holds
/// up only its own test.
public struct RunsOnOwnThreads: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }  // each test case, not the suite around them
        try await withTaskExecutorPreference(OwnThreadsExecutor.shared) { try await function() }
    }
}

extension Trait where Self == RunsOnOwnThreads {
    /// Runs the tests on threads of their own, off Swift's cooperative pool (they may block).
    public static var runsOnOwnThreads: Self { RunsOnOwnThreads() }
}

/// A task executor on a pool of threads that grows when every thread is busy (or blocked) and keeps
/// idle threads for later jobs.
public final class OwnThreadsExecutor: TaskExecutor, @unchecked Sendable {
    /// The one pool of such threads the tests share.
    public static let shared = OwnThreadsExecutor()

    private let state = Locked<(jobs: [UnownedJob], idle: Int)>(([], 0))
    private let wake = DispatchSemaphore(value: 0)

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let startThread = state.withLock { s -> Bool in
            s.jobs.append(job)
            guard s.idle > 0 else { return true }
            s.idle -= 1
            return false
        }
        if startThread {
            Thread.detachNewThread { [self] in work() }
        } else {
            wake.signal()
        }
    }

    private func work() {
        while true {
            while let job = state.withLock({ $0.jobs.isEmpty ? nil : $0.jobs.removeFirst() }) {
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
            state.withLock { $0.idle += 1 }
            wake.wait()
        }
    }
}
