import Autoscaling
import Foundation
import JSON
import Kube
import TestSupport
import Testing
import YAML
@testable import Operator

let leaderWorkerSetsResource = ResourceRef.leaderWorkerSets

/// An `inference.example.com/v1` `ModelServer`: a custom kind with a scale subresource and no pod
/// template the operator knows (its selector at `.status.selector`, as a KServe-like kind keeps it).
let modelServerCRD: JSONValue = [
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "modelservers.inference.example.com"],
    "spec": ["group": "inference.example.com", "scope": "Namespaced",
             "names": ["kind": "ModelServer", "plural": "modelservers", "singular": "modelserver", "listKind": "ModelServerList"],
             "versions": [["name": "v1", "served": true, "storage": true,
                           "subresources": ["status": [:], "scale": ["specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                                                                     "labelSelectorPath": ".status.selector"]],
                           "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]]]]],
]
let modelServers = ResourceRef(group: "inference.example.com", version: "v1", plural: "modelservers")

extension ControllerFixture {
    /// A pool `name` on the workload `target` of `kind`.
    func createPool(_ name: String, kind: WorkloadKind, target: String, initContainers: JSONValue = .array([]), up: String = "P90>200ms",
                    down: String = "P90<50ms", min: Int = 1, max: Int = 8) async throws {
        var targetRef: JSONObject = ["kind": .string(kind.kind), "name": .string(target)]
        if !WorkloadKind.known.contains(kind) { targetRef["apiVersion"] = .string(kind.apiVersion) }
        _ = try await client.create(.elasticInferencePools, namespace: "default", [
            "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": .string(name)],
            "spec": ["modelRef": "llama", "targetRef": .object(targetRef), "minReplicas": .integer(min), "maxReplicas": .integer(max),
                     "scaleUpThreshold": .string(up), "scaleDownThreshold": .string(down), "warmupStrategy": ["initContainers": initContainers],
                     "behavior": ["pollInterval": "1s", "scaleUp": ["periodSeconds": 1]]],
        ])
    }

    func createStatefulSet(_ name: String, replicas: Int) async throws {
        _ = try await client.create(.statefulSets, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": .string(name)],
            "spec": ["replicas": .integer(replicas), "serviceName": .string(name), "selector": ["matchLabels": ["app": .string(name)]],
                     "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "vllm", "image": "vllm/vllm-openai:v0.11.0"]]]]],
        ])
    }

    func installLeaderWorkerSetCRD() async throws {
        let text = try String(contentsOfFile: repositoryRoot + "/docs/examples/leaderworkerset-crd.yaml", encoding: .utf8)
        _ = try await client.create(.customResourceDefinitions, namespace: nil, try YAMLReader.jsonValues(in: text)[0])
    }

    func createLeaderWorkerSet(_ name: String, replicas: Int, size: Int) async throws {
        _ = try await client.create(leaderWorkerSetsResource, namespace: "default", [
            "apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet", "metadata": ["name": .string(name)],
            "spec": ["replicas": .integer(replicas), "leaderWorkerTemplate": [
                "size": .integer(size),
                "leaderTemplate": ["metadata": ["labels": ["role": "leader"]], "spec": ["containers": [["name": "vllm", "image": "vllm/vllm-openai:v0.11.0"]]]],
                "workerTemplate": ["metadata": ["labels": ["role": "worker"]], "spec": ["containers": [["name": "ray", "image": "vllm/vllm-openai:v0.11.0"]]]],
            ]],
        ])
    }

    func object(_ resource: ResourceRef, _ name: String) async -> JSONValue? { try? await client.get(resource, namespace: "default", name: name) }
}

/// Pools on StatefulSets, LeaderWorkerSets and any kind with a scale subresource (issue 19 §4):
/// replicas through `/scale`, pods through its selector, readiness from the pods, warmup where
/// the kind's pod templates are known and refused elsewhere.
@Suite("Workloads of every kind with a scale subresource", .serialized)
struct WorkloadKindsTests {
    @Test func aStatefulSetIsScaledThroughItsScaleAndWarmedThroughItsTemplate() async throws {
        let f = try await ControllerFixture()
        try await f.createStatefulSet("llama", replicas: 1)
        try await f.createPool("pool", kind: .statefulSet, target: "llama", initContainers: [preloader], min: 2)
        // To minReplicas, with the preloader in the StatefulSet's template.
        #expect(await f.eventually { await f.object(.statefulSets, "llama")?["spec"]?["replicas"] == 2 })
        #expect(await f.eventually { await f.object(.statefulSets, "llama")?["spec"]?["template"]?["spec"]?["initContainers"]?.arrayValue?.first?["name"] == "model-preload" })
        #expect(await f.eventually { await f.pool("pool")?["status"]?["readyReplicas"] == 2 }, "from the Ready pods its scale selector picks")
        #expect(await f.eventually { await f.condition("pool", "WarmupReady")?["status"] == "True" })
        #expect(await f.condition("pool", "Ready")?["message"] == "the pool's decisions are applied to StatefulSet llama")
        // A breach steps up from the 2 ready.
        f.metrics.set([.p90: 0.5, .gpuUtil: 0.5])
        #expect(await f.eventually { await f.object(.statefulSets, "llama")?["spec"]?["replicas"] == 6 })
        let paths = Set(f.operatorRequests.filter { $0.method == "PATCH" }.map(\.path))
        #expect(paths.contains("/apis/apps/v1/namespaces/default/statefulsets/llama/scale"), "\(paths)")
        #expect(paths.contains("/apis/apps/v1/namespaces/default/statefulsets/llama"), "the template patch")
        #expect(!paths.contains { $0.contains("/deployments/") })
        // Deleting the pool takes the init container back out of the StatefulSet.
        try await f.client.delete(.elasticInferencePools, namespace: "default", name: "pool")
        #expect(await f.eventually { await f.pool("pool") == nil })
        #expect(await f.object(.statefulSets, "llama")?["spec"]?["template"]?["spec"]?["initContainers"]?.arrayValue?.isEmpty ?? true)
        #expect(await f.object(.statefulSets, "llama")?["metadata"]?["annotations"]?[Defaults.ownedInitContainersAnnotation] == nil)
    }

    @Test func aLeaderWorkerSetIsScaledByGroupsReadyWhenLeaderAndWorkersAre() async throws {
        let f = try await ControllerFixture()
        try await f.installLeaderWorkerSetCRD()
        try await f.createLeaderWorkerSet("llama", replicas: 1, size: 3)
        try await f.createPool("pool", kind: .leaderWorkerSet, target: "llama", initContainers: [preloader], min: 2)
        #expect(await f.eventually { await f.object(leaderWorkerSetsResource, "llama")?["spec"]?["replicas"] == 2 })
        // Warmup goes into both templates: the leader's and the workers'.
        #expect(await f.eventually {
            let lwt = await f.object(leaderWorkerSetsResource, "llama")?["spec"]?["leaderWorkerTemplate"]
            return lwt?["leaderTemplate"]?["spec"]?["initContainers"]?.arrayValue?.first?["name"] == "model-preload"
                && lwt?["workerTemplate"]?["spec"]?["initContainers"]?.arrayValue?.first?["name"] == "model-preload"
        })
        // Two groups of three pods; ready replicas count groups.
        #expect(await f.eventually { await f.pool("pool")?["status"]?["readyReplicas"] == 2 })
        let pods = try await f.client.list(.pods, namespace: "default").items.filter { $0["metadata"]?["labels"]?["leaderworkerset.sigs.k8s.io/name"] == "llama" }
        #expect(pods.count == 6)
        f.metrics.set([.p90: 0.5, .gpuUtil: 0.5])
        #expect(await f.eventually { await f.object(leaderWorkerSetsResource, "llama")?["spec"]?["replicas"] == 6 }, "2 ready groups + max(4, 100%)")
        #expect(f.operatorRequests.contains { $0.method == "PATCH" && $0.path == "/apis/leaderworkerset.x-k8s.io/v1/namespaces/default/leaderworkersets/llama/scale" })
        #expect(f.operatorRequests.contains { $0.path == "/apis/leaderworkerset.x-k8s.io/v1" }, "the kind found by discovery")
    }

    @Test func anyKindWithAScaleSubresourceIsScaledAndRefusesWarmup() async throws {
        let f = try await ControllerFixture()
        _ = try await f.client.create(.customResourceDefinitions, namespace: nil, modelServerCRD)
        _ = try await f.client.create(modelServers, namespace: "default", [
            "apiVersion": "inference.example.com/v1", "kind": "ModelServer", "metadata": ["name": "resnet"], "spec": ["replicas": 1],
        ])
        _ = try await f.client.patch(modelServers, namespace: "default", name: "resnet",
                                     .merge(["status": ["replicas": 1, "selector": "app=resnet,server=triton"]]), subresource: "status")
        // Its pods, as its controller would make them: one Ready, one not.
        for (name, ready) in [("resnet-a", true), ("resnet-b", false)] {
            _ = try await f.client.create(.pods, namespace: "default", ["apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string(name), "labels": ["app": "resnet", "server": "triton"]], "spec": ["containers": [["name": "c", "image": "x"]]]])
            _ = try await f.client.patch(.pods, namespace: "default", name: name,
                                         .merge(["status": ["phase": "Running", "conditions": [["type": "Ready", "status": ready ? "True" : "False"]]]]), subresource: "status")
        }
        let kind = WorkloadKind(apiVersion: "inference.example.com/v1", kind: "ModelServer")
        try await f.createPool("pool", kind: kind, target: "resnet", initContainers: [preloader], min: 3)
        #expect(await f.eventually { await f.object(modelServers, "resnet")?["spec"]?["replicas"] == 3 })
        #expect(await f.eventually { await f.pool("pool")?["status"]?["readyReplicas"] == 1 }, "its Ready pods, by the scale's selector")
        let warmup = await f.condition("pool", "WarmupReady")
        #expect(warmup?["status"] == "False")
        #expect(warmup?["reason"] == "UnsupportedTarget")
        #expect(warmup?["message"] == "ModelServer resnet has no pod template at a path the operator knows; warmup applies to Deployment, StatefulSet and LeaderWorkerSet; no warmup")
        #expect(!f.operatorRequests.contains { $0.method == "PATCH" && $0.path.hasSuffix("/modelservers/resnet") }, "no template patch")
    }

    @Test func aKindNotServedOrWithoutScaleIsTargetNotFoundWithItsReason() async throws {
        let f = try await ControllerFixture()
        try await f.createPool("missing", kind: WorkloadKind(apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService"), target: "x")
        #expect(await f.eventually { await f.condition("missing", "Ready")?["reason"] == "TargetNotFound" })
        #expect(await f.condition("missing", "Ready")?["message"]
                == "the API server serves no kind InferenceService in serving.kserve.io/v1beta1 (is its CustomResourceDefinition installed?); cannot scale default/x")
        try await f.createPool("pools", kind: WorkloadKind(apiVersion: "aiops.example.com/v1alpha2", kind: "ElasticInferencePool"), target: "missing")
        #expect(await f.eventually { await f.condition("pools", "Ready")?["reason"] == "TargetNotFound" })
        #expect(await f.condition("pools", "Ready")?["message"]
                == "ElasticInferencePool (elasticinferencepools.aiops.example.com) has no scale subresource, so default/missing cannot be scaled: the operator scales what HPA can")
    }
}
