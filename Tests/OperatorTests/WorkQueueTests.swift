import Foundation
import Testing
@testable import Operator

@Suite("Work queue: client-go's semantics")
struct WorkQueueTests {
    @Test func aWaitingKeyIsNotQueuedTwice() async {
        let queue = WorkQueue(scheduler: ManualScheduler())
        queue.add("ns/a")
        queue.add("ns/a")
        queue.add("ns/b")
        #expect(queue.depth == 2)
        #expect(await queue.next() == "ns/a")
        #expect(await queue.next() == "ns/b")
    }

    @Test func aKeyIsNeverProcessedTwiceAtOnceAndRunsAgainAfterIfItChanged() async {
        let queue = WorkQueue(scheduler: ManualScheduler())
        queue.add("ns/a")
        #expect(await queue.next() == "ns/a")
        queue.add("ns/a")  // changed while a worker has it
        #expect(queue.depth == 0, "not handed to a second worker")
        queue.add("ns/b")
        #expect(await queue.next() == "ns/b")
        queue.done("ns/a")
        #expect(queue.depth == 1)
        #expect(await queue.next() == "ns/a", "processed again after done")
        queue.done("ns/a")
        queue.done("ns/b")
        #expect(queue.depth == 0 && queue.inFlight == 0)
    }

    @Test func aWaitingWorkerGetsTheNextKey() async {
        let queue = WorkQueue(scheduler: ManualScheduler())
        async let key = queue.next()
        try? await Task.sleep(nanoseconds: 20_000_000)
        queue.add("ns/late")
        #expect(await key == "ns/late")
        #expect(queue.inFlight == 1)
    }

    @Test func addAfterWaitsForTheClock() async {
        let scheduler = ManualScheduler()
        let queue = WorkQueue(scheduler: scheduler)
        queue.addAfter("ns/a", delay: 5)
        #expect(queue.depth == 0)
        scheduler.advance(by: 4.9)
        #expect(queue.depth == 0)
        scheduler.advance(by: 0.1)
        #expect(queue.depth == 1)
    }

    @Test func aKeyWaitsOnOneTimerTheEarliest() async {
        let scheduler = ManualScheduler()
        let queue = WorkQueue(scheduler: scheduler)
        // Ten "look again in 5 s" (one per event, say) make one look, not ten.
        for _ in 0..<10 { queue.addAfter("ns/a", delay: 5) }
        scheduler.advance(by: 5)
        #expect(queue.depth == 1)
        #expect(await queue.next() == "ns/a")
        queue.done("ns/a")
        scheduler.advance(by: 60)
        #expect(queue.depth == 0, "the nine others were never armed")
        // An earlier time replaces a later one; the later one then adds nothing.
        queue.addAfter("ns/b", delay: 10)
        queue.addAfter("ns/b", delay: 1)
        scheduler.advance(by: 1)
        #expect(queue.depth == 1)
        #expect(await queue.next() == "ns/b")
        queue.done("ns/b")
        scheduler.advance(by: 10)
        #expect(queue.depth == 0)
    }

    @Test func perKeyBackoffDoublesFromFiveMillisecondsToAThousandSeconds() {
        let limiter = ExponentialFailureRateLimiter()
        let delays = (0..<5).map { _ in limiter.when("k") }
        #expect(delays == [0.005, 0.01, 0.02, 0.04, 0.08])
        #expect(limiter.retries("k") == 5)
        for _ in 0..<40 { _ = limiter.when("k") }
        #expect(limiter.when("k") == 1000)
        limiter.forget("k")
        #expect(limiter.when("k") == 0.005)
        #expect(limiter.when("other") == 0.005, "per key")
    }

    @Test func theOverallBucketAllowsABurstThenTenASecond() {
        let scheduler = ManualScheduler()
        let bucket = TokenBucketRateLimiter(scheduler: scheduler)
        let burst = (0..<100).map { bucket.when("k\($0)") }
        #expect(burst.allSatisfy { $0 == 0 })
        #expect(abs(bucket.when("x") - 0.1) < 1e-9)
        #expect(abs(bucket.when("y") - 0.2) < 1e-9)
        scheduler.advance(by: 10)
        #expect(bucket.when("z") == 0)
    }

    @Test func rateLimitedAddsUseTheLargerDelay() {
        let scheduler = ManualScheduler()
        let queue = WorkQueue(scheduler: scheduler)
        queue.addRateLimited("ns/a")  // 5 ms
        queue.addRateLimited("ns/a")  // 10 ms
        scheduler.advance(by: 0.006)
        #expect(queue.depth == 1)
        queue.forget("ns/a")
        #expect(queue.rateLimiter.retries("ns/a") == 0)
    }

    @Test func shutDownReleasesWaitingWorkers() async {
        let queue = WorkQueue(scheduler: ManualScheduler())
        async let waiting = queue.next()
        try? await Task.sleep(nanoseconds: 20_000_000)
        queue.shutDown()
        #expect(await waiting == nil)
        queue.add("ns/a")
        #expect(await queue.next() == nil, "nothing is handed out after shutdown")
    }

    @Test func manyWorkersNeverShareAKey() async {
        let queue = WorkQueue(scheduler: ManualScheduler())
        let active = Counter()
        for round in 0..<50 { queue.add("ns/k\(round % 5)") }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let key = await queue.next() {
                        #expect(active.enter(key), "\(key) handed to two workers")
                        if Int.random(in: 0..<3) == 0 { queue.add(key) }
                        try? await Task.sleep(nanoseconds: 100_000)
                        active.leave(key)
                        queue.done(key)
                        if queue.depth == 0 && queue.inFlight == 0 { queue.shutDown() }
                    }
                }
            }
        }
    }
}

/// Keys currently held by workers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var held: Set<String> = []
    func enter(_ key: String) -> Bool { lock.withLock { held.insert(key).inserted } }
    func leave(_ key: String) { _ = lock.withLock { held.remove(key) } }
}
