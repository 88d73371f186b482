import JSON
import Testing
@testable import Kube

/// A pod named `name` with `labels`, Ready or not.
func pod(_ name: String, _ labels: [String: String], ready: Bool = true) -> JSONValue {
    ["apiVersion": "v1", "kind": "Pod",
     "metadata": ["name": .string(name), "labels": .object(JSONObject(labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))],
     "status": ["conditions": [["type": "Ready", "status": ready ? "True" : "False"]]]]
}

@Suite("Workloads of any kind, as the plan reads them")
struct WorkloadViewTests {
    @Test(arguments: [
        ("app=llm", ["app": "llm"], true), ("app==llm", ["app": "llm"], true), ("app=llm", ["app": "db"], false),
        ("app!=db", ["app": "llm"], true), ("app!=db", [:], true), ("app!=db", ["app": "db"], false),
        ("tier in (gpu, cpu)", ["tier": "gpu"], true), ("tier in (gpu,cpu)", ["tier": "tpu"], false), ("tier notin (gpu)", ["tier": "cpu"], true),
        ("canary", ["canary": ""], true), ("!canary", ["canary": "1"], false), ("!canary", [:], true),
        ("leaderworkerset.sigs.k8s.io/name=llama,leaderworkerset.sigs.k8s.io/worker-index=0",
         ["leaderworkerset.sigs.k8s.io/name": "llama", "leaderworkerset.sigs.k8s.io/worker-index": "0"], true),
        ("leaderworkerset.sigs.k8s.io/name=llama,leaderworkerset.sigs.k8s.io/worker-index=0",
         ["leaderworkerset.sigs.k8s.io/name": "llama", "leaderworkerset.sigs.k8s.io/worker-index": "1"], false),
    ] as [(String, [String: String], Bool)])
    func selectorsAsText(selector: String, labels: [String: String], matches: Bool) throws {
        let parsed = try #require(LabelSelector(selector: selector))
        #expect(parsed.matches(pod("p", labels)) == matches, "\(selector) on \(labels)")
    }

    @Test func anEmptyOrBrokenSelectorSelectsNothing() {
        #expect(LabelSelector(selector: "") == nil)
        #expect(LabelSelector(selector: "tier in gpu") == nil)
        #expect(LabelSelector(selector: "a=b,,") == nil)
    }

    @Test func aLeaderWorkerSetGroupIsReadyWhenItsLeaderAndWorkersAre() {
        let label = "leaderworkerset.sigs.k8s.io/"
        func member(_ group: Int, _ worker: Int, ready: Bool = true) -> JSONValue {
            pod("llama-\(group)-\(worker)", [label + "name": "llama", label + "group-index": String(group), label + "worker-index": String(worker)], ready: ready)
        }
        let pods = [member(0, 0), member(0, 1), member(0, 2),                 // ready
                    member(1, 0), member(1, 1), member(1, 2, ready: false),   // a worker starting
                    member(2, 0, ready: false), member(2, 1), member(2, 2),   // the leader starting
                    member(3, 0), member(3, 1)]                               // a worker missing
        let scale: JSONValue = ["metadata": ["name": "llama", "namespace": "serving", "resourceVersion": "7"], "spec": ["replicas": 4],
                                "status": ["selector": .string("\(label)name=llama,\(label)worker-index=0")]]
        let object: JSONObject = ["metadata": ["name": "llama", "namespace": "serving"], "spec": ["leaderWorkerTemplate": ["size": 3]]]
        let view = WorkloadView(kind: .leaderWorkerSet, resource: .leaderWorkerSets, object: object, scale: scale, pods: pods)
        #expect(view.replicas == 4)
        #expect(view.readyReplicas == 1)
        #expect(view.reference == "LeaderWorkerSet/llama")
        #expect(view.podTemplates.isEmpty, "the object has no templates")
    }

    @Test func aKindReadThroughItsScaleAloneCountsItsReadyPods() {
        let scale: JSONValue = ["metadata": ["name": "resnet", "namespace": "vision", "resourceVersion": "3"], "spec": ["replicas": 3],
                                "status": ["selector": "app=resnet"]]
        let view = WorkloadView(kind: WorkloadKind(apiVersion: "inference.example.com/v1", kind: "ModelServer"),
                                resource: ResourceRef(group: "inference.example.com", version: "v1", plural: "modelservers"), object: nil, scale: scale,
                                pods: [pod("a", ["app": "resnet"]), pod("b", ["app": "resnet"], ready: false), pod("c", ["app": "other"])])
        #expect((view.replicas, view.readyReplicas) == (3, 1))
        #expect(view.key.description == "vision/resnet")
        #expect(view.resourceVersion == "3")
        #expect(!view.kind.supportsWarmup)
    }

    @Test func kindsKnowTheirResourcesAndTemplatesOrGuessAsKubectlDoes() {
        #expect(WorkloadKind.statefulSet.knownResource == .statefulSets)
        #expect(WorkloadKind.leaderWorkerSet.podTemplatePaths.count == 2)
        #expect(WorkloadKind(apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService").guessedResource.plural == "inferenceservices")
        #expect(WorkloadKind(apiVersion: "x.io/v1", kind: "Policy").guessedResource.plural == "policies")
        #expect(WorkloadKind(apiVersion: "x.io/v1", kind: "Gateway").guessedResource.plural == "gateways")
        #expect(WorkloadKind(apiVersion: "x.io/v1", kind: "Ingress").guessedResource == ResourceRef(group: "x.io", version: "v1", plural: "ingresses"))
    }

    @Test func discoveryFindsAKindAndItsScale() {
        let entries: [JSONValue] = [
            ["name": "leaderworkersets", "kind": "LeaderWorkerSet", "namespaced": true],
            ["name": "leaderworkersets/status", "kind": "LeaderWorkerSet", "namespaced": true],
            ["name": "leaderworkersets/scale", "kind": "Scale", "namespaced": true],
        ]
        let resources = entries.compactMap(APIResource.init)
        let found = ScalableResource.find(.leaderWorkerSet, in: resources)
        #expect(found == ScalableResource(resource: .leaderWorkerSets, hasScale: true))
        #expect(ScalableResource.find(.statefulSet, in: resources) == nil)
    }
}
