import Foundation
import JSON
import KubeEmulator
import Locking
import TestSupport
import Testing
@testable import Kube

/// Collects a watch's events on a task, for tests to wait on.
final class EventCollector: @unchecked Sendable {
    let events = Locked<[WatchEvent]>([])
    let failure = Locked<KubeError?>(nil)
    let finished = Locked(false)
    var task: Task<Void, Never>?

    init(_ stream: AsyncThrowingStream<WatchEvent, Error>) {
        // On the test's own threads (an unstructured task does not inherit its executor preference):
        // on the cooperative pool, tests busy beside it could hold the events up for seconds.
        task = Task(executorPreference: OwnThreadsExecutor.shared) { [events, failure, finished] in
            do {
                for try await event in stream { events.withLock { $0.append(event) } }
            } catch let error as KubeError {
                failure.withLock { $0 = error }
            } catch {}
            finished.withLock { $0 = true }
        }
    }

    var names: [String] { events.withLock { $0 }.filter { $0.type != .bookmark }.compactMap { $0.object["metadata"]?["name"]?.stringValue } }

    /// Waits (bounded, without blocking a cooperative thread) until `condition` holds.
    @discardableResult
    func wait(timeout: Double = 10, until condition: (EventCollector) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(self) { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return condition(self)
    }
}

@Suite("Client watches", .runsOnOwnThreads)
struct ClientWatchTests {
    @Test func eventsArriveInOrderWithBookmarksRequested() async throws {
        let f = try ClientFixture()
        let client = f.client()
        let start = String(f.emulator.resourceVersion)
        let collector = EventCollector(client.watch(.configMaps, namespace: "default", resourceVersion: start))
        for i in 0..<20 { _ = try await client.create(.configMaps, namespace: "default", configMap("c\(i)")) }
        _ = try await client.delete(.configMaps, namespace: "default", name: "c0")
        #expect(await collector.wait { $0.names.count == 21 })
        #expect(collector.names == (0..<20).map { "c\($0)" } + ["c0"])
        #expect(collector.events.withLock { $0 }.last?.type == .deleted)
        #expect(f.emulator.requests.first { $0.verb == "watch" }?.query["allowWatchBookmarks"] == "true")
        collector.task?.cancel()
    }

    @Test func bookmarksAdvanceTheResourceVersion() async throws {
        let f = try ClientFixture(bookmarkInterval: 0.2)
        let client = f.client()
        _ = try await client.create(.configMaps, namespace: "default", configMap("a"))
        let start = String(f.emulator.resourceVersion)
        _ = try await client.create(.deployments, namespace: "default", deployment("elsewhere"))  // moves the revision on
        let collector = EventCollector(client.watch(.configMaps, namespace: "default", resourceVersion: start))
        #expect(await collector.wait { $0.events.withLock { $0 }.contains { $0.type == .bookmark } })
        let bookmark = try #require(collector.events.withLock { $0 }.first { $0.type == .bookmark })
        #expect(Int(bookmark.resourceVersion ?? "") ?? 0 > Int(start) ?? 0)
        collector.task?.cancel()
    }

    /// A watch from a resourceVersion the server's history no longer holds gets 410 Gone in one of two
    /// forms: the watch cache's (HTTP 200, then one ERROR event with the 410 Status) or HTTP 410.
    /// The client reports both as `.gone`.
    @Test(arguments: [KubeEmulator.ExpiredWatchAnswer.errorEvent, .httpStatus])
    func goneForAnExpiredResourceVersion(answer: KubeEmulator.ExpiredWatchAnswer) async throws {
        let f = try ClientFixture(historyLimit: 2, expiredWatchAnswer: answer)
        let client = f.client()
        let old = String(f.emulator.resourceVersion)
        for i in 0..<5 { _ = try await client.create(.configMaps, namespace: "default", configMap("c\(i)")) }
        let collector = EventCollector(client.watch(.configMaps, namespace: "default", resourceVersion: old))
        #expect(await collector.wait { $0.finished.withLock { $0 } })
        let failure = collector.failure.withLock { $0 }
        #expect(failure?.kind == .gone)
        #expect(failure?.statusCode == 410)
        #expect(failure?.status?["reason"] == "Expired")
        #expect(collector.events.withLock { $0 }.isEmpty)
        let watch = try #require(f.emulator.requests.first { $0.verb == "watch" })
        #expect(watch.status == (answer == .errorEvent ? 200 : 410), "the form the server answered in")
    }

    @Test func goneAsAnErrorEventOnAnOpenStream() async throws {
        let f = try ClientFixture()
        let client = f.client()
        let collector = EventCollector(client.watch(.configMaps, namespace: "default", resourceVersion: String(f.emulator.resourceVersion)))
        #expect(await collector.wait { _ in f.emulator.openWatches == 1 })
        _ = try await client.create(.configMaps, namespace: "default", configMap("a"))
        #expect(await collector.wait { $0.names == ["a"] })
        f.emulator.compactHistory()
        #expect(await collector.wait { $0.finished.withLock { $0 } })
        #expect(collector.failure.withLock { $0 }?.kind == .gone)
        #expect(collector.failure.withLock { $0 }?.status?["reason"] == "Expired")
    }

    @Test func aOneMegabyteObjectSplitOverManyChunks() async throws {
        let f = try ClientFixture()
        let client = f.client()
        let big = String(repeating: "0123456789abcdef", count: 65_536)  // 1 MiB
        let collector = EventCollector(client.watch(.configMaps, namespace: "default", resourceVersion: String(f.emulator.resourceVersion)))
        #expect(await collector.wait { _ in f.emulator.openWatches == 1 })
        _ = try await client.create(.configMaps, namespace: "default", configMap("big", data: ["blob": .string(big)]))
        _ = try await client.create(.configMaps, namespace: "default", configMap("after"))
        #expect(await collector.wait { $0.names.count == 2 })
        #expect(collector.events.withLock { $0 }.first?.object["data"]?["blob"]?.stringValue == big)
        #expect(collector.names == ["big", "after"])
        collector.task?.cancel()
    }

    @Test func cancellingAnIdleWatchStopsItWithinASecond() async throws {
        let f = try ClientFixture()
        let client = f.client()
        let collector = EventCollector(client.watch(.configMaps, namespace: "default", resourceVersion: String(f.emulator.resourceVersion)))
        #expect(await collector.wait { _ in f.emulator.openWatches == 1 })
        let start = Date()
        collector.task?.cancel()
        #expect(await collector.wait(timeout: 6) { $0.finished.withLock { $0 } })
        // Within a second, as the progress callback polls; an idle watch left alone would run to its
        // 70 s inactivity timeout (the slack is for a loaded machine).
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(await collector.wait(timeout: 3) { _ in f.emulator.openWatches == 0 }, "the server saw the connection go")
    }

    @Test func theInactivityTimeoutEndsASilentStream() async throws {
        let f = try ClientFixture()
        let client = f.client { $0.watchInactivityTimeout = 1 }
        let collector = EventCollector(client.watch(.configMaps, namespace: "default", resourceVersion: String(f.emulator.resourceVersion)))
        // One silent second ends it; the bound is for a loaded machine (without the timeout the watch would never end).
        #expect(await collector.wait(timeout: 20) { $0.finished.withLock { $0 } })
        #expect(collector.failure.withLock { $0 }?.kind == .timedOut)
    }

    @Test func aResumingWatchLosesAndRepeatsNothingAcrossDroppedConnections() async throws {
        let f = try ClientFixture()
        let client = f.client()
        var backoff = Backoff(initial: .milliseconds(50), maximum: .milliseconds(200))
        backoff.reset()
        let collector = EventCollector(client.resumingWatch(.configMaps, namespace: "default", from: String(f.emulator.resourceVersion), backoff: backoff))
        var expected: [String] = []
        for round in 0..<15 {
            #expect(await collector.wait { _ in f.emulator.openWatches == 1 })
            for i in 0..<3 {
                let name = "r\(round)-\(i)"
                expected.append(name)
                _ = try await client.create(.configMaps, namespace: "default", configMap(name))
            }
            #expect(await collector.wait { $0.names.count == expected.count })
            // Drop the watch; more events happen while it is down.
            f.emulator.dropConnections()
            let name = "down-\(round)"
            expected.append(name)
            _ = try await client.create(.configMaps, namespace: "default", configMap(name))
        }
        #expect(await collector.wait { $0.names.count == expected.count })
        #expect(collector.names == expected, "every event exactly once, in order")
        #expect(collector.failure.withLock { $0 } == nil)
        collector.task?.cancel()
    }

    @Test func aResumingWatchCarriesOnAfterTheServerEndsTheStream() async throws {
        let f = try ClientFixture()
        let client = f.client()
        let collector = EventCollector(client.resumingWatch(.configMaps, namespace: "default", from: String(f.emulator.resourceVersion), timeoutSeconds: 1))
        _ = try await client.create(.configMaps, namespace: "default", configMap("before"))
        #expect(await collector.wait { $0.names == ["before"] })
        try await Task.sleep(nanoseconds: 1_500_000_000)  // the first stream has timed out server-side
        _ = try await client.create(.configMaps, namespace: "default", configMap("after"))
        #expect(await collector.wait { $0.names == ["before", "after"] })
        #expect(f.emulator.requests.filter { $0.verb == "watch" }.count >= 2)
        collector.task?.cancel()
    }

    /// The API server restarts: the stream ends cleanly, and resuming from the last resourceVersion
    /// seen is 410 (in either form), which ends the resuming watch so the caller relists.
    @Test(arguments: [KubeEmulator.ExpiredWatchAnswer.errorEvent, .httpStatus])
    func aResumingWatchThatResumesTooLateEndsWithGone(answer: KubeEmulator.ExpiredWatchAnswer) async throws {
        let f = try ClientFixture(expiredWatchAnswer: answer)
        let client = f.client()
        let collector = EventCollector(client.resumingWatch(.configMaps, namespace: "default", from: String(f.emulator.resourceVersion)))
        #expect(await collector.wait { _ in f.emulator.openWatches == 1 })
        _ = try await client.create(.configMaps, namespace: "default", configMap("a"))
        #expect(await collector.wait { $0.names == ["a"] })
        // A change this watch does not see (another namespace), then the restart.
        _ = try await client.create(.configMaps, namespace: "kube-system", configMap("elsewhere"))
        f.emulator.restartWatchCache()
        #expect(await collector.wait { $0.finished.withLock { $0 } })
        #expect(collector.failure.withLock { $0 }?.kind == .gone)
        let watches = f.emulator.requests.filter { $0.verb == "watch" }
        #expect(watches.map(\.status) == [200, answer == .errorEvent ? 200 : 410], "resumed once, then gone")
        #expect(watches.last?.query["resourceVersion"] == collector.events.withLock { $0 }.last?.resourceVersion)
    }

    @Test func aResumingWatchEndsWithGoneSoTheCallerRelists() async throws {
        let f = try ClientFixture()
        let client = f.client()
        let collector = EventCollector(client.resumingWatch(.configMaps, namespace: "default", from: String(f.emulator.resourceVersion)))
        #expect(await collector.wait { _ in f.emulator.openWatches == 1 })
        _ = try await client.create(.configMaps, namespace: "default", configMap("a"))
        #expect(await collector.wait { $0.names == ["a"] })
        f.emulator.compactHistory()
        #expect(await collector.wait { $0.finished.withLock { $0 } })
        #expect(collector.failure.withLock { $0 }?.kind == .gone)
    }
}
