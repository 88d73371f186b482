import Foundation
import JSON
import TestSupport
import Testing
@testable import KubeEmulator

/// The kinds an operator's install manifests carry (issue 20 §4): stored, defaulted and validated
/// as the API server does, namespaced or cluster-scoped, in discovery, lists, watches and tables.
@Suite("Install kinds")
struct InstallKindsTests {
    struct Kind: Sendable, CustomTestStringConvertible {
        let collection: String
        let body: JSONValue
        let namespaced: Bool
        let columns: [String]
        var testDescription: String { collection }
    }

    static let webhook: JSONValue = [
        "name": "validate.aiops.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
        "clientConfig": ["service": ["namespace": "eip-system", "name": "eip-webhook", "path": "/validate"]],
        "rules": [["apiGroups": ["aiops.example.com"], "apiVersions": ["v1alpha2"], "operations": ["CREATE", "UPDATE"], "resources": ["elasticinferencepools"]]],
    ]
    static let roleRef: JSONValue = ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "eip-operator"]
    static let subjects: JSONValue = [["kind": "ServiceAccount", "name": "eip-operator", "namespace": "default"]]

    static let kinds: [Kind] = [
        Kind(collection: "/api/v1/namespaces/default/serviceaccounts", body: ["metadata": ["name": "sa"]], namespaced: true,
             columns: ["Name", "Secrets", "Age"]),
        Kind(collection: "/api/v1/namespaces/default/secrets", body: ["metadata": ["name": "s"], "stringData": ["k": "v"]], namespaced: true,
             columns: ["Name", "Type", "Data", "Age"]),
        Kind(collection: "/apis/apps/v1/namespaces/default/statefulsets",
             body: ["metadata": ["name": "web"], "spec": ["serviceName": "web", "selector": ["matchLabels": ["app": "web"]],
                                                          "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "x:1"]]]]]],
             namespaced: true, columns: ["Name", "Ready", "Age"]),
        Kind(collection: "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
             body: ["metadata": ["name": "pdb"], "spec": ["minAvailable": 1, "selector": ["matchLabels": ["app": "web"]]]],
             namespaced: true, columns: ["Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"]),
        Kind(collection: "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
             body: ["metadata": ["name": "r"], "rules": [["apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get"]]]],
             namespaced: true, columns: ["Name", "Created At"]),
        Kind(collection: "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
             body: ["metadata": ["name": "rb"], "roleRef": roleRef, "subjects": subjects], namespaced: true,
             columns: ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]),
        Kind(collection: "/apis/rbac.authorization.k8s.io/v1/clusterroles",
             body: ["metadata": ["name": "cr"], "rules": [["nonResourceURLs": ["/metrics"], "verbs": ["get"]]]],
             namespaced: false, columns: ["Name", "Created At"]),
        Kind(collection: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
             body: ["metadata": ["name": "crb"], "roleRef": roleRef, "subjects": subjects], namespaced: false,
             columns: ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]),
        Kind(collection: "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
             body: ["metadata": ["name": "vwc"], "webhooks": [webhook]], namespaced: false, columns: ["Name", "Webhooks", "Age"]),
        Kind(collection: "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
             body: ["metadata": ["name": "mwc"], "webhooks": [webhook]], namespaced: false, columns: ["Name", "Webhooks", "Age"]),
        Kind(collection: "/apis/scheduling.k8s.io/v1/priorityclasses", body: ["metadata": ["name": "pc"], "value": 1000],
             namespaced: false, columns: ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]),
    ]

    func table(_ cluster: TestCluster, _ path: String) throws -> JSONValue {
        let args = cluster.curlArguments(token: cluster.token, ca: nil) + ["-H", "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json", cluster.url + path]
        return try JSONValue(parsing: run("/usr/bin/curl", args).stdout)
    }

    @Test(arguments: kinds)
    func storedListedWatchedPrintedAndDeleted(kind: Kind) throws {
        let cluster = try TestCluster()
        let parts = kind.collection.split(separator: "/").map(String.init)
        let plural = parts.last ?? ""
        let groupVersion = kind.collection.hasPrefix("/api/") ? "/api/v1" : "/apis/\(parts[1])/\(parts[2])"
        let entry = cluster.get(groupVersion).json["resources"]?.arrayValue?.first { $0["name"]?.stringValue == plural }
        #expect(entry?["namespaced"] == .bool(kind.namespaced))
        #expect(entry?["verbs"]?.arrayValue?.count == 8)

        let watch = cluster.watch(kind.collection + "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
        defer { watch.stop() }
        #expect(watch.wait { !$0.isEmpty }.types == ["BOOKMARK"])
        let created = cluster.post(kind.collection, kind.body)
        #expect(created.status == 201, "\(created.text)")
        let name = created.json["metadata"]?["name"]?.stringValue ?? ""
        #expect((created.json["metadata"]?["namespace"] != nil) == kind.namespaced)
        #expect(cluster.get(kind.collection + "/" + name).json["metadata"]?["uid"] == created.json["metadata"]?["uid"])
        #expect(watch.wait { $0.count >= 2 }.names == [name])
        let printed = try table(cluster, kind.collection)
        #expect(printed["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == kind.columns)
        #expect(printed["rows"]?.arrayValue?.first?["cells"]?.arrayValue?.first == .string(name))
        #expect(cluster.request("DELETE", kind.collection + "/" + name).status == 200)
        #expect(cluster.get(kind.collection + "/" + name).status == 404)
        if !kind.namespaced {
            #expect(cluster.get("/apis/\(parts[1])/\(parts[2])/namespaces/default/\(plural)").status == 404, "cluster-scoped")
        }
    }

    @Test func defaultsAsTheAPIServerFillsThem() throws {
        let cluster = try TestCluster()
        let sts = cluster.post(Self.kinds[2].collection, Self.kinds[2].body).json
        #expect(sts["spec"]?["replicas"] == 1)
        #expect(sts["spec"]?["podManagementPolicy"] == "OrderedReady")
        #expect(sts["spec"]?["updateStrategy"] == ["type": "RollingUpdate", "rollingUpdate": ["partition": 0]])
        #expect(sts["spec"]?["revisionHistoryLimit"] == 10)
        #expect(sts["spec"]?["persistentVolumeClaimRetentionPolicy"] == ["whenDeleted": "Retain", "whenScaled": "Retain"])
        #expect(sts["spec"]?["template"]?["spec"]?["restartPolicy"] == "Always")
        #expect(sts["status"] == ["replicas": 0, "availableReplicas": 0])

        let secret = cluster.post(Self.kinds[1].collection, Self.kinds[1].body).json
        #expect(secret["type"] == "Opaque")
        #expect(secret["data"] == ["k": "dg=="], "stringData is merged into data, base64")
        #expect(secret["stringData"] == nil)

        let pdb = cluster.post(Self.kinds[3].collection, Self.kinds[3].body).json
        #expect(pdb["status"] == ["disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0])
        #expect(pdb["metadata"]?["generation"] == 1)

        let mutating = cluster.post(Self.kinds[9].collection, Self.kinds[9].body).json
        let webhook = mutating["webhooks"]?.arrayValue?.first
        #expect(webhook?["failurePolicy"] == "Fail")
        #expect(webhook?["matchPolicy"] == "Equivalent")
        #expect(webhook?["namespaceSelector"] == [:])
        #expect(webhook?["objectSelector"] == [:])
        #expect(webhook?["timeoutSeconds"] == 10)
        #expect(webhook?["reinvocationPolicy"] == "Never")
        #expect(webhook?["rules"]?.arrayValue?.first?["scope"] == "*")
        #expect(webhook?["clientConfig"]?["service"]?["port"] == 443)
    }

    @Test func webhookConfigurationsAreValidated() throws {
        let cluster = try TestCluster()
        let r = cluster.post(Self.kinds[8].collection, ["metadata": ["name": "bad"], "webhooks": [
            ["name": "short", "clientConfig": ["url": "http://example.com/x"], "timeoutSeconds": 60,
             "rules": [["operations": ["PATCH"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]]]],
        ]])
        #expect(r.status == 422)
        #expect(r.json["details"]?["kind"] == "ValidatingWebhookConfiguration")
        let causes = r.json["details"]?["causes"] ?? .null
        let fields = r.json["details"]?["causes"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
        #expect(fields == ["webhooks[0].name", "webhooks[0].clientConfig.url", "webhooks[0].sideEffects", "webhooks[0].admissionReviewVersions",
                           "webhooks[0].timeoutSeconds", "webhooks[0].rules[0].operations[0]"], "\(causes)")
        #expect(r.json["message"]?.stringValue?.contains("webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun") == true)
    }

    @Test func aBindingsRoleRefCannotChange() throws {
        let cluster = try TestCluster()
        let path = Self.kinds[7].collection
        _ = cluster.post(path, Self.kinds[7].body)
        let r = cluster.request("PATCH", path + "/crb", ["roleRef": ["name": "other"]], contentType: "application/merge-patch+json")
        #expect(r.status == 422)
        #expect(r.json["message"] == "ClusterRoleBinding.rbac.authorization.k8s.io \"crb\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"other\"}: cannot change roleRef")
        let role = cluster.post(path, ["metadata": ["name": "to-a-role"], "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"]])
        #expect(role.status == 422)
        #expect(role.json["details"]?["causes"]?.arrayValue?.first?["message"] == "Unsupported value: \"Role\": supported values: \"ClusterRole\"")
    }

    @Test func aPriorityClassIsDefaultedAndKeepsItsValue() throws {
        let cluster = try TestCluster()
        let path = Self.kinds[10].collection
        let created = cluster.post(path, Self.kinds[10].body).json
        #expect(created["preemptionPolicy"] == "PreemptLowerPriority")
        let changed = cluster.request("PATCH", path + "/pc", ["value": 2000], contentType: "application/merge-patch+json")
        #expect(changed.status == 422)
        #expect(changed.json["details"]?["causes"]?.arrayValue?.first?["message"] == "Forbidden: may not be changed in an update.")
        let tooHigh = cluster.post(path, ["metadata": ["name": "high"], "value": 2_000_000_000])
        #expect(tooHigh.status == 422)
        let reserved = cluster.post(path, ["metadata": ["name": "system-mine"], "value": 1])
        #expect(reserved.json["details"]?["causes"]?.arrayValue?.first?["field"] == "metadata.name")
    }

    @Test func aDisruptionBudgetIsMinAvailableOrMaxUnavailable() throws {
        let cluster = try TestCluster()
        let r = cluster.post(Self.kinds[3].collection, ["metadata": ["name": "both"], "spec": ["minAvailable": 1, "maxUnavailable": 1]])
        #expect(r.status == 422)
        #expect(r.json["details"]?["causes"]?.arrayValue?.first?["field"] == "spec")
    }

    @Test func statefulSetsScaleAndGetPodsByOrdinal() throws {
        let cluster = try TestCluster(podStartDelay: 0.05)
        let path = Self.kinds[2].collection
        _ = cluster.post(path, Self.kinds[2].body)
        let scale = cluster.request("PATCH", path + "/web/scale", ["spec": ["replicas": 3]], contentType: "application/merge-patch+json")
        #expect(scale.json["kind"] == "Scale")
        #expect(scale.json["spec"]?["replicas"] == 3)
        #expect(waitUntil { cluster.get(path + "/web").json["status"]?["readyReplicas"] == 3 })
        let pods = cluster.get("/api/v1/namespaces/default/pods").json["items"]?.arrayValue ?? []
        #expect(Set(pods.compactMap { $0["metadata"]?["name"]?.stringValue }) == ["web-0", "web-1", "web-2"])
        let first = pods.first { $0["metadata"]?["name"] == "web-0" }
        #expect(first?["metadata"]?["labels"]?["statefulset.kubernetes.io/pod-name"] == "web-0")
        #expect(first?["spec"]?["hostname"] == "web-0")
        #expect(first?["spec"]?["subdomain"] == "web")
        let status = cluster.get(path + "/web").json["status"]
        #expect(status?["replicas"] == 3)
        #expect(status?["currentRevision"] == status?["updateRevision"])
        #expect(cluster.get(path + "/web/scale").json["status"]?["replicas"] == 3)
        _ = cluster.request("PATCH", path + "/web/scale", ["spec": ["replicas": 1]], contentType: "application/merge-patch+json")
        #expect(waitUntil { cluster.get("/api/v1/namespaces/default/pods").json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["web-0"] },
                "the highest ordinals go first")
    }
}
