import Foundation
import JSON
import TestSupport
import Testing
@testable import KubeEmulator

/// Deleting a CustomResourceDefinition as the apiextensions server does: the CRD is held by the
/// `customresourcecleanup.apiextensions.k8s.io` finalizer with a `Terminating` condition while its
/// objects are deleted, their own finalizers honoured, and goes when the last one is gone.
@Suite("CRD deletion", .runsOnOwnThreads)
struct CRDDeletionTests {
    static let crd = CustomResourceTests.crdPath + "/elasticinferencepools.aiops.example.com"
    static let pools = CustomResourceTests.pools

    static func pool(_ name: String, finalizers: [String] = []) -> JSONValue {
        ["apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool",
         "metadata": ["name": .string(name), "finalizers": .array(finalizers.map(JSONValue.string))],
         "spec": ["modelRef": .string(name), "maxReplicas": 3, "scaleUpThreshold": "P90>1s", "scaleDownThreshold": "P90<1ms"]]
    }

    func terminating(_ crd: JSONValue) -> JSONValue? {
        crd["status"]?["conditions"]?.arrayValue?.first { $0["type"] == "Terminating" }
    }

    @Test func objectsWithFinalizersHoldTheCRDUntilTheyAreGone() throws {
        let cluster = try TestCluster()
        #expect(try CustomResourceTests().installCRD(cluster).status == 201)
        _ = cluster.post(Self.pools, Self.pool("held", finalizers: ["aiops.example.com/warmup-cleanup"]))
        _ = cluster.post(Self.pools, Self.pool("free"))
        let watch = cluster.watch(Self.pools + "?watch=true&resourceVersion=\(cluster.emulator.resourceVersion)")
        defer { watch.stop() }

        let r = cluster.request("DELETE", Self.crd)
        #expect(r.status == 200)
        #expect(r.json["metadata"]?["deletionTimestamp"] != nil)
        #expect(r.json["metadata"]?["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"])
        #expect(terminating(r.json)?["reason"] == "InstanceDeletionPending")
        #expect(terminating(r.json)?["message"] == "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon")

        // The finalizer's pass: every object deleted, those with finalizers only marked.
        let crd = cluster.get(Self.crd).json
        #expect(terminating(crd)?["status"] == "True")
        #expect(terminating(crd)?["reason"] == "InstanceDeletionInProgress")
        #expect(cluster.get(Self.pools + "/free").status == 404)
        #expect(cluster.get(Self.pools + "/held").json["metadata"]?["deletionTimestamp"] != nil)
        #expect(watch.wait { $0.count >= 2 }.types == ["DELETED", "MODIFIED"], "free deleted, held marked")

        // Still served for reads and the finalizer's writes; creating is refused.
        #expect(cluster.get(Self.pools).json["items"]?.arrayValue?.count == 1)
        let create = cluster.post(Self.pools, Self.pool("late"))
        #expect(create.status == 405)
        #expect(create.json["reason"] == "MethodNotAllowed")
        #expect(create.json["message"] == "create not allowed while custom resource definition is terminating")
        #expect(cluster.request("DELETE", Self.crd).status == 200, "deleting again changes nothing")

        // The controller releases its object: the object goes, and the CRD with it.
        let released = cluster.request("PATCH", Self.pools + "/held", ["metadata": ["finalizers": .null]], contentType: "application/merge-patch+json")
        #expect(released.status == 200)
        #expect(cluster.get(Self.crd).status == 404)
        #expect(cluster.get(Self.pools).status == 404, "no longer served")
        let groups = cluster.get("/apis").json["groups"]?.arrayValue ?? []
        #expect(!groups.contains { $0["name"] == "aiops.example.com" }, "gone from discovery")
        #expect(watch.waitForEnd(), "open watches end with the resource")
        #expect(watch.events.types == ["DELETED", "MODIFIED", "DELETED"])
    }

    @Test func withoutObjectsTheCRDGoesAtOnce() throws {
        let cluster = try TestCluster()
        _ = try CustomResourceTests().installCRD(cluster)
        let watch = cluster.watch(CustomResourceTests.crdPath + "?watch=true&resourceVersion=\(cluster.emulator.resourceVersion)")
        defer { watch.stop() }
        #expect(cluster.request("DELETE", Self.crd).status == 200)
        #expect(cluster.get(Self.crd).status == 404)
        let events = watch.wait { $0.types.last == "DELETED" }
        #expect(events.types == ["MODIFIED", "MODIFIED", "DELETED"], "marked, in progress, deleted")
        // Removing the last finalizer deletes without storing the update (store.go, errEmptiedFinalizers):
        // the DELETED event carries the last stored state.
        let last = try #require(events.last)
        #expect(last["object"]?["metadata"]?["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"])
        #expect(terminating(last["object"] ?? .null)?["reason"] == "InstanceDeletionInProgress")
    }

    @Test func aDryRunDeleteChangesNothing() throws {
        let cluster = try TestCluster()
        _ = try CustomResourceTests().installCRD(cluster)
        _ = cluster.post(Self.pools, Self.pool("p"))
        let r = cluster.request("DELETE", Self.crd + "?dryRun=All")
        #expect(r.status == 200)
        #expect(terminating(r.json)?["reason"] == "InstanceDeletionPending")
        #expect(cluster.get(Self.crd).json["metadata"]?["deletionTimestamp"] == nil)
        #expect(cluster.get(Self.pools + "/p").status == 200)
    }

    /// Stripping the cleanup finalizer by hand removes the CRD at once; its objects stay in storage,
    /// unserved, and are back when the CRD is created again (as in etcd).
    @Test func strippingTheCleanupFinalizerLeavesTheObjectsInStorage() throws {
        let cluster = try TestCluster()
        _ = try CustomResourceTests().installCRD(cluster)
        _ = cluster.post(Self.pools, Self.pool("held", finalizers: ["example.com/never"]))
        _ = cluster.request("DELETE", Self.crd)
        _ = cluster.request("PATCH", Self.crd, ["metadata": ["finalizers": .null]], contentType: "application/merge-patch+json")
        #expect(cluster.get(Self.crd).status == 404)
        #expect(cluster.get(Self.pools).status == 404)
        #expect(try CustomResourceTests().installCRD(cluster).status == 201)
        #expect(cluster.get(Self.pools + "/held").json["metadata"]?["deletionTimestamp"] != nil)
    }
}

@Suite("CRD deletion with kubectl", .runsOnOwnThreads, .enabled(if: FileManager.default.isExecutableFile(atPath: kubectlPath),
                                             "kubectl not installed (scripts/install-kubectl.sh)"))
struct CRDDeletionKubectlTests {
    /// `kubectl delete -f CRDs/` waits, as on a cluster, until the pools' finalizers are released.
    @Test func deleteDashFCRDsWaitsForThePools() throws {
        let s = try KubectlSession()
        s.namespace("inference")
        s.kubectl("apply", "-f", repositoryRoot + "/CRDs/")
        s.kubectl("apply", "-f", repositoryRoot + "/Manifests/samples/bert-triton-pool.yaml")
        let pool = "/apis/aiops.example.com/v1alpha2/namespaces/inference/elasticinferencepools/bert-base"
        _ = s.cluster.request("PATCH", pool, ["metadata": ["finalizers": ["aiops.example.com/warmup-cleanup"]]], contentType: "application/merge-patch+json")
        let delete = WatchStream(executable: kubectlPath, arguments: ["--kubeconfig", s.kubeconfig, "delete", "-f", repositoryRoot + "/CRDs/", "--timeout=50s"])
        defer { delete.stop() }
        #expect(waitUntil { s.cluster.get(pool).json["metadata"]?["deletionTimestamp"] != nil })
        #expect(waitUntil { s.cluster.emulator.requests.contains { $0.verb == "watch" && $0.path.hasSuffix("/customresourcedefinitions") } })
        let table = s.kubectl("get", "crd").stdout
        #expect(table.contains("elasticinferencepools.aiops.example.com"), "still there, terminating: \(table)")
        #expect(!delete.hasEnded)
        _ = s.cluster.request("PATCH", pool, ["metadata": ["finalizers": .null]], contentType: "application/merge-patch+json")
        #expect(delete.waitForEnd(timeout: 20))
        #expect(delete.lines == ["customresourcedefinition.apiextensions.k8s.io \"elasticinferencepools.aiops.example.com\" deleted"], "\(delete.lines)")
        #expect(s.kubectl("get", "crd", "elasticinferencepools.aiops.example.com").status != 0)
    }
}
