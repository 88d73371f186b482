import Foundation
import JSON
import Testing

/// Server-side apply and `managedFields`, as the API server keeps them (structured-merge-diff):
/// one test per behaviour the operator and its users meet.
@Suite("Server-side apply and field ownership")
struct ServerSideApplyTests {
    static let web = deployments + "/web"

    /// Applies `body` (JSON, which is YAML) to Deployment `web` as `manager`.
    func apply(_ cluster: TestCluster, _ body: JSONValue, manager: String, force: Bool = false) -> Response {
        cluster.request("PATCH", Self.web + "?fieldManager=\(manager)" + (force ? "&force=true" : ""), contentType: "application/apply-patch+yaml",
                        rawBody: body.compactText)
    }

    /// An apply configuration of Deployment `web` with `podSpec` in its template.
    func configuration(_ podSpec: JSONValue, metadata: JSONObject = [:]) -> JSONValue {
        var meta = metadata
        meta["name"] = "web"
        return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": .object(meta), "spec": ["template": ["spec": podSpec]]]
    }

    func entry(_ object: JSONValue, _ manager: String, _ operation: String) -> JSONValue? {
        object["metadata"]?["managedFields"]?.arrayValue?.first { $0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == operation }
    }

    func names(_ list: JSONValue?) -> [String] { list?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [] }

    @Test func keyedListsMergeElementByElementAndNewElementsGoAfterTheLiveOnes() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let r = apply(cluster, configuration(["initContainers": [["name": "warm", "image": "loader:1", "env": [["name": "A", "value": "1"]]]],
                                              "containers": [["name": "server", "env": [["name": "B", "value": "2"]]]]]), manager: "op")
        #expect(r.status == 200, "\(r.text)")
        let podSpec = r.json["spec"]?["template"]?["spec"]
        #expect(names(podSpec?["initContainers"]) == ["warm"])
        // `server` merged by name: its image (the creator's) kept, the env added.
        #expect(podSpec?["containers"]?.arrayValue?.count == 1)
        #expect(podSpec?["containers"]?.arrayValue?.first?["image"] == "triton:24.01")
        #expect(names(podSpec?["containers"]?.arrayValue?.first?["env"]) == ["B"])
        // Ports are keyed by containerPort and protocol (TCP when omitted): 80/UDP is another port than 80/TCP.
        let ports = apply(cluster, configuration(["containers": [["name": "server", "ports": [["containerPort": 80], ["containerPort": 80, "protocol": "UDP"]]]]]),
                          manager: "ports")
        #expect(ports.json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["ports"]?.arrayValue?.count == 2)
        let fields = entry(ports.json, "ports", "Apply")?["fieldsV1"]?["f:spec"]?["f:template"]?["f:spec"]?["f:containers"]?[#"k:{"name":"server"}"#]?["f:ports"]
        #expect(fields?.objectValue?.keys.sorted() == [#"k:{"containerPort":80,"protocol":"TCP"}"#, #"k:{"containerPort":80,"protocol":"UDP"}"#])
    }

    @Test func elementsKeepTheLiveOrderAndNewOnesFollowIt() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        _ = cluster.request("PATCH", Self.web, ["spec": ["template": ["spec": ["initContainers": [["name": "users", "image": "busybox"]]]]]],
                            contentType: "application/merge-patch+json")
        let r = apply(cluster, configuration(["initContainers": [["name": "b", "image": "x"], ["name": "a", "image": "x"]]]), manager: "op")
        #expect(names(r.json["spec"]?["template"]?["spec"]?["initContainers"]) == ["users", "b", "a"])
        // Reordering its own elements is the applier's to do; the others stay where they are.
        let reordered = apply(cluster, configuration(["initContainers": [["name": "a", "image": "x"], ["name": "b", "image": "x"]]]), manager: "op")
        #expect(names(reordered.json["spec"]?["template"]?["spec"]?["initContainers"]) == ["users", "a", "b"])
    }

    @Test func managedFieldsNameEachManagerOperationVersionTimeAndFields() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        let r = apply(cluster, configuration(["initContainers": [["name": "warm", "image": "loader:1"]]],
                                             metadata: ["annotations": ["owned": "warm"]]), manager: "op")
        let applied = try #require(entry(r.json, "op", "Apply"))
        #expect(applied["apiVersion"] == "apps/v1" && applied["fieldsType"] == "FieldsV1" && applied["time"]?.stringValue?.hasSuffix("Z") == true)
        // The same apply again changes nothing: no write, no new resourceVersion, the same time.
        let again = apply(cluster, configuration(["initContainers": [["name": "warm", "image": "loader:1"]]],
                                                 metadata: ["annotations": ["owned": "warm"]]), manager: "op")
        #expect(again.json["metadata"]?["resourceVersion"] == r.json["metadata"]?["resourceVersion"])
        #expect(entry(again.json, "op", "Apply")?["time"] == applied["time"])
        #expect(applied["fieldsV1"] == [
            "f:metadata": ["f:annotations": ["f:owned": [:]]],
            "f:spec": ["f:template": ["f:spec": ["f:initContainers": [#"k:{"name":"warm"}"#: [".": [:], "f:image": [:], "f:name": [:]]]]]],
        ])
        // The creator (no fieldManager: the User-Agent's first word, curl) owns what it created, as an Update.
        let created = try #require(entry(r.json, "curl", "Update"))
        #expect(created["fieldsV1"]?["f:spec"]?["f:replicas"] == [:])
        #expect(created["fieldsV1"]?["f:metadata"]?["f:name"] == nil, "identity is never owned")
        // Apply entries come first, as the API server sorts them.
        #expect(r.json["metadata"]?["managedFields"]?.arrayValue?.first?["operation"] == "Apply")
        // A write through /scale is an Update of that subresource, and takes spec.replicas from the creator.
        let scaled = cluster.request("PATCH", Self.web + "/scale?fieldManager=autoscaler", ["spec": ["replicas": 5]], contentType: "application/merge-patch+json")
        #expect(scaled.status == 200)
        let after = cluster.get(Self.web).json
        let scaler = try #require(entry(after, "autoscaler", "Update"))
        #expect(scaler["subresource"] == "scale" && scaler["fieldsV1"] == ["f:spec": ["f:replicas": [:]]])
        #expect(entry(after, "curl", "Update")?["fieldsV1"]?["f:spec"]?["f:replicas"] == nil)
    }

    @Test func fieldsAManagerNoLongerAppliesAreRemovedUnlessSomeoneElseOwnsThem() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        _ = apply(cluster, configuration(["initContainers": [["name": "warm", "image": "x"], ["name": "shared", "image": "y"]]],
                                         metadata: ["annotations": ["owned": "warm"]]), manager: "op")
        // Another applier co-owns `shared` (same values: no conflict).
        #expect(apply(cluster, configuration(["initContainers": [["name": "shared", "image": "y"]]]), manager: "other").status == 200)
        let r = apply(cluster, ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"]], manager: "op")
        #expect(r.status == 200)
        #expect(names(r.json["spec"]?["template"]?["spec"]?["initContainers"]) == ["shared"])
        #expect(r.json["metadata"]?["annotations"] == nil, "the emptied map goes, as omitempty serializes it")
        #expect(r.json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["name"] == "server", "the creator's fields stay")
        #expect(entry(r.json, "op", "Apply") == nil, "an applier owning nothing has no entry")
    }

    @Test func aConflictIs409NamingTheManagerUnlessForced() throws {
        let cluster = try TestCluster()
        cluster.createDeployment("web")
        _ = cluster.request("PATCH", Self.web + "?fieldManager=kubectl-edit", ["spec": ["template": ["spec": ["containers": [["name": "server", "image": "triton:25"]]]]]],
                            contentType: "application/strategic-merge-patch+json")
        let refused = apply(cluster, configuration(["containers": [["name": "server", "image": "triton:26"]]]), manager: "op")
        #expect(refused.status == 409)
        #expect(refused.json["reason"] == "Conflict")
        #expect(refused.json["message"] == #"Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.template.spec.containers[name="server"].image"#)
        #expect(refused.json["details"]?["causes"]?.arrayValue?.first == ["reason": "FieldManagerConflict", "message": #"conflict with "kubectl-edit" using apps/v1"#,
                                                           "field": #".spec.template.spec.containers[name="server"].image"#])
        #expect(cluster.get(Self.web).json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["image"] == "triton:25", "nothing written")
        // The same value is no conflict (shared ownership); force takes the field.
        #expect(apply(cluster, configuration(["containers": [["name": "server", "image": "triton:25"]]]), manager: "same").status == 200)
        let forced = apply(cluster, configuration(["containers": [["name": "server", "image": "triton:26"]]]), manager: "op", force: true)
        #expect(forced.status == 200)
        #expect(forced.json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["image"] == "triton:26")
        let image = ["f:spec": ["f:template": ["f:spec": ["f:containers": [#"k:{"name":"server"}"#: ["f:image": [:]]]]]]] as JSONValue
        #expect(entry(forced.json, "kubectl-edit", "Update") == nil, "its only field taken")
        #expect(entry(forced.json, "same", "Apply")?["fieldsV1"]?["f:spec"]?["f:template"]?["f:spec"]?["f:containers"]?[#"k:{"name":"server"}"#]?["f:image"] == nil)
        #expect(entry(forced.json, "op", "Apply")?["fieldsV1"]?["f:spec"]?["f:template"]?["f:spec"]?["f:containers"]?[#"k:{"name":"server"}"#]?["f:image"]
                == image["f:spec"]?["f:template"]?["f:spec"]?["f:containers"]?[#"k:{"name":"server"}"#]?["f:image"])
    }

    @Test func aStaleResourceVersionInTheAppliedObjectIs409() throws {
        let cluster = try TestCluster()
        let rv = cluster.createDeployment("web")["metadata"]?["resourceVersion"]?.stringValue ?? ""
        _ = cluster.request("PATCH", Self.web, ["metadata": ["labels": ["team": "search"]]], contentType: "application/merge-patch+json")
        let stale = apply(cluster, configuration(["initContainers": [["name": "warm", "image": "x"]]], metadata: ["resourceVersion": .string(rv)]), manager: "op")
        #expect(stale.status == 409)
        let current = cluster.get(Self.web).json["metadata"]?["resourceVersion"] ?? .null
        let fresh = apply(cluster, configuration(["initContainers": [["name": "warm", "image": "x"]]], metadata: ["resourceVersion": current]), manager: "op")
        #expect(fresh.status == 200)
        #expect(fresh.json["metadata"]?["labels"]?["team"] == "search")
        // An apply is an upsert, but not with a resourceVersion: a workload deleted meanwhile is not recreated.
        _ = cluster.request("DELETE", Self.web)
        let gone = apply(cluster, configuration(["initContainers": [["name": "warm", "image": "x"]]], metadata: ["resourceVersion": current]), manager: "op")
        #expect((400..<500).contains(gone.status), "\(gone.text)")
        #expect(cluster.get(Self.web).status == 404)
    }
}

/// What kubectl 1.37 shows and says of field ownership against the emulator: a GitOps tool's apply
/// (its own field manager) beside the operator's (eip-operator: apply of init containers, /scale).
@Suite("Field ownership through kubectl", .runsOnOwnThreads, .enabled(if: FileManager.default.isExecutableFile(atPath: kubectlPath),
                                                                    "kubectl not installed (scripts/install-kubectl.sh)"))
struct FieldOwnershipKubectlTests {
    static func manifest(replicas: Int?) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: default}
        spec:
        \(replicas.map { "  replicas: \($0)\n" } ?? "")  selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - {name: server, image: "triton:24.01"}
        """
    }

    @Test func aGitOpsApplyAndTheOperatorsWritesOwnTheirOwnFields() throws {
        let s = try KubectlSession()
        #expect(s.kubectl("apply", "--server-side", "--field-manager=gitops", "-f", "-", stdin: Self.manifest(replicas: 2)).status == 0)
        // The operator: its init container by apply, the replicas through /scale.
        let applied = s.cluster.request("PATCH", deployments + "/web?fieldManager=eip-operator&force=true", contentType: "application/apply-patch+yaml",
                                        rawBody: #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{"initContainers":[{"name":"warm","image":"loader:1"}]}}}}"#)
        #expect(applied.status == 200)
        #expect(s.cluster.request("PATCH", deployments + "/web/scale?fieldManager=eip-operator", ["spec": ["replicas": 5]],
                                  contentType: "application/merge-patch+json").status == 200)

        // kubectl hides managedFields unless asked, and reads them when asked.
        #expect(!s.kubectl("get", "deploy", "web", "-o", "yaml").stdout.contains("managedFields"))
        let shown = s.kubectl("get", "deploy", "web", "-o", "yaml", "--show-managed-fields").stdout
        #expect(shown.contains("manager: gitops") && shown.contains("manager: eip-operator") && shown.contains("subresource: scale"), "\(shown)")
        let managers = s.kubectl("get", "deploy", "web", "-o", #"jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation}/{.subresource};{end}"#).stdout
        // The server sorts entries by operation, then by the second they were written, then by manager:
        // the two applies may fall in one second or two, so their order is not asserted.
        let entries = managers.split(separator: ";").map(String.init)
        #expect(Set(entries.prefix(2)) == ["eip-operator/Apply/", "gitops/Apply/"] && entries.dropFirst(2) == ["eip-operator/Update/scale"], "\(managers)")

        // Git still saying replicas: 2 is a conflict with the operator's scale, worded as kubectl words it.
        let fight = s.kubectl("apply", "--server-side", "--field-manager=gitops", "-f", "-", stdin: Self.manifest(replicas: 2))
        #expect(fight.status != 0)
        #expect(fight.stderr.contains(#"Apply failed with 1 conflict: conflict with "eip-operator" with subresource "scale" using apps/v1: .spec.replicas"#), "\(fight.stderr)")
        #expect(fight.stderr.contains("--force-conflicts"))
        // Without replicas in Git: applied cleanly, the operator's replicas and init container stay.
        let clean = s.kubectl("apply", "--server-side", "--field-manager=gitops", "-f", "-", stdin: Self.manifest(replicas: nil))
        #expect(clean.stdout == "deployment.apps/web serverside-applied\n", "\(clean.stderr)")
        #expect(s.kubectl("get", "deploy", "web", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.initContainers[*].name}").stdout == "5 warm")
        // --force-conflicts takes replicas back (what Flux's forced apply does with replicas left in Git).
        #expect(s.kubectl("apply", "--server-side", "--field-manager=gitops", "--force-conflicts", "-f", "-", stdin: Self.manifest(replicas: 2)).status == 0)
        #expect(s.kubectl("get", "deploy", "web", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.initContainers[*].name}").stdout == "2 warm")
    }

    @Test func kubectlMovesAClientSideAppliedObjectToServerSideApplyWithoutConflicts() throws {
        let s = try KubectlSession()
        #expect(s.kubectl("apply", "-f", "-", stdin: Self.manifest(replicas: 2)).status == 0)
        let before = s.kubectl("get", "deploy", "web", "-o", #"jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation};{end}"#).stdout
        #expect(before == "kubectl-client-side-apply/Update;")
        // replicas changes and is owned by kubectl-client-side-apply, but it is in the last-applied
        // configuration: the API server lets kubectl (its own manager) take it without --force-conflicts.
        let upgraded = s.kubectl("apply", "--server-side", "-f", "-", stdin: Self.manifest(replicas: 3))
        #expect(upgraded.stdout == "deployment.apps/web serverside-applied\n", "\(upgraded.stderr)")
        #expect(s.kubectl("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}").stdout == "3")
        let after = s.kubectl("get", "deploy", "web", "-o", #"jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation};{end}"#).stdout
        #expect(after.hasPrefix("kubectl/Apply;"), "\(after)")
        // Another manager gets no such pass.
        let other = s.kubectl("apply", "--server-side", "--field-manager=gitops", "-f", "-", stdin: Self.manifest(replicas: 4))
        #expect(other.status != 0 && other.stderr.contains(#"conflict with "kubectl": .spec.replicas"#), "\(other.stderr)")
    }
}
