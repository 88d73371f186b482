import Foundation
import TestSupport
import JSON
import Testing
@testable import KubeEmulator

let deployments = "/apis/apps/v1/namespaces/default/deployments"

@Suite("Object semantics", .runsOnOwnThreads)
struct ObjectSemanticsTests {
    @Test func createFillsUidTimestampResourceVersionGenerationAndTypeMeta() throws {
        let cluster = try TestCluster()
        let created = cluster.createDeployment("web")
        #expect(created["kind"] == "Deployment")
        #expect(created["apiVersion"] == "apps/v1")
        #expect(created["metadata"]?["uid"]?.stringValue?.count == 36)
        #expect(created["metadata"]?["creationTimestamp"]?.stringValue?.hasSuffix("Z") == true)
        #expect(created["metadata"]?["generation"] == 1)
        #expect(Int(created["metadata"]?["resourceVersion"]?.stringValue ?? "") == cluster.emulator.resourceVersion)
    }

    @Test func oneResourceVersionCounterAcrossResources() throws {
        let cluster = try TestCluster()
        let a = Int(cluster.createDeployment("a")["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
        let b = Int(cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "b"]]).json["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
        let c = Int(cluster.createDeployment("c")["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
        #expect(a < b && b < c)
    }

    @Test func generationMovesOnSpecChangesOnly() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        func generation() -> Int? { cluster.get(deployments + "/web").json["metadata"]?["generation"]?.intValue }
        _ = cluster.request("PATCH", deployments + "/web", ["metadata": ["labels": ["x": "y"]]], contentType: "application/merge-patch+json")
        #expect(generation() == 1)
        _ = cluster.request("PATCH", deployments + "/web/status", ["status": ["readyReplicas": 2]], contentType: "application/merge-patch+json")
        #expect(generation() == 1)
        _ = cluster.request("PATCH", deployments + "/web", ["spec": ["replicas": 3]], contentType: "application/merge-patch+json")
        #expect(generation() == 2)
    }

    @Test func builtInDefaultsAreFilledIn() throws {
        let cluster = try TestCluster()
        let created = cluster.createDeployment("web")
        let container = created["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first
        #expect(container?["terminationMessagePath"] == "/dev/termination-log")
        #expect(container?["imagePullPolicy"] == "IfNotPresent")
        #expect(created["spec"]?["template"]?["spec"]?["restartPolicy"] == "Always")
        #expect(created["spec"]?["revisionHistoryLimit"] == 10)
    }

    @Test func namespaceScoping() throws {
        let cluster = try TestCluster()
        _ = cluster.post("/api/v1/namespaces", ["metadata": ["name": "other"]])
        cluster.createDeployment("a")
        cluster.createDeployment("b", namespace: "other")
        #expect(cluster.get(deployments).json["items"]?.arrayValue?.count == 1)
        #expect(cluster.get("/apis/apps/v1/deployments").json["items"]?.arrayValue?.count == 2)
        #expect(cluster.get("/apis/apps/v1/namespaces/other/deployments/a").status == 404)
        let missing = cluster.post("/apis/apps/v1/namespaces/nowhere/deployments", ["metadata": ["name": "x"], "spec": [:]])
        #expect(missing.status == 404)
        #expect(missing.json["message"] == "namespaces \"nowhere\" not found")
        let mismatch = cluster.post(deployments, ["metadata": ["name": "x", "namespace": "other"]])
        #expect(mismatch.status == 400)
        #expect(mismatch.json["message"] == "the namespace of the provided object does not match the namespace sent on the request")
    }

    @Test func listsCarryTheirKindAndResourceVersionItemsDoNot() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let list = cluster.get(deployments).json
        #expect(list["kind"] == "DeploymentList")
        #expect(list["apiVersion"] == "apps/v1")
        #expect(Int(list["metadata"]?["resourceVersion"]?.stringValue ?? "") == cluster.emulator.resourceVersion)
        #expect(list["items"]?.arrayValue?.first?["kind"] == nil)
    }

    @Test func generateName() throws {
        let cluster = try TestCluster()
        let created = cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": ["generateName": "cfg-"]]).json
        let name = created["metadata"]?["name"]?.stringValue ?? ""
        #expect(name.hasPrefix("cfg-") && name.count == 9)
    }
}

@Suite("Verbs", .runsOnOwnThreads)
struct VerbTests {
    @Test func getMissingIsNotFoundWithTheRealStatus() throws {
        let cluster = try TestCluster()
        let r = cluster.get(deployments + "/nope")
        #expect(r.status == 404)
        #expect(r.json == ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                           "message": "deployments.apps \"nope\" not found", "reason": "NotFound",
                           "details": ["name": "nope", "group": "apps", "kind": "deployments"], "code": 404])
    }

    @Test func createTwiceIsAlreadyExists() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let body: JSONValue = ["metadata": ["name": "web"], "spec": [:]]
        let r = cluster.post(deployments, body)
        #expect(r.status == 409)
        #expect(r.json["reason"] == "AlreadyExists")
        #expect(r.json["message"] == "deployments.apps \"web\" already exists")
    }

    @Test func updateWithAStaleResourceVersionIsConflict() throws {
        let cluster = try TestCluster()
        var object = cluster.createDeployment("web").objectValue ?? [:]
        let stale = object
        object["spec"] = object["spec"].map { $0.applyingMergePatch(["replicas": 3]) }
        #expect(cluster.request("PUT", deployments + "/web", .object(object)).status == 200)
        let r = cluster.request("PUT", deployments + "/web", .object(stale))
        #expect(r.status == 409)
        #expect(r.json["reason"] == "Conflict")
        #expect(r.json["message"] == "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again")
    }

    @Test func aNoOpUpdateKeepsTheResourceVersion() throws {
        let cluster = try TestCluster()
        let created = cluster.createDeployment("web")
        let again = cluster.request("PUT", deployments + "/web", created).json
        #expect(again["metadata"]?["resourceVersion"] == created["metadata"]?["resourceVersion"])
        let patched = cluster.request("PATCH", deployments + "/web", ["spec": ["replicas": 2]], contentType: "application/merge-patch+json").json
        #expect(patched["metadata"]?["resourceVersion"] == created["metadata"]?["resourceVersion"])
    }

    @Test func labelAndFieldSelectors() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("a", labels: ["tier": "gpu", "team": "x"])
        cluster.createDeployment("b", labels: ["tier": "cpu"])
        cluster.createDeployment("c", labels: ["tier": "gpu", "team": "y"])
        func names(_ query: String) -> [String] {
            cluster.get(deployments + "?" + query).json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
        }
        #expect(names("labelSelector=tier%3Dgpu") == ["a", "c"])
        #expect(names("labelSelector=tier!%3Dgpu") == ["b"])
        #expect(names("labelSelector=team%20in%20(x,z)") == ["a"])
        #expect(names("labelSelector=tier,!team") == ["b"])
        #expect(names("labelSelector=tier%3Dgpu,team%3Dy") == ["c"])
        #expect(names("fieldSelector=metadata.name%3Db") == ["b"])
        #expect(names("fieldSelector=metadata.name!%3Db") == ["a", "c"])
        let bad = cluster.get(deployments + "?fieldSelector=spec.replicas%3D2")
        #expect(bad.status == 400)
        #expect(bad.json["message"] == "field label not supported: spec.replicas")
    }

    @Test func pagingWithLimitAndContinue() throws {
        let cluster = try TestCluster()
        for name in ["a", "b", "c", "d", "e"] { _ = cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": .string(name)]]) }
        var seen: [String] = []
        var token = ""
        var pages = 0
        repeat {
            let page = cluster.get("/api/v1/namespaces/default/configmaps?limit=2" + (token.isEmpty ? "" : "&continue=" + token)).json
            seen += page["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
            token = page["metadata"]?["continue"]?.stringValue?.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            pages += 1
            if pages == 1 { #expect(page["metadata"]?["remainingItemCount"] == 3) }
        } while !token.isEmpty && pages < 10
        #expect(seen == ["a", "b", "c", "d", "e"])
        #expect(pages == 3)
        #expect(cluster.get("/api/v1/namespaces/default/configmaps?limit=2&continue=%%%").status == 400)
    }

    @Test func deleteAnswersAStatusOrThePodItself() throws {
        let cluster = try TestCluster()
        let uid = cluster.createDeployment("web")["metadata"]?["uid"]
        let r = cluster.request("DELETE", deployments + "/web")
        #expect(r.status == 200)
        #expect(r.json == ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success",
                           "details": ["name": "web", "group": "apps", "kind": "deployments", "uid": uid ?? .null]])
        #expect(cluster.get(deployments + "/web").status == 404)
        _ = cluster.post("/api/v1/namespaces/default/pods", ["metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "x"]]]])
        #expect(cluster.request("DELETE", "/api/v1/namespaces/default/pods/p").json["kind"] == "Pod")
    }

    @Test func finalizersHoldDeletionUntilRemoved() throws {
        let cluster = try TestCluster()
        _ = cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "held", "finalizers": ["example.com/cleanup"]]])
        // 200 with the object, as handlers/delete.go answers a deletion that did not happen at once.
        let r = cluster.request("DELETE", "/api/v1/namespaces/default/configmaps/held")
        #expect(r.status == 200)
        #expect(r.json["kind"] == "ConfigMap")
        // 202 only when the legacy orphanDependents=false asked for cascading.
        _ = cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "held-too", "finalizers": ["example.com/cleanup"]]])
        #expect(cluster.request("DELETE", "/api/v1/namespaces/default/configmaps/held-too", ["orphanDependents": false]).status == 202)
        #expect(r.json["metadata"]?["deletionTimestamp"] != nil)
        #expect(cluster.get("/api/v1/namespaces/default/configmaps/held").status == 200)
        let added = cluster.request("PATCH", "/api/v1/namespaces/default/configmaps/held", ["metadata": ["finalizers": ["a", "b"]]],
                                    contentType: "application/merge-patch+json")
        #expect(added.status == 422, "no new finalizers once deletion has begun")
        _ = cluster.request("PATCH", "/api/v1/namespaces/default/configmaps/held", ["metadata": ["finalizers": .null]], contentType: "application/merge-patch+json")
        #expect(cluster.get("/api/v1/namespaces/default/configmaps/held").status == 404)
    }

    @Test func ownerReferencesAreCollectedInTheBackgroundOrOrphaned() throws {
        let cluster = try TestCluster()
        for (owner, propagation) in [("owner-a", "Background"), ("owner-b", "Orphan")] {
            let uid = cluster.createDeployment(owner)["metadata"]?["uid"] ?? .null
            _ = cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": [
                "name": .string("child-of-" + owner),
                "ownerReferences": [["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(owner), "uid": uid]],
            ]])
            _ = cluster.request("DELETE", deployments + "/\(owner)?propagationPolicy=\(propagation)")
        }
        #expect(cluster.get("/api/v1/namespaces/default/configmaps/child-of-owner-a").status == 404)
        let orphan = cluster.get("/api/v1/namespaces/default/configmaps/child-of-owner-b")
        #expect(orphan.status == 200)
        #expect(orphan.json["metadata"]?["ownerReferences"] == nil)
    }

    @Test func deletePreconditions() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let r = cluster.request("DELETE", deployments + "/web", ["preconditions": ["uid": "not-the-uid"]])
        #expect(r.status == 409)
        #expect(r.json["message"]?.stringValue?.hasPrefix("Precondition failed: UID in precondition: not-the-uid") == true)
    }
}

@Suite("Tables for kubectl get", .runsOnOwnThreads)
struct TableTests {
    static let durations: [(Double, String)] = [(5, "5s"), (119, "119s"), (130, "2m10s"), (600, "10m"), (10_860, "3h1m"),
                                                 (108_000, "30h"), (180_000, "2d2h"), (34_560_000, "400d")]

    @Test(arguments: durations)
    func humanDurations(seconds: Double, text: String) {
        #expect(TableConversion.humanDuration(seconds) == text)
    }

    @Test func listsAsTablesWhenAsked() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let args = cluster.curlArguments(token: cluster.token, ca: nil) + ["-H", "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json", cluster.url + deployments]
        let table = try JSONValue(parsing: run("/usr/bin/curl", args).stdout)
        #expect(table["kind"] == "Table")
        #expect(table["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Name", "Age"])
        #expect(table["rows"]?.arrayValue?.first?["cells"]?.arrayValue?.first == "web")
    }
}

@Suite("Built-in resources", .runsOnOwnThreads)
struct BuiltInResourceTests {
    static let collections: [(String, JSONValue)] = [
        ("/api/v1/namespaces/default/pods", ["metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "x:1"]]]]),
        ("/api/v1/namespaces/default/events", ["metadata": ["name": "e"], "involvedObject": ["kind": "Pod", "name": "p"], "reason": "Test"]),
        ("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "c"]]),
        ("/api/v1/namespaces/default/services", ["metadata": ["name": "s"], "spec": ["ports": [["port": 80]]]]),
        ("/apis/apps/v1/namespaces/default/deployments", ["metadata": ["name": "d"], "spec": ["replicas": 1]]),
        ("/apis/apps/v1/namespaces/default/daemonsets", ["metadata": ["name": "ds"], "spec": [:]]),
        ("/apis/coordination.k8s.io/v1/namespaces/default/leases", ["metadata": ["name": "l"], "spec": ["holderIdentity": "a", "leaseDurationSeconds": 15]]),
        ("/apis/events.k8s.io/v1/namespaces/default/events", ["metadata": ["name": "e2"], "reason": "Test", "action": "Scaled"]),
        ("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", ["metadata": ["name": "h"], "spec": ["maxReplicas": 3, "scaleTargetRef": ["kind": "Deployment", "name": "d"]]]),
        ("/api/v1/namespaces", ["metadata": ["name": "ns2"]]),
    ]

    @Test(arguments: collections)
    func createGetListWatchAndDelete(path: String, body: JSONValue) throws {
        let cluster = try TestCluster()
        let created = cluster.post(path, body)
        #expect(created.status == 201, "\(path): \(created.text)")
        let name = created.json["metadata"]?["name"]?.stringValue ?? ""
        #expect(cluster.get(path + "/" + name).json["metadata"]?["uid"] == created.json["metadata"]?["uid"])
        #expect(cluster.get(path).json["items"]?.arrayValue?.isEmpty == false)
        #expect(cluster.request("DELETE", path + "/" + name).status == 200)
    }

    @Test func deleteCollectionBySelector() throws {
        let cluster = try TestCluster()
        for (name, tier) in [("a", "gpu"), ("b", "gpu"), ("c", "cpu")] {
            _ = cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": .string(name), "labels": ["tier": .string(tier)]]])
        }
        let r = cluster.request("DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dgpu")
        #expect(r.status == 200)
        #expect(r.json["items"]?.arrayValue?.count == 2)
        #expect(cluster.get("/api/v1/namespaces/default/configmaps").json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["c"])
    }

    @Test func watchWithAFieldSelector() throws {
        let cluster = try TestCluster()
        let watch = cluster.watch("/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Dwanted")
        defer { watch.stop() }
        _ = watch.wait { _ in cluster.emulator.openWatches == 1 }
        _ = cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "other"]])
        _ = cluster.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "wanted"]])
        #expect(watch.wait { $0.count >= 1 }.names == ["wanted"])
    }

    @Test(arguments: [500, 503])
    func injectedServerErrors(status: Int) throws {
        let cluster = try TestCluster()
        cluster.emulator.inject(Fault(verb: "patch", pathPrefix: "/apis/apps/v1", status: status, retryAfterSeconds: status == 503 ? 1 : nil))
        cluster.createDeployment("web")
        let r = cluster.request("PATCH", deployments + "/web", ["spec": ["replicas": 3]], contentType: "application/merge-patch+json")
        #expect(r.status == status)
        #expect(r.json["reason"] == (status == 500 ? "InternalError" : "ServiceUnavailable"))
        #expect(r.headers["retry-after"] == (status == 503 ? "1" : nil))
        #expect(cluster.request("PATCH", deployments + "/web", ["spec": ["replicas": 3]], contentType: "application/merge-patch+json").status == 200)
    }
}
