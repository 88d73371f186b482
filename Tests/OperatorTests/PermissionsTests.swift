import Autoscaling
import Foundation
import JSON
import KubeEmulator
import TestSupport
import Testing
import YAML
@testable import Operator

/// The rules of the operator's ClusterRole and Role in `Manifests/operator.yaml`.
struct RBACRules {
    let rules: [(groups: [String], resources: [String], verbs: [String])]

    init() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/Manifests/operator.yaml", encoding: .utf8)
        rules = try YAMLReader.jsonValues(in: text)
            .filter { ["ClusterRole", "Role"].contains($0["kind"]?.stringValue ?? "") }
            .flatMap { $0["rules"]?.arrayValue ?? [] }
            .map { rule in
                func strings(_ key: String) -> [String] { (rule[key]?.arrayValue ?? []).compactMap(\.stringValue) }
                return (strings("apiGroups"), strings("resources"), strings("verbs"))
            }
    }

    /// `(group, resource[/subresource])` of an API path.
    static func resource(of path: String) -> (group: String, resource: String)? {
        var parts = path.split(separator: "/").map(String.init)
        let group: String
        if parts.first == "api" { group = ""; parts.removeFirst(2) } else if parts.first == "apis", parts.count > 2 { group = parts[1]; parts.removeFirst(3) } else { return nil }
        if parts.first == "namespaces", parts.count > 2 { parts.removeFirst(2) }
        guard let resource = parts.first else { return nil }
        return (group, parts.count >= 3 ? "\(resource)/\(parts[2])" : resource)
    }

    /// Discovery (`/api`, `/apis`, `/api/v1`, `/apis/GROUP/VERSION`): granted to every authenticated
    /// user by the default `system:discovery` ClusterRole, so no rule of ours is needed.
    static func isDiscovery(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        return (parts.first == "api" && parts.count <= 2) || (parts.first == "apis" && parts.count <= 3)
    }

    func allows(verb: String, path: String) -> Bool {
        if verb == "get", Self.isDiscovery(path) { return true }
        guard let (group, resource) = Self.resource(of: path) else { return false }
        return rules.contains { $0.groups.contains(group) && $0.resources.contains(resource) && $0.verbs.contains(verb) }
    }
}

@Suite("The operator's RBAC", .serialized)
struct PermissionsTests {
    @Test func pathsMapToTheirResources() {
        #expect(RBACRules.resource(of: "/apis/apps/v1/namespaces/d/deployments/m/scale")! == ("apps", "deployments/scale"))
        #expect(RBACRules.resource(of: "/api/v1/namespaces/d/events")! == ("", "events"))
        #expect(RBACRules.resource(of: "/api/v1/pods")! == ("", "pods"))
        #expect(RBACRules.isDiscovery("/apis/leaderworkerset.x-k8s.io/v1") && !RBACRules.isDiscovery("/apis/apps/v1/statefulsets"))
    }

    /// The life of pools on a StatefulSet and on a LeaderWorkerSet (kind found by discovery,
    /// replicas through `/scale`, warmup in their templates, cleanup): every request is granted.
    @Test func everyRequestOfStatefulSetAndLeaderWorkerSetPoolsIsGranted() async throws {
        let rules = try RBACRules()
        let f = try await ControllerFixture()
        try await f.installLeaderWorkerSetCRD()
        try await f.createStatefulSet("sts", replicas: 1)
        try await f.createLeaderWorkerSet("lws", replicas: 1, size: 2)
        try await f.createPool("a", kind: .statefulSet, target: "sts", initContainers: [preloader], min: 2)
        try await f.createPool("b", kind: .leaderWorkerSet, target: "lws", initContainers: [preloader], min: 2)
        #expect(await f.eventually {
            let sts = await f.object(.statefulSets, "sts")?["spec"]?["replicas"], lws = await f.object(leaderWorkerSetsResource, "lws")?["spec"]?["replicas"]
            return sts == 2 && lws == 2
        })
        #expect(await f.eventually {
            let a = await f.condition("a", "WarmupReady")?["status"], b = await f.condition("b", "WarmupReady")?["status"]
            return a == "True" && b == "True"
        })
        try await f.client.delete(.elasticInferencePools, namespace: "default", name: "a")
        try await f.client.delete(.elasticInferencePools, namespace: "default", name: "b")
        #expect(await f.eventually {
            let a = await f.pool("a"), b = await f.pool("b")
            return a == nil && b == nil
        })
        let requests = f.operatorRequests
        #expect(requests.contains { $0.path.hasSuffix("/statefulsets/sts/scale") && $0.verb == "patch" })
        #expect(requests.contains { $0.path.hasSuffix("/leaderworkersets/lws/scale") && $0.verb == "get" })
        for request in requests {
            #expect(rules.allows(verb: request.verb, path: request.path), "\(request.verb) \(request.path) is not granted by Manifests/operator.yaml")
        }
    }

    /// A pool's whole life (scale up, init containers, pre-pull DaemonSet created, replaced and
    /// deleted, the pool deleted through its finalizer): every request the controller made is one
    /// the ClusterRole grants. The emulator has no RBAC; this is where a missing verb shows.
    @Test func everyRequestOfAPoolsLifeIsGranted() async throws {
        let rules = try RBACRules()
        let f = try await ControllerFixture()
        try await f.createGPUDeployment()
        try await f.createPool("pool", target: "model", initContainers: [preloader])
        try await f.setWarmup(["initContainers": [preloader], "preloadedImages": ["a:1"]])
        #expect(await f.eventually { await f.daemonSet() != nil })
        f.metrics.set([.p90: 0.5, .gpuUtil: 0.5])
        #expect(await f.eventually { (await f.replicas("model") ?? 0) > 2 })
        try await f.setWarmup(["initContainers": [preloader], "preloadedImages": ["a:2"]])
        #expect(await f.eventually { await f.daemonSet()?["spec"]?["template"]?["spec"]?["initContainers"]?.arrayValue?.first?["image"] == "a:2" })
        try await f.setWarmup(["initContainers": [preloader], "preloadedImages": []])
        #expect(await f.eventually { await f.daemonSet() == nil })
        try await f.client.delete(.elasticInferencePools, namespace: "default", name: "pool")
        #expect(await f.eventually { await f.pool("pool") == nil })

        let requests = f.operatorRequests
        let verbs = Set(requests.map(\.verb))
        #expect(verbs.isSuperset(of: ["list", "watch", "patch", "create", "update", "delete"]), "the life covered every kind of write: \(verbs)")
        for request in requests {
            let granted = rules.allows(verb: request.verb, path: request.path)
            #expect(granted, "\(request.verb) \(request.path) is not granted by Manifests/operator.yaml")
        }
    }
}
