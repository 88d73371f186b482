import Foundation
import JSON
import TestSupport
import Testing
import YAML
@testable import KubeEmulator

let leaderWorkerSets = "/apis/leaderworkerset.x-k8s.io/v1/namespaces/default/leaderworkersets"

extension TestCluster {
    /// Installs the LeaderWorkerSet-shaped CRD of docs/examples.
    func installLeaderWorkerSetCRD() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/docs/examples/leaderworkerset-crd.yaml", encoding: .utf8)
        let response = post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", try YAMLReader.jsonValues(in: text)[0])
        precondition(response.status == 201, "\(response.json)")
    }

    /// A LeaderWorkerSet of `replicas` groups of `size` pods.
    func createLeaderWorkerSet(_ name: String, replicas: Int, size: Int) -> Response {
        post(leaderWorkerSets, [
            "apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet", "metadata": ["name": .string(name)],
            "spec": ["replicas": .integer(replicas), "leaderWorkerTemplate": [
                "size": .integer(size),
                "workerTemplate": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "vllm", "image": "vllm/vllm-openai:v0.11.0"]]]],
            ]],
        ])
    }
}

/// The `scale` subresource of any kind, custom resources by their CRD's paths (apiextensions'
/// `scale` handling), and the fake kubelet's LeaderWorkerSet controller.
@Suite("Scale subresources and LeaderWorkerSets", .runsOnOwnThreads)
struct ScaleSubresourceTests {
    func pods(_ cluster: TestCluster) -> [JSONValue] {
        cluster.get("/api/v1/namespaces/default/pods").json["items"]?.arrayValue ?? []
    }

    @Test func aCustomResourcesScaleFollowsItsCRDsPaths() throws {
        let cluster = try TestCluster()
        try cluster.installLeaderWorkerSetCRD()
        let discovery = cluster.get("/apis/leaderworkerset.x-k8s.io/v1").json["resources"]?.arrayValue ?? []
        #expect(discovery.contains { $0["name"] == "leaderworkersets/scale" && $0["kind"] == "Scale" }, "\(discovery)")
        #expect(cluster.createLeaderWorkerSet("llama", replicas: 2, size: 2).status == 201)
        _ = cluster.request("PATCH", leaderWorkerSets + "/llama/status", ["status": ["replicas": 2, "hpaPodSelector": "app=llama"]],
                            contentType: "application/merge-patch+json")
        let scale = cluster.get(leaderWorkerSets + "/llama/scale").json
        #expect(scale["kind"] == "Scale")
        #expect(scale["apiVersion"] == "autoscaling/v1")
        #expect(scale["spec"]?["replicas"] == 2)
        #expect(scale["status"]?["selector"] == "app=llama", "the string at labelSelectorPath")
        let patched = cluster.request("PATCH", leaderWorkerSets + "/llama/scale", ["spec": ["replicas": 5]], contentType: "application/merge-patch+json")
        #expect(patched.status == 200)
        #expect(patched.json["spec"]?["replicas"] == 5)
        #expect(cluster.get(leaderWorkerSets + "/llama").json["spec"]?["replicas"] == 5, "written at specReplicasPath")
        #expect(cluster.get(leaderWorkerSets + "/llama").json["metadata"]?["generation"] == 2)
        let stale = cluster.request("PUT", leaderWorkerSets + "/llama/scale",
                                    ["apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": ["name": "llama", "resourceVersion": "1"], "spec": ["replicas": 1]])
        #expect(stale.status == 409)
    }

    @Test func aKindWithoutAScaleSubresourceHasNoScale() throws {
        let cluster = try TestCluster()
        let text = try String(contentsOfFile: repositoryRoot + "/CRDs/aiops.example.com_elasticinferencepools.yaml", encoding: .utf8)
        #expect(cluster.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", try YAMLReader.jsonValues(in: text)[0]).status == 201)
        let discovery = cluster.get("/apis/aiops.example.com/v1alpha2").json["resources"]?.arrayValue ?? []
        #expect(!discovery.contains { $0["name"] == "elasticinferencepools/scale" })
        #expect(cluster.get("/apis/aiops.example.com/v1alpha2/namespaces/default/elasticinferencepools/x/scale").status == 404)
    }

    @Test func aStatefulSetsScaleSelectorIsItsSpecSelectorAsText() throws {
        let cluster = try TestCluster()
        _ = cluster.post("/apis/apps/v1/namespaces/default/statefulsets", [
            "metadata": ["name": "db"],
            "spec": ["replicas": 2, "serviceName": "db",
                     "selector": ["matchLabels": ["app": "db"], "matchExpressions": [["key": "tier", "operator": "In", "values": ["gpu", "cpu"]],
                                                                                      ["key": "canary", "operator": "DoesNotExist"]]],
                     "template": ["metadata": ["labels": ["app": "db", "tier": "gpu"]], "spec": ["containers": [["name": "c", "image": "x"]]]]],
        ])
        let scale = cluster.get("/apis/apps/v1/namespaces/default/statefulsets/db/scale").json
        #expect(scale["status"]?["selector"] == "!canary,app=db,tier in (cpu,gpu)", "metav1.FormatLabelSelector's form, sorted")
    }

    @Test func aLeaderWorkerSetBecomesGroupsOfALeaderAndWorkers() throws {
        let cluster = try TestCluster(podStartDelay: 0.1)
        try cluster.installLeaderWorkerSetCRD()
        #expect(cluster.createLeaderWorkerSet("llama", replicas: 2, size: 3).status == 201)
        #expect(waitUntil { cluster.get(leaderWorkerSets + "/llama").json["status"]?["readyReplicas"] == 2 })
        let names = Set(pods(cluster).compactMap { $0["metadata"]?["name"]?.stringValue })
        #expect(names == ["llama-0", "llama-0-1", "llama-0-2", "llama-1", "llama-1-1", "llama-1-2"])
        let leader = try #require(pods(cluster).first { $0["metadata"]?["name"] == "llama-1" })
        let labels = leader["metadata"]?["labels"]
        #expect(labels?["leaderworkerset.sigs.k8s.io/name"] == "llama")
        #expect(labels?["leaderworkerset.sigs.k8s.io/group-index"] == "1")
        #expect(labels?["leaderworkerset.sigs.k8s.io/worker-index"] == "0")
        #expect(labels?["app"] == "llama", "the template's labels")
        let status = cluster.get(leaderWorkerSets + "/llama").json["status"]
        #expect(status?["replicas"] == 2)
        #expect(status?["hpaPodSelector"] == "leaderworkerset.sigs.k8s.io/name=llama,leaderworkerset.sigs.k8s.io/worker-index=0")
        #expect(cluster.get(leaderWorkerSets + "/llama/scale").json["status"]?["selector"] == status?["hpaPodSelector"])

        // Scale down through /scale: the highest group goes, leader and workers.
        _ = cluster.request("PATCH", leaderWorkerSets + "/llama/scale", ["spec": ["replicas": 1]], contentType: "application/merge-patch+json")
        #expect(waitUntil { Set(pods(cluster).compactMap { $0["metadata"]?["name"]?.stringValue }) == ["llama-0", "llama-0-1", "llama-0-2"] })
        #expect(waitUntil { cluster.get(leaderWorkerSets + "/llama").json["status"]?["replicas"] == 1 })
        // A group with a worker not Ready is not ready: its replacement starts slowly.
        cluster.emulator.setPodStartDelay(60)
        _ = cluster.request("DELETE", "/api/v1/namespaces/default/pods/llama-0-2")
        #expect(waitUntil { pods(cluster).contains { $0["metadata"]?["name"] == "llama-0-2" && $0["status"]?["phase"] != "Running" } })
        #expect(waitUntil { cluster.get(leaderWorkerSets + "/llama").json["status"]?["readyReplicas"] == nil }, "0 ready groups (omitted when 0)")
        _ = cluster.request("DELETE", leaderWorkerSets + "/llama")
        #expect(waitUntil { pods(cluster).isEmpty }, "its pods go with it")
    }
}
