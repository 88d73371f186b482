import Foundation
import JSON
import Kube
import KubeEmulator
import Locking
import Testing
@testable import Operator

/// An emulator (plain HTTP, no kubelet) and a client for it.
final class OperatorFixture: @unchecked Sendable {
    let emulator: KubeEmulator
    let client: KubeClient

    init(podStartDelay: Double? = nil, historyLimit: Int = 10_000, expiredWatchAnswer: KubeEmulator.ExpiredWatchAnswer = .errorEvent) throws {
        var configuration = KubeEmulator.Configuration()
        configuration.podStartDelaySeconds = podStartDelay
        configuration.historyLimit = historyLimit
        configuration.expiredWatchAnswer = expiredWatchAnswer
        emulator = try KubeEmulator(configuration)
        client = KubeClient(transport: HTTPTransport(TransportConfiguration(server: emulator.url)))
    }

    deinit { emulator.stop() }
}

/// Waits (bounded, without blocking the cooperative pool) until `condition` holds. The bound is
/// generous (30 s): it is how long a loaded 2-core machine may take, not how long it should.
func eventually(timeout: Double = 30, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return condition()
}

func configMap(_ name: String, namespace: String = "default", data: JSONValue = .object([:])) -> JSONValue {
    ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": .string(namespace)], "data": data]
}

@Suite("Informer")
struct InformerTests {
    @Test func listsThenWatchesIntoItsCache() async throws {
        let f = try OperatorFixture()
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("before"))
        let informer = Informer(client: f.client, resource: .configMaps)
        let seen = Locked<[String]>([])
        informer.addHandler { event in
            let name = event.object["metadata"]?["name"]?.stringValue ?? ""
            switch event {
            case .added: seen.withLock { $0.append("+\(name)") }
            case .updated: seen.withLock { $0.append("~\(name)") }
            case .deleted: seen.withLock { $0.append("-\(name)") }
            }
        }
        informer.start()
        defer { informer.stop() }
        #expect(await eventually { informer.hasSynced })
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("after"))
        _ = try await f.client.patch(.configMaps, namespace: "default", name: "before", .merge(["data": ["k": "v"]]))
        _ = try await f.client.delete(.configMaps, namespace: "default", name: "after")
        #expect(await eventually { seen.withLock { $0 }.count == 4 })
        #expect(seen.withLock { $0 } == ["+before", "+after", "~before", "-after"])
        #expect(informer.get(namespace: "default", name: "before")?["data"]?["k"] == "v")
        #expect(informer.get(namespace: "default", name: "after") == nil)
        #expect(informer.list(namespace: "default").count == 1)
        // Each namespace lists only its own; all of them list together.
        _ = try await f.client.create(.configMaps, namespace: "kube-system", configMap("elsewhere", namespace: "kube-system"))
        #expect(await eventually { informer.list().count == 2 })
        #expect(informer.list(namespace: "default").map { $0["metadata"]?["name"]?.stringValue } == ["before"])
        #expect(informer.list(namespace: "kube-system").map { $0["metadata"]?["name"]?.stringValue } == ["elsewhere"])
        #expect(informer.list(namespace: "absent").isEmpty)
    }

    /// An index follows the cache through adds, changes of the indexed value, deletions, other
    /// namespaces and a relist; what it finds is what a scan of the list filtered by its function finds.
    @Test func anIndexFindsWhatTheFilteredListFinds() async throws {
        let f = try OperatorFixture()
        let byTarget = ObjectIndex(name: "target") { $0["data"]?["target"]?.stringValue.map { [$0] } ?? [] }
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("a", data: ["target": "x"]))
        let informer = Informer(client: f.client, resource: .configMaps, indexes: [byTarget])
        informer.start()
        defer { informer.stop() }
        #expect(await eventually { informer.hasSynced })
        func found(_ value: String, in namespace: String = "default") -> [String] {
            informer.objects(namespace: namespace, index: "target", value: value).compactMap { $0["metadata"]?["name"]?.stringValue }.sorted()
        }
        func scanned(_ value: String, in namespace: String = "default") -> [String] {
            informer.list(namespace: namespace).filter { byTarget.values($0).contains(value) }.compactMap { $0["metadata"]?["name"]?.stringValue }.sorted()
        }
        #expect(found("x") == ["a"])
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("b", data: ["target": "x"]))
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("c", data: ["target": "y"]))
        _ = try await f.client.create(.configMaps, namespace: "kube-system", configMap("d", namespace: "kube-system", data: ["target": "x"]))
        #expect(await eventually { informer.list().count == 4 })
        #expect(found("x") == ["a", "b"] && found("y") == ["c"] && found("x", in: "kube-system") == ["d"])
        _ = try await f.client.patch(.configMaps, namespace: "default", name: "b", .merge(["data": ["target": "y"]]))
        _ = try await f.client.delete(.configMaps, namespace: "default", name: "c")
        #expect(await eventually { found("y") == ["b"] })
        #expect(found("x") == ["a"])
        informer.relist()
        #expect(await eventually { !informer.isRelisting })
        for value in ["x", "y", "z"] { #expect(found(value) == scanned(value), "\(value)") }
        #expect(informer.hasIndex("target") && !informer.hasIndex("owner"))
        #expect(informer.objects(namespace: "default", index: "owner", value: "x").isEmpty)
    }

    @Test func clusterScopedObjectsAreFoundWithoutANamespace() async throws {
        let f = try OperatorFixture()
        let informer = Informer(client: f.client, resource: .namespaces)
        informer.start()
        defer { informer.stop() }
        #expect(await eventually { informer.hasSynced })
        #expect(informer.get(namespace: nil, name: "kube-system")?["kind"] == "Namespace")
        #expect(informer.list().count >= 4, "default, kube-system, kube-public, kube-node-lease")
    }

    @Test func relistsAfter410AndReportsWhatChangedMeanwhile() async throws {
        let f = try OperatorFixture()
        let informer = Informer(client: f.client, resource: .configMaps, namespace: "default")
        let deleted = Locked<[String]>([])
        informer.addHandler { if case .deleted(let o) = $0 { deleted.withLock { $0.append(o["metadata"]?["name"]?.stringValue ?? "") } } }
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("a"))
        informer.start()
        defer { informer.stop() }
        #expect(await eventually { informer.hasSynced && f.emulator.openWatches == 1 })
        f.emulator.compactHistory()
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("b"))
        _ = try await f.client.delete(.configMaps, namespace: "default", name: "a")
        #expect(await eventually { informer.get(namespace: "default", name: "b") != nil && informer.get(namespace: "default", name: "a") == nil })
        #expect(informer.watchRestarts >= 1)
        #expect(f.emulator.requests.filter { $0.verb == "list" }.count >= 2, "relisted")
        #expect(deleted.withLock { $0 } == ["a"])
    }

    /// An API server restart ends the watch cleanly; resuming from the last resourceVersion seen is
    /// then 410 Gone, which a server answers in one of two forms (HTTP 200 and an ERROR event, or HTTP
    /// 410). Either way the informer relists (after the reflector's first wait) and carries on.
    @Test(arguments: [KubeEmulator.ExpiredWatchAnswer.errorEvent, .httpStatus])
    func relistsWhenItsWatchCannotResume(answer: KubeEmulator.ExpiredWatchAnswer) async throws {
        let f = try OperatorFixture(expiredWatchAnswer: answer)
        let informer = Informer(client: f.client, resource: .configMaps, namespace: "default")
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("a"))
        informer.start()
        defer { informer.stop() }
        #expect(await eventually { informer.hasSynced && f.emulator.openWatches == 1 })
        // A change the informer's watch does not carry (another namespace), then the restart: the
        // informer's last resourceVersion is now older than the new watch cache reaches.
        _ = try await f.client.create(.configMaps, namespace: "kube-system", configMap("elsewhere", namespace: "kube-system"))
        f.emulator.restartWatchCache()
        #expect(await eventually { f.emulator.requests.filter { $0.verb == "list" }.count == 2 }, "relisted")
        let watches = f.emulator.requests.filter { $0.verb == "watch" }.map(\.status)
        #expect(watches.prefix(2) == [200, answer == .errorEvent ? 200 : 410], "\(watches)")
        #expect(informer.watchRestarts == 2, "the stream the restart ended, then the 410")
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("b"))
        #expect(await eventually { informer.get(namespace: "default", name: "b") != nil }, "watching again")
        #expect(informer.list(namespace: "default").count == 2)
    }

    @Test func resumesAfterDroppedConnectionsWithoutMissingChanges() async throws {
        let f = try OperatorFixture()
        let informer = Informer(client: f.client, resource: .configMaps, namespace: "default")
        informer.start()
        defer { informer.stop() }
        #expect(await eventually { informer.hasSynced })
        for i in 0..<5 {
            #expect(await eventually { f.emulator.openWatches == 1 })
            f.emulator.dropConnections()
            _ = try await f.client.create(.configMaps, namespace: "default", configMap("c\(i)"))
        }
        #expect(await eventually { informer.list().count == 5 })
        #expect(f.emulator.requests.filter { $0.verb == "list" }.count == 1, "resumed from the resourceVersion, no relist")
    }
}

/// `eventually` for conditions that await.
func eventuallyAsync(timeout: Double = 30, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return await condition()
}

@Suite("Event recorder")
struct EventRecorderTests {
    @Test func repeatsAreCountedOnOneEvent() async throws {
        let f = try OperatorFixture()
        let pool: JSONValue = ["metadata": ["name": "pool", "namespace": "default", "uid": "uid-1", "resourceVersion": "7"]]
        let recorder = EventRecorder(client: f.client, instance: "test")
        await recorder.record(pool, type: .warning, reason: "MetricsUnavailable", message: "no fresh value for P90")
        await recorder.record(pool, type: .warning, reason: "MetricsUnavailable", message: "no fresh value for P90")
        await recorder.record(pool, type: .normal, reason: "ScaledUp", message: "2 -> 6")
        #expect(await recorder.flush(timeout: 30))
        let events = try await f.client.list(.events, namespace: "default").items.map(EventView.init)
        #expect(events.count == 2)
        let repeated = try #require(events.first { $0.reason == "MetricsUnavailable" })
        #expect(repeated.count == 2)
        #expect(repeated.type == "Warning")
        #expect(repeated.involvedObjectName == "pool")
        #expect(events.first { $0.reason == "ScaledUp" }?.count == 1)
    }
}
