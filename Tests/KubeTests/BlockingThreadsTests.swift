import Foundation
import Locking
import TestSupport
import Testing

@Suite("Blocking threads", .runsOnOwnThreads)
struct BlockingThreadsTests {
    @Test func jobsThatBlockEachOtherAllRunAtOnce() {
        // Ten jobs that each wait for all ten to have started: they finish only if none waits
        // behind another, as blocking transfers must not.
        let pool = BlockingThreads(idleSeconds: 60)
        let started = Locked(0)
        let allStarted = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<10 {
            pool.run {
                if started.withLock({ n -> Bool in n += 1; return n == 10 }) { for _ in 0..<10 { allStarted.signal() } }
                allStarted.wait()
                done.signal()
            }
        }
        for _ in 0..<10 { #expect(done.wait(timeout: .now() + 30) == .success) }
    }

    @Test func anIdleThreadIsReused() {
        let pool = BlockingThreads(idleSeconds: 600)
        let threads = Locked<Set<String>>([])
        let done = DispatchSemaphore(value: 0)
        func job() { pool.run { threads.withLock { _ = $0.insert("\(pthread_self())") }; done.signal() } }
        job()
        #expect(done.wait(timeout: .now() + 10) == .success)
        // The thread waits for the next job (a bounded poll: it says so just after the job returns).
        let deadline = Date().addingTimeInterval(10)
        while pool.idleThreads == 0 && Date() < deadline { usleep(1_000) }
        #expect(pool.idleThreads == 1)
        job()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(threads.withLock { $0.count } == 1, "the second job ran on the first job's thread")
        #expect(pool.threads == 1)
    }

    @Test func aThreadIdleForIdleSecondsEnds() {
        let pool = BlockingThreads(idleSeconds: 0.2)
        let during = Locked(0)
        let done = DispatchSemaphore(value: 0)
        pool.run { during.withLock { $0 = pool.threads }; done.signal() }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(during.withLock { $0 } == 1)
        let deadline = Date().addingTimeInterval(10)
        while pool.threads > 0 && Date() < deadline { usleep(10_000) }
        #expect((pool.threads, pool.idleThreads) == (0, 0))
    }
}
