import Foundation
import JSON
import TestSupport
import Testing
@testable import KubeEmulator

/// Server-side dry run (`?dryRun=All`): decoded, defaulted, admitted and validated, answered as the
/// write would be, and nothing stored: no resourceVersion used, no watch event, no pods.
@Suite("Server-side dry run", .runsOnOwnThreads)
struct DryRunTests {
    /// Opens a watch on the Deployments from now, runs `body`, then makes one real change: the
    /// first event the watch sees must be that change.
    func expectNoWatchEvent(_ cluster: TestCluster, during body: () throws -> Void) throws {
        let watch = cluster.watch(deployments + "?watch=true&resourceVersion=\(cluster.emulator.resourceVersion)")
        defer { watch.stop() }
        #expect(watch.wait { _ in cluster.emulator.openWatches == 1 }.isEmpty)
        let revision = cluster.emulator.resourceVersion
        try body()
        #expect(cluster.emulator.resourceVersion == revision, "no resourceVersion used")
        cluster.createDeployment("marker")
        let events = watch.wait { !$0.isEmpty }
        #expect(events.names == ["marker"], "the dry runs sent no event: \(events.names)")
    }

    @Test func createAnswersTheDefaultedObjectAndStoresNothing() throws {
        let cluster = try TestCluster()
        try expectNoWatchEvent(cluster) {
            let body: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
                                   "spec": ["selector": ["matchLabels": ["app": "web"]],
                                            "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "x:1"]]]]]]
            let r = cluster.post(deployments + "?dryRun=All", body)
            #expect(r.status == 201)
            #expect(r.json["spec"]?["replicas"] == 1, "defaulted")
            #expect(r.json["spec"]?["strategy"]?["type"] == "RollingUpdate")
            #expect(r.json["metadata"]?["uid"] != nil)
            #expect(r.json["metadata"]?["creationTimestamp"] != nil)
            #expect(r.json["metadata"]?["generation"] == 1)
            #expect(r.json["metadata"]?["resourceVersion"] == nil, "dryrun.go copies the object out without storing it")
            #expect(cluster.get(deployments + "/web").status == 404)
        }
    }

    @Test func createStillRefusesWhatARealCreateRefuses() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let clash = cluster.post(deployments + "?dryRun=All", ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"]])
        #expect(clash.status == 409)
        #expect(clash.json["reason"] == "AlreadyExists")
        let missing = cluster.post("/api/v1/namespaces/absent/configmaps?dryRun=All", ["metadata": ["name": "c"]])
        #expect(missing.status == 404)
        let bad = cluster.post("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations?dryRun=All",
                               ["metadata": ["name": "w"], "webhooks": [["name": "check.example.com", "clientConfig": ["url": "https://x"]]]])
        #expect(bad.status == 422, "validated")
    }

    @Test func patchAndUpdateAnswerTheResultAndKeepTheStoredObject() throws {
        let cluster = try TestCluster()
        let created = cluster.createDeployment("web", replicas: 2)
        let rv = created["metadata"]?["resourceVersion"]
        try expectNoWatchEvent(cluster) {
            let patched = cluster.request("PATCH", deployments + "/web?dryRun=All", ["spec": ["replicas": 5]], contentType: "application/merge-patch+json")
            #expect(patched.status == 200)
            #expect(patched.json["spec"]?["replicas"] == 5)
            #expect(patched.json["metadata"]?["generation"] == 2, "as the write would bump it")
            #expect(patched.json["metadata"]?["resourceVersion"] == rv, "the stored resourceVersion")
            var replaced = created.objectValue ?? [:]
            replaced["spec"] = replaced["spec"].map { $0.applyingMergePatch(["replicas": 7]) }
            let put = cluster.request("PUT", deployments + "/web?dryRun=All", .object(replaced))
            #expect(put.status == 200)
            #expect(put.json["spec"]?["replicas"] == 7)
            let scale = cluster.request("PATCH", deployments + "/web/scale?dryRun=All", ["spec": ["replicas": 9]], contentType: "application/merge-patch+json")
            #expect(scale.json["spec"]?["replicas"] == 9)
            let status = cluster.request("PATCH", deployments + "/web/status?dryRun=All", ["status": ["replicas": 3]], contentType: "application/merge-patch+json")
            #expect(status.json["status"]?["replicas"] == 3)
            let applied = cluster.request("PATCH", deployments + "/web?dryRun=All&fieldManager=test&force=true", contentType: "application/apply-patch+yaml",
                                          rawBody: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 4\n")
            #expect(applied.json["spec"]?["replicas"] == 4)
        }
        let stored = cluster.get(deployments + "/web").json
        #expect(stored["spec"]?["replicas"] == 2)
        #expect(stored["metadata"]?["generation"] == 1)
        #expect(stored["status"] == nil)
    }

    @Test func deleteAnswersAsADeleteAndRemovesNothing() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        _ = cluster.post(configmaps, ["metadata": ["name": "held", "finalizers": ["example.com/cleanup"]]])
        _ = cluster.post(configmaps, ["metadata": ["name": "child", "ownerReferences": [
            ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": cluster.get(deployments + "/web").json["metadata"]?["uid"] ?? .null],
        ]]])
        try expectNoWatchEvent(cluster) {
            let r = cluster.request("DELETE", deployments + "/web?dryRun=All")
            #expect(r.status == 200)
            #expect(r.json["status"] == "Success")
            // client-go sends the options as the body.
            let held = cluster.request("DELETE", configmaps + "/held", ["kind": "DeleteOptions", "apiVersion": "v1", "dryRun": ["All"]])
            #expect(held.status == 200)
            #expect(held.json["metadata"]?["deletionTimestamp"] != nil, "answered as the finalizers would hold it")
            #expect(cluster.request("DELETE", configmaps + "?dryRun=All").status == 200)
        }
        #expect(cluster.get(deployments + "/web").status == 200)
        #expect(cluster.get(configmaps + "/child").status == 200, "no garbage collection")
        #expect(cluster.get(configmaps + "/held").json["metadata"]?["deletionTimestamp"] == nil)
    }

    @Test func aDryRunStartsNoPods() throws {
        let cluster = try TestCluster(podStartDelay: 0.05)
        let body: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
                               "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "web"]],
                                        "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "x:1"]]]]]]
        #expect(cluster.post(deployments + "?dryRun=All", body).status == 201)
        cluster.createDeployment("real", replicas: 1)
        #expect(waitUntil { (cluster.get("/api/v1/namespaces/default/pods").json["items"]?.arrayValue?.count ?? 0) == 1 })
        let pods = cluster.get("/api/v1/namespaces/default/pods").json["items"]?.arrayValue ?? []
        #expect(pods.allSatisfy { $0["metadata"]?["name"]?.stringValue?.hasPrefix("real-") == true }, "\(pods.map { $0["metadata"]?["name"] })")
    }

    @Test func onlyAllIsADryRun() throws {
        let cluster = try TestCluster()
        let r = cluster.post(configmaps + "?dryRun=Some", ["metadata": ["name": "c"]])
        #expect(r.status == 422)
        #expect(r.json["message"] == "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Some\"}: supported values: \"All\"")
        #expect(cluster.get(configmaps + "/c").status == 404)
    }
}

@Suite("Server-side dry run with kubectl", .runsOnOwnThreads, .enabled(if: FileManager.default.isExecutableFile(atPath: kubectlPath),
                                                    "kubectl not installed (scripts/install-kubectl.sh)"))
struct DryRunKubectlTests {
    /// The sample Deployment without its status block, with `replicas` set.
    static func manifest(replicas: Int) throws -> String {
        let sample = try String(contentsOfFile: repositoryRoot + "/Manifests/samples/bert-triton-deployment.yaml", encoding: .utf8)
        let bare = String(sample[..<(sample.range(of: "\nstatus:")?.lowerBound ?? sample.endIndex)]) + "\n"
        return bare.replacingOccurrences(of: "replicas: 2", with: "replicas: \(replicas)")
    }

    @Test func applyDryRunServerCreatesAndChangesNothing() throws {
        let s = try KubectlSession()
        s.namespace("inference")
        let created = s.kubectl("apply", "--dry-run=server", "-f", "-", stdin: try Self.manifest(replicas: 2))
        #expect(created.stdout == "deployment.apps/bert-triton created (server dry run)\n", "\(created.stderr)")
        #expect(s.kubectl("get", "deploy", "bert-triton", "-n", "inference").status != 0, "nothing was created")

        s.kubectl("apply", "-f", "-", stdin: try Self.manifest(replicas: 2))
        let revision = s.cluster.emulator.resourceVersion
        let configured = s.kubectl("apply", "--dry-run=server", "-f", "-", stdin: try Self.manifest(replicas: 6))
        #expect(configured.stdout == "deployment.apps/bert-triton configured (server dry run)\n", "\(configured.stderr)")
        let ssa = s.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", stdin: try Self.manifest(replicas: 6))
        #expect(ssa.stdout == "deployment.apps/bert-triton serverside-applied (server dry run)\n", "\(ssa.stderr)")
        let deleted = s.kubectl("delete", "deploy", "bert-triton", "-n", "inference", "--dry-run=server")
        #expect(deleted.stdout == "deployment.apps \"bert-triton\" deleted from inference namespace (server dry run)\n", "\(deleted.stderr)")
        #expect(s.kubectl("get", "deploy", "bert-triton", "-n", "inference", "-o", "jsonpath={.spec.replicas}").stdout == "2")
        #expect(s.cluster.emulator.resourceVersion == revision, "no write happened")
    }

    @Test func diffShowsTheChangeAndLeavesTheLiveObjectAlone() throws {
        let s = try KubectlSession()
        s.namespace("inference")
        s.kubectl("apply", "-f", "-", stdin: try Self.manifest(replicas: 2))
        let revision = s.cluster.emulator.resourceVersion
        let same = s.kubectl("diff", "-f", "-", stdin: try Self.manifest(replicas: 2))
        #expect(same.status == 0, "no differences: \(same.stdout) \(same.stderr)")
        #expect(same.stdout.isEmpty)
        let changed = s.kubectl("diff", "-f", "-", stdin: try Self.manifest(replicas: 5))
        #expect(changed.status == 1, "differences found: \(changed.stderr)")
        #expect(changed.stdout.contains("-  replicas: 2\n"))
        #expect(changed.stdout.contains("+  replicas: 5\n"))
        #expect(!changed.stdout.contains("resourceVersion"), "a dry run keeps the resourceVersion")
        #expect(s.kubectl("get", "deploy", "bert-triton", "-n", "inference", "-o", "jsonpath={.spec.replicas}").stdout == "2")
        #expect(s.cluster.emulator.resourceVersion == revision, "diff wrote nothing")
        let writes = s.cluster.emulator.requests.filter { $0.method == "PATCH" }
        #expect(!writes.isEmpty && writes.allSatisfy { $0.query["dryRun"] == "All" })
    }
}
