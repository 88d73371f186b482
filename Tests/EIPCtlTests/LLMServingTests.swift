import Foundation
import JSON
import TestSupport
import Testing

let vllmSample = "Manifests/samples/llama-vllm-pool.yaml"

/// eipctl with a pool's own metrics (issue 19 §1): validate, the dry run's --metrics, its status write.
@Suite("eipctl with a pool's own metrics", .serialized, .runsOnOwnThreads)
struct LLMServingTests {
    @Test func aMisspeltOwnMetricGetsItsFileLineAndSuggestion() throws {
        let text = try String(contentsOfFile: Eipctl.root + "/" + vllmSample, encoding: .utf8)
            .replacingOccurrences(of: "waiting > 8 ||", with: "wating > 8 ||")
        let tmp = try TemporaryDirectory()
        let r = try Eipctl.run(["validate", "-f", try tmp.file(text)])
        #expect(r.status == 1)
        #expect(r.stderr.contains("pool.yaml:16:22: error: spec.scaleUpThreshold: column 1: unknown metric 'wating'; did you mean 'waiting'?"), "\(r.stderr)")
    }

    @Test func theDryRunTakesTheOwnMetricsValuesAndScalesOnThem() throws {
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", vllmSample, "--metrics", "waiting=12,kv_cache=50%", now])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("  waiting>8          waiting=12               true"), "\(r.stdout)")
        #expect(r.stdout.contains("Decision  Scale up 1 -> 5 (ScaleUpRule)"))

        let json = try Eipctl.run(["reconcile", "--dry-run", "-f", vllmSample, "--metrics", "waiting=0, kv_cache=93 %", now, "-o", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let plan = try JSONValue(parsing: json.stdout)
        #expect(plan["metrics"] == ["waiting": "0", "kv_cache": "93%"])
        #expect(plan["decision"]?["action"] == "ScaleUp", "kv_cache 93% > 90%")
        let status = plan["writes"]?.arrayValue?.last?["body"]?["status"]
        #expect(status?["observed"]?["custom"] == ["kv_cache": "93%", "waiting": "0"])
        #expect(status?["observed"]?["summary"] == "waiting=0 kv_cache=93% ttft=?")
    }

    @Test func aLeaderWorkerSetIsPlannedThroughItsScaleSubresource() throws {
        let sample = "Manifests/samples/llama-70b-lws-pool.yaml"
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", sample, "--metrics", "waiting=20,kv_cache=50%,ttft=300ms", now])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Target    LeaderWorkerSet serving/llama-70b: 1 replicas, 1 ready (assumed)"), "\(r.stdout)")
        #expect(r.stdout.contains("PATCH /apis/leaderworkerset.x-k8s.io/v1/namespaces/serving/leaderworkersets/llama-70b/scale?fieldManager=eip-operator   [scale]"))
        #expect(r.stdout.contains("PATCH /apis/leaderworkerset.x-k8s.io/v1/namespaces/serving/leaderworkersets/llama-70b?fieldManager=eip-operator&force=true   [warmup template]"))

        // Given as a manifest: two groups asked for, one ready (its status), a leader template of its own.
        let tmp = try TemporaryDirectory()
        let target = try tmp.file("""
        apiVersion: leaderworkerset.x-k8s.io/v1
        kind: LeaderWorkerSet
        metadata: {name: llama-70b, namespace: serving}
        spec:
          replicas: 2
          leaderWorkerTemplate:
            size: 2
            leaderTemplate: {spec: {containers: [{name: vllm, image: vllm/vllm-openai:v0.11.0}]}}
            workerTemplate: {spec: {containers: [{name: ray, image: vllm/vllm-openai:v0.11.0}]}}
        status: {replicas: 2, readyReplicas: 1}
        """, name: "lws.yaml")
        let json = try Eipctl.run(["reconcile", "--dry-run", "-f", sample, "--target", target, "--metrics", "waiting=20,kv_cache=50%,ttft=300ms", now, "-o", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let plan = try JSONValue(parsing: json.stdout)
        #expect(plan["target"]?["kind"] == "LeaderWorkerSet")
        #expect(plan["target"]?["currentReplicas"] == 2 && plan["target"]?["readyReplicas"] == 1)
        #expect(plan["decision"]?["to"] == 4, "from 1 ready group, capped at 4")
        let patch = plan["writes"]?.arrayValue?.first?["body"]?["spec"]?["leaderWorkerTemplate"]
        #expect(patch?["leaderTemplate"]?["spec"]?["initContainers"]?.arrayValue?.first?["name"] == "model-preload")
        #expect(patch?["workerTemplate"]?["spec"]?["initContainers"]?.arrayValue?.first?["name"] == "model-preload")
    }

    @Test func aCustomKindIsFoundThroughItsCRDAndRefusesWarmup() throws {
        let tmp = try TemporaryDirectory()
        let pool = try tmp.file("""
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata: {name: resnet, namespace: vision}
        spec:
          modelRef: resnet50
          targetRef: {apiVersion: inference.example.com/v1, kind: ModelServer, name: resnet}
          maxReplicas: 6
          scaleUpThreshold: "P90 > 100ms"
          scaleDownThreshold: "P90 < 10ms"
          warmupStrategy: {initContainers: [{name: model-preload, image: loader:2}]}
        """)
        let target = try tmp.file("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: modelservers.inference.example.com}
        spec:
          group: inference.example.com
          names: {kind: ModelServer, plural: modelservers}
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            subresources: {scale: {specReplicasPath: .spec.count, statusReplicasPath: .status.count, labelSelectorPath: .status.selector}}
            schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        ---
        apiVersion: inference.example.com/v1
        kind: ModelServer
        metadata: {name: resnet, namespace: vision}
        spec: {count: 2}
        status: {count: 2, readyReplicas: 2, selector: "app=resnet"}
        """, name: "modelserver.yaml")
        let validate = try Eipctl.run(["validate", "-f", pool])
        #expect(validate.stderr.contains("warning: spec.warmupStrategy: ModelServer has no pod template at a path the operator knows"), "\(validate.stderr)")
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", pool, "--target", target, "--metrics", "P90=300ms", now])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Target    ModelServer vision/resnet: 2 replicas, 2 ready"), "\(r.stdout)")
        #expect(r.stdout.contains("Warmup    refused: ModelServer resnet has no pod template at a path the operator knows"))
        #expect(r.stdout.contains("1. PATCH /apis/inference.example.com/v1/namespaces/vision/modelservers/resnet/scale?fieldManager=eip-operator   [scale]"))
    }

    @Test(arguments: [
        ("wating=12", "--metrics: unknown metric 'wating'; did you mean 'waiting'?"),
        ("waiting=12ms", "--metrics: waiting=12ms: 'ms' does not fit waiting; it takes a bare count (as in 8)"),
        ("kv_cache=93", "--metrics: kv_cache=93: kv_cache takes a percentage or a fraction from 0 to 1; did you mean 93%?"),
    ])
    func badValuesAreUsageErrors(metrics: String, expected: String) throws {
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", vllmSample, "--metrics", metrics, now])
        #expect(r.status == 2)
        #expect(r.stderr.contains(expected), "\(r.stderr)")
    }
}
