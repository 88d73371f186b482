import Autoscaling
import TestDoubles
import Testing
@testable import Operator

/// The queue's `workqueue_*` measurements, as client-go's queue takes them, on a manual clock.
@Suite("Work queue metrics")
struct WorkQueueMetricsTests {
    @Test func addsCountOnlyWhatQueuesAndDepthIsWhatWaits() {
        let queue = WorkQueue<String>(clock: ManualClock())
        queue.add("ns/a")
        queue.add("ns/a")
        queue.add("ns/b")
        #expect(queue.metrics.adds == 2, "an add of a waiting key is not one")
        #expect(queue.metrics.depth == 2)
    }

    @Test func queueAndWorkDurationsAreObservedOnTheClock() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        queue.add("ns/a")
        clock.advance(by: .seconds(2))
        #expect(await queue.next() == "ns/a")
        var m = queue.metrics
        #expect(m.depth == 0)
        #expect(m.queueDurations.count == 1 && m.queueDurations.sum == 2)
        #expect(m.workDurations.count == 0, "not done yet")

        clock.advance(by: .seconds(3))
        m = queue.metrics
        #expect(m.unfinishedWorkSeconds == 3 && m.longestRunningProcessorSeconds == 3)

        // Added while it is processed: counted and waiting (client-go's depth), handed out after done.
        queue.add("ns/a")
        #expect(queue.metrics.adds == 2 && queue.metrics.depth == 1)
        clock.advance(by: .seconds(1))
        queue.done("ns/a")
        m = queue.metrics
        #expect(m.workDurations.count == 1 && m.workDurations.sum == 4)
        #expect(m.unfinishedWorkSeconds == 0 && m.longestRunningProcessorSeconds == 0)
        #expect(await queue.next() == "ns/a")
        #expect(queue.metrics.queueDurations.sum == 3, "waited from its add at 5 s to its hand-out at 6 s")
    }

    @Test func twoProcessorsSumAndTheLongestIsTheOldest() async {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        queue.add("ns/a")
        #expect(await queue.next() == "ns/a")
        clock.advance(by: .seconds(4))
        queue.add("ns/b")
        #expect(await queue.next() == "ns/b")
        clock.advance(by: .seconds(1))
        #expect(queue.metrics.unfinishedWorkSeconds == 6)
        #expect(queue.metrics.longestRunningProcessorSeconds == 5)
    }

    /// Every `AddAfter` is a retry in client-go's count, rate-limited or not; the key is an add
    /// only when its timer fires.
    @Test func retriesCountEachDelayedAdd() {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        queue.addRateLimited("ns/a")
        queue.addAfter("ns/b", delay: .seconds(5))
        #expect(queue.metrics.retries == 2)
        #expect(queue.metrics.adds == 0 && queue.metrics.depth == 0, "still waiting on their timers")
        clock.advance(by: .seconds(5))
        #expect(queue.metrics.adds == 2 && queue.metrics.depth == 2)
    }

    @Test func theHistogramsHaveClientGosBuckets() {
        let m = WorkQueue<String>(clock: ManualClock()).metrics
        #expect(m.queueDurations.bounds.count == 12)
        #expect(m.queueDurations.bounds.first == 1e-8 && m.queueDurations.bounds.last == 1000)
        #expect(zip(m.workDurations.bounds, m.workDurations.bounds.dropFirst()).allSatisfy { abs($1 / $0 - 10) < 1e-9 })
    }
}
