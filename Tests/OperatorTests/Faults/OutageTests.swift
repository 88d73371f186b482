import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Locking
import TestDoubles
import Testing
@testable import Operator

@Suite("No stale-cache writes after an outage", .serialized)
struct OutageTests {
    /// The API server answers the operator 500 for everything while someone changes the pool (its
    /// maximum drops to 3) and the load breaches. The operator's caches still show the old pool:
    /// nothing may be decided from them. Once the server answers again, the operator writes once,
    /// the right value, from the pool as it is now; one Event says so; nothing is written twice.
    @Test func afterAnOutageTheOperatorWritesOnceFromThePoolAsItIsNow() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
        #expect(await f.eventually { f.cachedReadyReplicas("model") == 2 })
        await f.advance(by: .seconds(2))

        // The outage: every request of the operator's answered 500; its watches are cut and cannot resume.
        f.emulator.inject(Fault(status: 500, count: 1_000_000, userAgent: ControllerFixture.operatorUserAgent, message: "etcdserver: leader changed"))
        f.emulator.dropConnections()
        #expect(await eventually { f.controller.pools.lastFailure != nil && f.controller.deployments.lastFailure != nil })
        // Meanwhile the pool changes and the load breaches: the old pool (max 12) would step 2 -> 6.
        _ = try await f.client.patch(.elasticInferencePools, namespace: "default", name: "pool", .merge(["spec": ["maxReplicas": 3]]))
        f.metrics.set([.p90: 0.5, .gpuUtil: 0.5])
        let before = f.emulator.requests.count
        await f.advance(by: .seconds(5))
        let duringOutage = f.emulator.requests[before...].filter { $0.userAgent == ControllerFixture.operatorUserAgent && ["patch", "update", "create"].contains($0.verb) }
        #expect(duringOutage.isEmpty, "no write even tried from caches that missed changes: \(duringOutage.map(\.path))")
        #expect(f.log.records("reconciled").last?.field("deferred")?.contains("cache missed changes") == true)

        // The server answers again.
        f.emulator.clearFaults()
        let healed = f.emulator.requests.count
        #expect(await f.eventually(timeout: 40, upTo: .seconds(60)) { await f.replicas("model") == 3 })
        await f.advance(by: .seconds(3))
        let scales = f.emulator.requests[healed...].filter { $0.verb == "patch" && $0.path.hasSuffix("/deployments/model/scale") }
        #expect(scales.map(\.status) == [200], "one scale write, the right one (never 6, never twice): \(scales.count)")
        let events = await f.events().filter { $0["reason"] == "ScaledUp" }
        #expect(events.count == 1 && events.first?["count"] == 1, "\(events.map { $0["message"]?.stringValue ?? "" })")
        #expect(events.first?["message"]?.stringValue?.hasPrefix("2 -> 3") == true, "\(events.first?["message"]?.stringValue ?? "")")
    }

    /// A write whose answer was lost (the client timed out; the server applied it): before the same
    /// change is sent again from the same (now stale) version, the object is read live; it has
    /// moved, so the intent waits for the cache instead of going out, and announcing, twice.
    @Test func aWriteThatTimedOutButWentThroughIsNotSentAgain() async throws {
        let f = try OperatorFixture()
        let created = try await f.client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "s", "image": "i"]]]]],
        ])
        let v1 = try #require(created["metadata"]?["resourceVersion"]?.stringValue)
        var transport = TransportConfiguration(server: f.emulator.url)
        transport.requestTimeout = 1
        let writer = WriteExecutor(client: KubeClient(transport: HTTPTransport(transport)))
        let key = ObjectKey(namespace: "default", name: "model")
        f.emulator.inject(Fault(verb: "patch", pathPrefix: "/apis/apps/v1/namespaces/default/deployments/model/scale", delaySeconds: 2))
        let timedOut = await kubeError { try await writer.apply(.scale(target: key, replicas: 3, basedOn: v1)) }
        #expect(timedOut?.kind == .timedOut)
        #expect(await eventuallyAsync { (try? await f.client.get(.deployments, namespace: "default", name: "model"))?["spec"]?["replicas"] == 3 },
                "the server applied it")
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: v1)) == .awaitingCache)
        #expect(f.emulator.requests.filter { $0.verb == "patch" }.count == 1, "not sent twice")
        // A write that failed without going through is sent again after the same live read.
        f.emulator.inject(Fault(verb: "patch", pathPrefix: "/apis/apps/v1/namespaces/default/deployments/other/scale", status: 500))
        let other = try await f.client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "other"],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "s", "image": "i"]]]]],
        ])
        let otherKey = ObjectKey(namespace: "default", name: "other")
        let o1 = other["metadata"]?["resourceVersion"]?.stringValue
        #expect(await kubeError { try await writer.apply(.scale(target: otherKey, replicas: 2, basedOn: o1)) }?.kind == .internalError)
        #expect(try await writer.apply(.scale(target: otherKey, replicas: 2, basedOn: o1)) == .sent)
    }
}
