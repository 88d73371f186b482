import Foundation
import TestSupport
import JSON
import Testing
@testable import KubeEmulator

@Suite("Patch types", .runsOnOwnThreads)
struct PatchTests {
    @Test func mergePatchReplacesListsWhole() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let r = cluster.request("PATCH", deployments + "/web",
                                ["spec": ["template": ["spec": ["containers": [["name": "other", "image": "x:1"]]]]]],
                                contentType: "application/merge-patch+json")
        #expect(r.status == 200)
        #expect(r.json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["other"])
    }

    @Test func jsonPatchAppliesAndAFailedTestIs422() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let ok = cluster.request("PATCH", deployments + "/web", [
            ["op": "test", "path": "/spec/replicas", "value": 2],
            ["op": "replace", "path": "/spec/replicas", "value": 4],
            ["op": "add", "path": "/metadata/labels/role", "value": "gpu"],
        ], contentType: "application/json-patch+json")
        #expect(ok.status == 200)
        #expect(ok.json["spec"]?["replicas"] == 4)
        #expect(ok.json["metadata"]?["labels"]?["role"] == "gpu")
        let failed = cluster.request("PATCH", deployments + "/web", [["op": "test", "path": "/spec/replicas", "value": 2]],
                                     contentType: "application/json-patch+json")
        #expect(failed.status == 422)
        #expect(failed.json["kind"] == "Status")
    }

    @Test func strategicMergeMergesContainersByNameAndHonoursDirectives() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let r = cluster.request("PATCH", deployments + "/web", [
            "spec": ["template": ["spec": [
                "initContainers": [["name": "model-preload", "image": "loader:2"]],
                "containers": [["name": "server", "env": [["name": "A", "value": "1"]]], ["name": "sidecar", "image": "s:1"]],
            ]]],
        ], contentType: "application/strategic-merge-patch+json")
        #expect(r.status == 200)
        let spec = r.json["spec"]?["template"]?["spec"]
        let server = spec?["containers"]?.arrayValue?.first { $0["name"] == "server" }
        #expect(server?["image"] == "triton:24.01", "merged, not replaced")
        #expect(server?["env"] == [["name": "A", "value": "1"]])
        #expect(spec?["containers"]?.arrayValue?.count == 2)
        #expect(spec?["initContainers"]?.arrayValue?.first?["imagePullPolicy"] == "IfNotPresent", "defaults apply to patched-in containers")
        let deleted = cluster.request("PATCH", deployments + "/web", [
            "spec": ["template": ["spec": ["containers": [["name": "sidecar", "$patch": "delete"]]]]],
        ], contentType: "application/strategic-merge-patch+json")
        #expect(deleted.json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["server"])
    }

    @Test func unknownPatchTypeIs415() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let r = cluster.request("PATCH", deployments + "/web", ["spec": [:]], contentType: "application/xml")
        #expect(r.status == 415)
        #expect(r.json["reason"] == "UnsupportedMediaType")
    }

    @Test func serverSideApplyCreatesThenMergesAndRecordsTheManager() throws {
        let cluster = try TestCluster()
        let manifest = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: applied
          labels: {owner: eip}
        data:
          a: "1"
        """
        let path = "/api/v1/namespaces/default/configmaps/applied?fieldManager=eip-operator"
        let created = cluster.request("PATCH", path, contentType: "application/apply-patch+yaml", rawBody: manifest)
        #expect(created.status == 201)
        #expect(created.json["metadata"]?["managedFields"]?.arrayValue?.first?["manager"] == "eip-operator")
        #expect(created.json["metadata"]?["managedFields"]?.arrayValue?.first?["fieldsV1"]?["f:data"] == JSONValue.object(["f:a": .object([:])]))
        let second = cluster.request("PATCH", path, contentType: "application/apply-patch+yaml",
                                     rawBody: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {b: \"2\"}\n")
        #expect(second.status == 200)
        #expect(second.json["data"] == ["b": "2"], "a field the manager applied before and no longer applies goes")
        let noManager = cluster.request("PATCH", "/api/v1/namespaces/default/configmaps/applied", contentType: "application/apply-patch+yaml", rawBody: manifest)
        #expect(noManager.status == 400)
    }

    @Test func patchCarryingAStaleResourceVersionIsConflict() throws {
        let cluster = try TestCluster()
        let rv = cluster.createDeployment("web")["metadata"]?["resourceVersion"] ?? .null
        _ = cluster.request("PATCH", deployments + "/web", ["spec": ["replicas": 5]], contentType: "application/merge-patch+json")
        let r = cluster.request("PATCH", deployments + "/web", ["metadata": ["resourceVersion": rv], "spec": ["replicas": 6]],
                                contentType: "application/merge-patch+json")
        #expect(r.status == 409)
        #expect(r.json["reason"] == "Conflict")
    }
}

@Suite("Subresources", .runsOnOwnThreads)
struct SubresourceTests {
    @Test func statusWritesChangeOnlyStatusAndMainWritesIgnoreStatus() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let status = cluster.request("PATCH", deployments + "/web/status", ["spec": ["replicas": 9], "status": ["readyReplicas": 2]],
                                     contentType: "application/merge-patch+json").json
        #expect(status["status"]?["readyReplicas"] == 2)
        #expect(status["spec"]?["replicas"] == 2, "spec ignored on /status")
        let main = cluster.request("PATCH", deployments + "/web", ["spec": ["replicas": 3], "status": ["readyReplicas": 7]],
                                   contentType: "application/merge-patch+json").json
        #expect(main["spec"]?["replicas"] == 3)
        #expect(main["status"]?["readyReplicas"] == 2, "status ignored on the main resource")
        #expect(cluster.get("/api/v1/namespaces/default/configmaps/x/status").status == 404)
    }

    @Test func scaleReadsAndWritesReplicas() throws {
        let cluster = try TestCluster()
        let created = cluster.createDeployment("web")
        let scale = cluster.get(deployments + "/web/scale").json
        #expect(scale["kind"] == "Scale")
        #expect(scale["apiVersion"] == "autoscaling/v1")
        #expect(scale["spec"]?["replicas"] == 2)
        #expect(scale["status"]?["selector"] == "app=web")
        let patched = cluster.request("PATCH", deployments + "/web/scale", ["spec": ["replicas": 6]], contentType: "application/merge-patch+json")
        #expect(patched.json["spec"]?["replicas"] == 6)
        let deployment = cluster.get(deployments + "/web").json
        #expect(deployment["spec"]?["replicas"] == 6)
        #expect(deployment["metadata"]?["generation"] == 2)
        var put = scale.objectValue ?? [:]
        put["spec"] = ["replicas": 1]
        let stale = cluster.request("PUT", deployments + "/web/scale", .object(put))
        #expect(stale.status == 409, "the Scale read before the patch carries a stale resourceVersion")
        _ = created
        let negative = cluster.request("PATCH", deployments + "/web/scale", ["spec": ["replicas": -1]], contentType: "application/merge-patch+json")
        #expect(negative.status == 422)
    }
}
