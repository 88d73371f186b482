import Autoscaling
import Foundation
import Locking
import TestDoubles
import TestSupport
import Testing
@testable import Operator

@Suite("Work queue: client-go's semantics")
struct WorkQueueTests {
    @Test func aWaitingKeyIsNotQueuedTwice() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        queue.add("ns/a")
        queue.add("ns/a")
        queue.add("ns/b")
        #expect(queue.depth == 2)
        #expect(await queue.next() == "ns/a")
        #expect(await queue.next() == "ns/b")
    }

    @Test func aKeyIsNeverProcessedTwiceAtOnceAndRunsAgainAfterIfItChanged() async {
        let queue = WorkQueue<String>(clock: ManualClock())
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
        let queue = WorkQueue<String>(clock: ManualClock())
        async let key = queue.next()
        // Only once the worker waits: then the key goes to it directly, never through the queue.
        #expect(await eventually { queue.waitingWorkers == 1 })
        queue.add("ns/late")
        #expect(queue.depth == 0 && queue.waitingWorkers == 0, "handed to the waiting worker")
        #expect(await key == "ns/late")
        #expect(queue.inFlight == 1)
    }

    @Test func addAfterWaitsForTheClock() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        queue.addAfter("ns/a", delay: .seconds(5))
        #expect(queue.depth == 0)
        clock.advance(by: .milliseconds(4900))
        #expect(queue.depth == 0)
        clock.advance(by: .milliseconds(100))
        #expect(queue.depth == 1)
    }

    @Test func aKeyWaitsOnOneTimerTheEarliest() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        // Ten "look again in 5 s" (one per event, say) make one look, not ten.
        for _ in 0..<10 { queue.addAfter("ns/a", delay: .seconds(5)) }
        clock.advance(by: .seconds(5))
        #expect(queue.depth == 1)
        #expect(await queue.next() == "ns/a")
        queue.done("ns/a")
        clock.advance(by: .seconds(60))
        #expect(queue.depth == 0, "the nine others were never armed")
        // An earlier time replaces a later one; the later one then adds nothing.
        queue.addAfter("ns/b", delay: .seconds(10))
        queue.addAfter("ns/b", delay: .seconds(1))
        clock.advance(by: .seconds(1))
        #expect(queue.depth == 1)
        #expect(await queue.next() == "ns/b")
        queue.done("ns/b")
        clock.advance(by: .seconds(10))
        #expect(queue.depth == 0)
    }

    @Test func perKeyBackoffDoublesFromFiveMillisecondsToAThousandSeconds() {
        let limiter = ExponentialFailureRateLimiter<String>()
        let delays = (0..<5).map { _ in limiter.when("k") }
        #expect(delays == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(80)])
        #expect(limiter.retries("k") == 5)
        for _ in 0..<40 { _ = limiter.when("k") }
        #expect(limiter.when("k") == .seconds(1000))
        limiter.forget("k")
        #expect(limiter.when("k") == .milliseconds(5))
        #expect(limiter.when("other") == .milliseconds(5), "per key")
    }

    @Test func theOverallBucketAllowsABurstThenTenASecond() {
        let clock = ManualClock()
        let bucket = TokenBucketRateLimiter<String>(clock: clock)
        let burst = (0..<100).map { bucket.when("k\($0)") }
        #expect(burst.allSatisfy { $0 == .zero })
        #expect(abs(bucket.when("x").inSeconds - 0.1) < 1e-9)
        #expect(abs(bucket.when("y").inSeconds - 0.2) < 1e-9)
        clock.advance(by: .seconds(10))
        #expect(bucket.when("z") == .zero)
    }

    @Test func rateLimitedAddsUseTheLargerDelay() {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        queue.addRateLimited("ns/a")  // 5 ms
        queue.addRateLimited("ns/a")  // 10 ms
        clock.advance(by: .milliseconds(6))
        #expect(queue.depth == 1)
        queue.forget("ns/a")
        #expect(queue.rateLimiter.retries("ns/a") == 0)
    }

    @Test func shutDownReleasesWaitingWorkers() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        async let waiting = queue.next()
        #expect(await eventually { queue.waitingWorkers == 1 })
        queue.shutDown()
        #expect(await waiting == nil)
        queue.add("ns/a")
        #expect(await queue.next() == nil, "nothing is handed out after shutdown")
    }

    @Test func manyWorkersNeverShareAKey() async {
        let queue = WorkQueue<String>(clock: ManualClock())
        let active = Counter()
        for round in 0..<50 { queue.add("ns/k\(round % 5)") }
        // Which keys change again while a worker holds them: the same every run (worker w's i-th key).
        let again = (0..<4).map { worker in
            var rng = SeededGenerator(seed: UInt64(worker + 1))
            return (0..<200).map { _ in Int.random(in: 0..<3, using: &rng) == 0 }
        }
        let readded = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var handled = 0
                    while let key = await queue.next() {
                        #expect(active.enter(key), "\(key) handed to two workers")
                        if again[worker][handled % 200] {
                            queue.add(key)
                            readded.withLock { $0 += 1 }
                        }
                        handled += 1
                        try? await Task.sleep(nanoseconds: 100_000)
                        active.leave(key)
                        queue.done(key)
                        if queue.depth == 0 && queue.inFlight == 0 { queue.shutDown() }
                    }
                }
            }
        }
        #expect(readded.withLock { $0 } > 0, "keys changed while held, so the case the test is about happened")
        #expect(active.maximumHeld <= 4 && active.everHeld == 5, "all five keys were processed")
    }
}

/// Keys currently held by workers, and what was ever held.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var held: Set<String> = []
    private var seen: Set<String> = []
    private var most = 0
    func enter(_ key: String) -> Bool {
        lock.withLock {
            seen.insert(key)
            defer { most = max(most, held.count) }
            return held.insert(key).inserted
        }
    }
    func leave(_ key: String) { _ = lock.withLock { held.remove(key) } }
    /// Keys held at once, at most.
    var maximumHeld: Int { lock.withLock { most } }
    /// Distinct keys ever held.
    var everHeld: Int { lock.withLock { seen.count } }
}
