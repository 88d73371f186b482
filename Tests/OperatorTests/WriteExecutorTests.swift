import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Locking
import TestDoubles
import TestSupport
import Testing
@testable import Operator

/// A fence a test opens and closes.
final class SwitchFence: WriteFence {
    let reason = Locked<String?>(nil)
    func writesBlocked() -> String? { reason.withLock { $0 } }
}

/// The error an async call throws, as a KubeError.
func kubeError(_ body: () async throws -> Void) async -> KubeError? {
    await thrownError(KubeError.self, other: { KubeError(.transport, $0) }, body)
}

@Suite("Write executor: one request per intent, no repeats")
struct WriteExecutorTests {
    let model = ObjectKey(namespace: "ns", name: "model")
    let pool = ObjectKey(namespace: "ns", name: "pool")

    @Test func eachIntentIsItsRequest() {
        func request(_ intent: WriteIntent) -> (String, String, String, JSONValue?) {
            let r = WriteExecutor.request(for: intent)
            return (r.method, r.path, r.contentType, r.body)
        }
        let configuration: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model", "resourceVersion": "7"]]
        let template = request(.patchTemplate(target: model, patch: configuration, basedOn: "7"))
        #expect(template.0 == "PATCH" && template.1 == "/apis/apps/v1/namespaces/ns/deployments/model?fieldManager=eip-operator&force=true")
        #expect(template.2 == "application/apply-patch+yaml" && template.3 == configuration, "server-side apply, JSON being YAML")
        let scale = request(.scale(target: model, replicas: 6, basedOn: "7"))
        #expect(scale.0 == "PATCH" && scale.1 == "/apis/apps/v1/namespaces/ns/deployments/model/scale?fieldManager=eip-operator")
        #expect(scale.2 == "application/merge-patch+json" && scale.3 == ["spec": ["replicas": 6]])
        let daemonSet = ObjectKey(namespace: "ns", name: "pool-prepull")
        let create = request(.prePull(daemonSet: daemonSet, .create(["kind": "DaemonSet"]), basedOn: nil))
        #expect(create.0 == "POST" && create.1 == "/apis/apps/v1/namespaces/ns/daemonsets?fieldManager=eip-operator" && create.2 == "application/json")
        let replace = request(.prePull(daemonSet: daemonSet, .replace(["kind": "DaemonSet"]), basedOn: "3"))
        #expect(replace.0 == "PUT" && replace.1 == "/apis/apps/v1/namespaces/ns/daemonsets/pool-prepull?fieldManager=eip-operator")
        let delete = request(.prePull(daemonSet: daemonSet, .delete, basedOn: "3"))
        #expect(delete.0 == "DELETE" && delete.3?["propagationPolicy"] == "Background")
        let finalizers = request(.finalizers(pool: pool, ["a/b"], basedOn: "9"))
        #expect(finalizers.1 == "/apis/aiops.example.com/v1alpha2/namespaces/ns/elasticinferencepools/pool?fieldManager=eip-operator")
        #expect(finalizers.3 == ["metadata": ["finalizers": ["a/b"], "resourceVersion": "9"]])
        let status = request(.status(pool: pool, fields: ["desiredReplicas": 6], basedOn: "9"))
        #expect(status.1 == "/apis/aiops.example.com/v1alpha2/namespaces/ns/elasticinferencepools/pool/status?fieldManager=eip-operator")
        #expect(status.3 == ["status": ["desiredReplicas": 6]])
    }

    @Test func namesAreEscapedNeverSpliced() {
        let odd = ObjectKey(namespace: "ns", name: "a/../../b?c")
        #expect(WriteExecutor.request(for: .scale(target: odd, replicas: 1, basedOn: nil)).path
                == "/apis/apps/v1/namespaces/ns/deployments/a%2F..%2F..%2Fb%3Fc/scale?fieldManager=eip-operator")
    }

    /// A Deployment created for a test, and the resourceVersion it was created at.
    func deployment(_ f: OperatorFixture) async throws -> String {
        let created = try await f.client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "s", "image": "i"]]]]],
        ])
        return try #require(created["metadata"]?["resourceVersion"]?.stringValue)
    }

    /// Once a write has changed an object, intents decided from the version it replaced (a cache
    /// that has not caught up with our own write) are not sent: the same intent is a repeat, another
    /// one waits for the cache. From the version our write produced, or a later one, they go.
    @Test func intentsFromAVersionOurWriteReplacedWaitForTheCache() async throws {
        let f = try OperatorFixture()
        let v1 = try await deployment(f)
        let writer = WriteExecutor(client: f.client)
        let key = ObjectKey(namespace: "default", name: "model")
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: v1)) == .sent)
        let v2 = try #require(try await f.client.get(.deployments, namespace: "default", name: "model")["metadata"]?["resourceVersion"]?.stringValue)
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: v1)) == .repeated)
        #expect(try await writer.apply(.scale(target: key, replicas: 4, basedOn: v1)) == .awaitingCache, "decided from the stale cache")
        #expect(try await writer.apply(.patchTemplate(target: key, patch: ["metadata": ["resourceVersion": .string(v1)]], basedOn: v1)) == .awaitingCache,
                "any intent on the object, not only the same kind")
        #expect(try await writer.apply(.scale(target: key, replicas: 4, basedOn: v2)) == .sent, "decided from our write's version")
        #expect(f.emulator.requests.filter { $0.verb == "patch" }.count == 2)
        // A status that differs only in its sample time repeats too.
        let a: JSONObject = ["desiredReplicas": 2, "observed": ["p90": "100ms", "sampleTime": "2026-11-27T10:00:00Z"]]
        let b: JSONObject = ["desiredReplicas": 2, "observed": ["p90": "100ms", "sampleTime": "2026-11-27T10:00:05Z"]]
        #expect(WriteIntent.status(pool: pool, fields: b, basedOn: "1").repeats(.status(pool: pool, fields: a, basedOn: "1")))
        #expect(!WriteIntent.status(pool: pool, fields: b, basedOn: "2").repeats(.status(pool: pool, fields: a, basedOn: "1")))
    }

    /// The cache catches up when it shows our write's version or a later one (not merely "another"
    /// version: someone else's change from before our write is still behind it).
    @Test func theCacheCatchesUpWithOurWriteNotWithAnyChange() async throws {
        let f = try OperatorFixture()
        let v1 = try await deployment(f)
        let writer = WriteExecutor(client: f.client)
        let key = ObjectKey(namespace: "default", name: "model")
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: v1)) == .sent)
        let written = try #require(Int(try await f.client.get(.deployments, namespace: "default", name: "model")["metadata"]?["resourceVersion"]?.stringValue ?? ""))
        writer.settle(.deployments, key, at: v1)
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: v1)) == .repeated, "the cache still shows the replaced version")
        writer.settle(.deployments, key, at: String(written - 1))
        #expect(try await writer.apply(.scale(target: key, replicas: 5, basedOn: String(written - 1))) == .awaitingCache,
                "a version between the replaced one and ours")
        writer.settle(.deployments, key, at: String(written))
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: v1)) == .sent, "caught up: forgotten")
    }

    /// The writes of one reconcile (one scope) were decided together: a finalizer added to the pool
    /// does not hold back the status written after it; the next reconcile's are held.
    @Test func writesOfOneScopeDoNotHoldEachOtherBack() async throws {
        let f = try OperatorFixture()
        let v1 = try await deployment(f)
        let writer = WriteExecutor(client: f.client)
        let key = ObjectKey(namespace: "default", name: "model")
        let scope = writer.scope()
        #expect(try await writer.apply(.patchTemplate(target: key, patch: ["metadata": ["annotations": ["a": "1"]]], basedOn: v1), in: scope) == .sent)
        #expect(try await writer.apply(.scale(target: key, replicas: 2, basedOn: v1), in: scope) == .sent)
        #expect(try await writer.apply(.scale(target: key, replicas: 2, basedOn: v1), in: writer.scope()) == .repeated)
        // The scope remembers the version its first write replaced: after both, v1 is still behind.
        #expect(try await writer.apply(.patchTemplate(target: key, patch: ["metadata": ["annotations": ["a": "2"]]], basedOn: v1)) == .awaitingCache)
    }

    /// What the executor remembers is per object of a resource, not per name: a pool and its
    /// Deployment often share one. A write to a DaemonSet named `model` does not hold back the
    /// Deployment `model`, nor does the Deployment's cache settle it.
    @Test func objectsOfOneNameInTwoResourcesAreRememberedApart() async throws {
        let f = try OperatorFixture()
        let v1 = try await deployment(f)
        let writer = WriteExecutor(client: f.client)
        let key = ObjectKey(namespace: "default", name: "model")
        let daemonSet: JSONValue = [
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": "model", "namespace": "default"],
            "spec": ["selector": ["matchLabels": ["a": "b"]],
                     "template": ["metadata": ["labels": ["a": "b"]], "spec": ["containers": [["name": "p", "image": "pause"]]]]],
        ]
        let create = WriteIntent.prePull(daemonSet: key, .create(daemonSet), basedOn: nil)
        let before = f.emulator.requests.count
        #expect(try await writer.apply(create) == .sent)
        #expect(try await writer.apply(.scale(target: key, replicas: 2, basedOn: v1)) == .sent, "the DaemonSet's write is not the Deployment's")
        writer.settle(.deployments, key, at: v1)
        #expect(try await writer.apply(create) == .repeated, "the Deployment's cache says nothing of the DaemonSet")
        #expect(f.emulator.requests.dropFirst(before).map(\.verb) == ["create", "patch"])
    }

    /// With a fence that is closed, nothing goes out: the write fails with `.notLeader` and is counted.
    @Test func aClosedFenceRefusesEveryWrite() async throws {
        let f = try OperatorFixture()
        let v1 = try await deployment(f)
        let fence = SwitchFence()
        let writer = WriteExecutor(client: f.client, fence: fence)
        let key = ObjectKey(namespace: "default", name: "model")
        let before = f.emulator.requests.count
        fence.reason.withLock { $0 = "not the leader" }
        let refused = await kubeError { try await writer.apply(.scale(target: key, replicas: 3, basedOn: v1)) }
        #expect(refused?.kind == .notLeader && refused?.message.contains("not the leader") == true)
        await #expect(throws: KubeError.self) { try await writer.send(.create(.events, namespace: "default", ["metadata": ["name": "e"]])) }
        #expect(writer.refusedByFence == 2)
        #expect(f.emulator.requests.count == before, "nothing reached the API server")
        fence.reason.withLock { $0 = nil }
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: v1)) == .sent)
    }

    /// The client-side token bucket: a burst goes at once, the next write waits for its token (on
    /// the executor's clock), as a client-go request waits in its rate limiter.
    @Test func writesBeyondTheBurstWaitForTheirToken() async throws {
        let f = try OperatorFixture()
        _ = try await deployment(f)
        let clock = ManualClock()
        var limit = WriteExecutor.RateLimit()
        limit.writesPerSecond = 1
        limit.burst = 2
        let writer = WriteExecutor(client: f.client, rateLimit: limit, clock: clock)
        let request = KubeRequest.scale(.deployments, namespace: "default", name: "model", replicas: 2)
        try await writer.send(request)
        try await writer.send(request)
        let third = Task { try await writer.send(request) }
        #expect(await eventually { clock.pendingTimers == 1 }, "the third waits for a token")
        #expect(f.emulator.requests.filter { $0.verb == "patch" }.count == 2)
        clock.advance(by: .milliseconds(999))
        #expect(clock.pendingTimers == 1)
        clock.advance(by: .milliseconds(1))
        _ = try await third.value
        #expect(f.emulator.requests.filter { $0.verb == "patch" }.count == 3)
    }

    /// A write answered 429 with Retry-After: N keeps every write back for N seconds of the
    /// executor's clock: one tried sooner fails at once (no request), with the time left to wait.
    @Test func retryAfterOnAWriteHoldsWritesBackForThatLong() async throws {
        let f = try OperatorFixture()
        _ = try await deployment(f)
        let clock = ManualClock()
        let writer = WriteExecutor(client: f.client, clock: clock)
        let request = KubeRequest.scale(.deployments, namespace: "default", name: "model", replicas: 2)
        f.emulator.inject(Fault(verb: "patch", pathPrefix: "/apis/apps/v1/namespaces/default/deployments/model/scale", status: 429, retryAfterSeconds: 3))
        let throttled = await kubeError { try await writer.send(request) }
        #expect(throttled?.kind == .tooManyRequests && throttled?.retryAfter == 3)
        clock.advance(by: .milliseconds(2900))
        let early = await kubeError { try await writer.send(request) }
        #expect(early?.kind == .tooManyRequests && early?.statusCode == nil, "not sent")
        #expect((early?.retryAfter ?? 0) > 0 && (early?.retryAfter ?? 9) <= 0.1 + 1e-9, "\(early?.retryAfter ?? -1)")
        #expect(f.emulator.requests.filter { $0.verb == "patch" }.map(\.status) == [429])
        clock.advance(by: .milliseconds(100))
        try await writer.send(request)
        #expect(f.emulator.requests.filter { $0.verb == "patch" }.map(\.status) == [429, 200])
    }

    /// A failed write is not remembered: the retry sends it again.
    @Test func aFailedWriteIsTriedAgain() async throws {
        let f = try OperatorFixture()
        let writer = WriteExecutor(client: f.client)
        let key = ObjectKey(namespace: "default", name: "absent")
        await #expect(throws: KubeError.self) { try await writer.apply(.scale(target: key, replicas: 3, basedOn: "5")) }
        await #expect(throws: KubeError.self) { try await writer.apply(.scale(target: key, replicas: 3, basedOn: "5")) }
        #expect(f.emulator.requests.filter { $0.verb == "patch" }.count == 2)
    }
}
