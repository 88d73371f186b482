import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Testing
@testable import Operator

@Suite("Write executor: one request per intent, no repeats")
struct WriteExecutorTests {
    let model = ObjectKey(namespace: "ns", name: "model")
    let pool = ObjectKey(namespace: "ns", name: "pool")

    @Test func eachIntentIsItsRequest() {
        func request(_ intent: WriteIntent) -> (String, String, String, JSONValue?) {
            let r = WriteExecutor.request(for: intent)
            return (r.method, r.path, r.contentType, r.body)
        }
        let template = request(.patchTemplate(target: model, patch: ["metadata": ["resourceVersion": "7"]], basedOn: "7"))
        #expect(template.0 == "PATCH" && template.1 == "/apis/apps/v1/namespaces/ns/deployments/model")
        #expect(template.2 == "application/merge-patch+json" && template.3 == ["metadata": ["resourceVersion": "7"]])
        let scale = request(.scale(target: model, replicas: 6, basedOn: "7"))
        #expect(scale.0 == "PATCH" && scale.1 == "/apis/apps/v1/namespaces/ns/deployments/model/scale" && scale.3 == ["spec": ["replicas": 6]])
        let daemonSet = ObjectKey(namespace: "ns", name: "pool-prepull")
        let create = request(.prePull(daemonSet: daemonSet, .create(["kind": "DaemonSet"]), basedOn: nil))
        #expect(create.0 == "POST" && create.1 == "/apis/apps/v1/namespaces/ns/daemonsets" && create.2 == "application/json")
        let replace = request(.prePull(daemonSet: daemonSet, .replace(["kind": "DaemonSet"]), basedOn: "3"))
        #expect(replace.0 == "PUT" && replace.1 == "/apis/apps/v1/namespaces/ns/daemonsets/pool-prepull")
        let delete = request(.prePull(daemonSet: daemonSet, .delete, basedOn: "3"))
        #expect(delete.0 == "DELETE" && delete.3?["propagationPolicy"] == "Background")
        let finalizers = request(.finalizers(pool: pool, ["a/b"], basedOn: "9"))
        #expect(finalizers.1 == "/apis/aiops.example.com/v1alpha2/namespaces/ns/elasticinferencepools/pool")
        #expect(finalizers.3 == ["metadata": ["finalizers": ["a/b"], "resourceVersion": "9"]])
        let status = request(.status(pool: pool, fields: ["desiredReplicas": 6], basedOn: "9"))
        #expect(status.1 == "/apis/aiops.example.com/v1alpha2/namespaces/ns/elasticinferencepools/pool/status" && status.3 == ["status": ["desiredReplicas": 6]])
    }

    @Test func namesAreEscapedNeverSpliced() {
        let odd = ObjectKey(namespace: "ns", name: "a/../../b?c")
        #expect(WriteExecutor.request(for: .scale(target: odd, replicas: 1, basedOn: nil)).path
                == "/apis/apps/v1/namespaces/ns/deployments/a%2F..%2F..%2Fb%3Fc/scale")
    }

    /// A repeat of the last intent for an object, decided from the same version (a cache that has
    /// not caught up with our own write), is not sent; from a new version, or different, it is.
    @Test func aRepeatFromTheSameVersionIsNotSentTwice() async throws {
        let f = try OperatorFixture()
        _ = try await f.client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "s", "image": "i"]]]]],
        ])
        let writer = WriteExecutor(client: f.client)
        let key = ObjectKey(namespace: "default", name: "model")
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: "5")) == .sent)
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: "5")) == .repeated)
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: "6")) == .sent, "decided from a newer version")
        #expect(try await writer.apply(.scale(target: key, replicas: 4, basedOn: "6")) == .sent, "a different write")
        #expect(f.emulator.requests.filter { $0.verb == "patch" }.count == 3)
        // A status that differs only in its sample time repeats too.
        let a: JSONObject = ["desiredReplicas": 2, "observed": ["p90": "100ms", "sampleTime": "2026-11-27T10:00:00Z"]]
        let b: JSONObject = ["desiredReplicas": 2, "observed": ["p90": "100ms", "sampleTime": "2026-11-27T10:00:05Z"]]
        #expect(WriteIntent.status(pool: pool, fields: b, basedOn: "1").repeats(.status(pool: pool, fields: a, basedOn: "1")))
        #expect(!WriteIntent.status(pool: pool, fields: b, basedOn: "2").repeats(.status(pool: pool, fields: a, basedOn: "1")))
    }

    /// Once the cache shows another version of the object, what was applied from older ones is
    /// forgotten (it cannot repeat); what was applied from the version shown is kept.
    @Test func settlingForgetsWhatTheCacheHasMovedPast() async throws {
        let f = try OperatorFixture()
        _ = try await f.client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"],
            "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "s", "image": "i"]]]]],
        ])
        let writer = WriteExecutor(client: f.client)
        let key = ObjectKey(namespace: "default", name: "model")
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: "5")) == .sent)
        writer.settle(key, at: "5")
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: "5")) == .repeated, "the cache still shows 5")
        writer.settle(key, at: "6")
        #expect(try await writer.apply(.scale(target: key, replicas: 3, basedOn: "5")) == .sent, "forgotten once the cache showed 6")
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
