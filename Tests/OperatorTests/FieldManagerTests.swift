import Autoscaling
import JSON
import Kube
import Testing
@testable import Operator

/// The operator's writes under its own field manager, end to end on the emulator: what
/// `managedFields` shows is what GitOps tools are told to leave alone.
@Suite("The operator's field manager", .serialized)
struct FieldManagerTests {
    /// `request` sent as `manager` (another client than the operator).
    func send(_ f: ControllerFixture, _ request: KubeRequest, as manager: String) async throws {
        var request = request
        request.query.append(KubeRequest.QueryItem("fieldManager", manager))
        _ = try await f.client.send(request)
    }

    func entry(_ object: JSONValue?, _ manager: String, _ operation: String, subresource: String? = nil) -> JSONValue? {
        object?["metadata"]?["managedFields"]?.arrayValue?.first {
            $0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == operation && $0["subresource"]?.stringValue == subresource
        }
    }

    func podSpec(_ object: JSONValue?) -> JSONValue? { object?["spec"]?["template"]?["spec"] }

    @Test func theWarmupIsAnApplyOwningExactlyItsInitContainersAndAnnotationAndTheFinalizerGivesThemBack() async throws {
        let f = try await ControllerFixture()
        // The user's Deployment, as `kubectl apply` (client-side) creates it, at one replica.
        try await send(f, .create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"],
            "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "model"]],
                     "template": ["metadata": ["labels": ["app": "model"]], "spec": ["containers": [["name": "server", "image": "triton:24.01"]]]]],
        ]), as: "kubectl-client-side-apply")
        try await f.createPool("pool", target: "model", initContainers: [preloader])
        #expect(await f.eventually { await f.initContainers().count == 1 })
        #expect(await f.eventually { await f.replicas("model") == 2 })

        let deployment = await f.deployment()
        let applied = entry(deployment, Defaults.fieldManager, "Apply")
        #expect(applied?["fieldsV1"] == [
            "f:metadata": ["f:annotations": ["f:aiops.example.com/owned-init-containers": [:]]],
            "f:spec": ["f:template": ["f:spec": ["f:initContainers": [#"k:{"name":"model-preload"}"#: [".": [:], "f:image": [:], "f:name": [:]]]]]],
        ], "exactly its init container and its annotation")
        // spec.replicas: an Update through /scale, as the HPA's; taken from the user's manager.
        #expect(entry(deployment, Defaults.fieldManager, "Update", subresource: "scale")?["fieldsV1"] == ["f:spec": ["f:replicas": [:]]])
        #expect(entry(deployment, "kubectl-client-side-apply", "Update")?["fieldsV1"]?["f:spec"]?["f:replicas"] == nil)
        // The pool's status is the operator's too.
        #expect(await f.eventually { entry(await f.pool("pool"), Defaults.fieldManager, "Update", subresource: "status")?["fieldsV1"]?["f:status"] != nil })

        // The user edits their own container; the pool's init container changes: both stand.
        try await send(f, .patch(.deployments, namespace: "default", name: "model",
                                 .strategicMerge(["spec": ["template": ["spec": ["containers": [["name": "server", "image": "triton:24.02"]]]]]])), as: "kubectl-edit")
        try await f.setWarmup(["initContainers": [["name": "model-preload", "image": "loader:9"]]])
        #expect(await f.eventually { await f.initContainers().first?["image"] == "loader:9" })
        #expect(podSpec(await f.deployment())?["containers"]?.arrayValue?.first?["image"] == "triton:24.02")

        // Deleting the pool: the finalizer's apply names nothing, so its fields go and the user's stay.
        try await f.client.delete(.elasticInferencePools, namespace: "default", name: "pool")
        #expect(await f.eventually { await f.pool("pool") == nil })
        let after = await f.deployment()
        #expect(podSpec(after)?["initContainers"] == nil)
        #expect(after?["metadata"]?["annotations"]?[Defaults.ownedInitContainersAnnotation] == nil)
        #expect(podSpec(after)?["containers"]?.arrayValue?.first?["image"] == "triton:24.02")
        #expect(entry(after, Defaults.fieldManager, "Apply") == nil, "it owns nothing in the template any more")
        #expect(entry(after, "kubectl-edit", "Update") != nil && entry(after, "kubectl-client-side-apply", "Update") != nil)
    }
}
