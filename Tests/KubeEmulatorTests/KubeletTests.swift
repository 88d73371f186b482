import Foundation
import TestSupport
import JSON
import Testing
@testable import KubeEmulator

@Suite("Fake kubelet", .runsOnOwnThreads)
struct FakeKubeletTests {
    func pods(_ cluster: TestCluster, _ selector: String = "") -> [JSONValue] {
        cluster.get("/api/v1/namespaces/default/pods" + selector).json["items"]?.arrayValue ?? []
    }

    /// Polls (bounded) until `condition` holds.
    func eventually(timeout: Double = 10, _ condition: () -> Bool) -> Bool { waitUntil(timeout: timeout, condition) }

    @Test func replicasBecomePodsThatTurnReadyAfterTheStartDelay() throws {
        // 3 s: the "not ready yet" look below must come before the delay is over, even on a loaded machine.
        let cluster = try TestCluster(podStartDelay: 3)
        let start = Date()
        cluster.createDeployment("web", replicas: 3)
        #expect(eventually { pods(cluster).count == 3 })
        let early = cluster.get(deployments + "/web").json["status"]
        #expect(early?["replicas"] == 3)
        #expect(early?["readyReplicas"] == 0 || early?["readyReplicas"] == nil)
        #expect(eventually { cluster.get(deployments + "/web").json["status"]?["readyReplicas"] == 3 })
        #expect(Date().timeIntervalSince(start) >= 3, "not before the start delay")
        let pod = try #require(pods(cluster).first)
        #expect(pod["status"]?["phase"] == "Running")
        #expect(pod["status"]?["podIP"]?.stringValue?.hasPrefix("127.1.") == true)
        #expect(pod["metadata"]?["ownerReferences"]?.arrayValue?.first?["kind"] == "Deployment")
        #expect(pod["metadata"]?["labels"]?["app"] == "web")
        let status = cluster.get(deployments + "/web").json["status"]
        #expect(status?["updatedReplicas"] == 3)
        #expect(status?["availableReplicas"] == 3)
        #expect(status?["observedGeneration"] == 1)
    }

    @Test func scalingAddsAndRemovesPodsAndDeletedPodsComeBack() throws {
        let cluster = try TestCluster(podStartDelay: 0.1)
        cluster.createDeployment("web", replicas: 2)
        #expect(eventually { cluster.get(deployments + "/web").json["status"]?["readyReplicas"] == 2 })
        _ = cluster.request("PATCH", deployments + "/web/scale", ["spec": ["replicas": 4]], contentType: "application/merge-patch+json")
        #expect(eventually { cluster.get(deployments + "/web").json["status"]?["readyReplicas"] == 4 })
        _ = cluster.request("PATCH", deployments + "/web/scale", ["spec": ["replicas": 1]], contentType: "application/merge-patch+json")
        #expect(eventually { pods(cluster).count == 1 && cluster.get(deployments + "/web").json["status"]?["replicas"] == 1 })
        let name = pods(cluster).first?["metadata"]?["name"]?.stringValue ?? ""
        _ = cluster.request("DELETE", "/api/v1/namespaces/default/pods/\(name)")
        #expect(eventually { pods(cluster).count == 1 && pods(cluster).first?["metadata"]?["name"]?.stringValue != name })
    }

    @Test func aNewTemplateReplacesThePodsAndStatusFollowsTheGeneration() throws {
        let cluster = try TestCluster(podStartDelay: 0.1)
        cluster.createDeployment("web", replicas: 2)
        #expect(eventually { cluster.get(deployments + "/web").json["status"]?["readyReplicas"] == 2 })
        let before = Set(pods(cluster).compactMap { $0["metadata"]?["name"]?.stringValue })
        _ = cluster.request("PATCH", deployments + "/web", ["spec": ["template": ["spec": ["initContainers": [["name": "model-preload", "image": "loader:2"]]]]]],
                            contentType: "application/strategic-merge-patch+json")
        #expect(eventually {
            let now = Set(pods(cluster).compactMap { $0["metadata"]?["name"]?.stringValue })
            return now.count == 2 && now.isDisjoint(with: before) && cluster.get(deployments + "/web").json["status"]?["readyReplicas"] == 2
        })
        #expect(cluster.get(deployments + "/web").json["status"]?["observedGeneration"] == 2)
    }

    @Test func aRollingUpdateKeepsTheReadyMinimumAndStaysWithinTheSurge() throws {
        // replicas 4, the defaults (25 % each): at most 5 pods, never fewer than 3 Ready.
        let cluster = try TestCluster(podStartDelay: 0.3)
        cluster.createDeployment("web", replicas: 4)
        #expect(eventually { cluster.get(deployments + "/web").json["status"]?["readyReplicas"] == 4 })
        let before = Set(pods(cluster).compactMap { $0["metadata"]?["name"]?.stringValue })
        _ = cluster.request("PATCH", deployments + "/web", ["spec": ["template": ["spec": ["initContainers": [["name": "model-preload", "image": "loader:2"]]]]]],
                            contentType: "application/strategic-merge-patch+json")
        var fewestReady = 4, most = 4
        let replaced = eventually(timeout: 20) {
            let all = pods(cluster)
            fewestReady = min(fewestReady, all.filter { $0["status"]?["phase"] == "Running" }.count)
            most = max(most, all.count)
            let names = Set(all.compactMap { $0["metadata"]?["name"]?.stringValue })
            return names.count == 4 && names.isDisjoint(with: before) && all.allSatisfy { $0["status"]?["phase"] == "Running" }
        }
        #expect(replaced)
        #expect(fewestReady >= 3, "maxUnavailable 25% of 4 is 1")
        #expect(most <= 5, "maxSurge 25% of 4 is 1")
        let status = cluster.get(deployments + "/web").json["status"]
        #expect(status?["updatedReplicas"] == 4 && status?["replicas"] == 4 && status?["observedGeneration"] == 2)
    }

    @Test func recreateReplacesEveryPodAtOnce() throws {
        let cluster = try TestCluster(podStartDelay: 0.5)
        _ = cluster.post("/apis/apps/v1/namespaces/default/deployments", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
            "spec": ["replicas": 2, "strategy": ["type": "Recreate"], "selector": ["matchLabels": ["app": "web"]],
                     "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "server", "image": "triton:24.01"]]]]],
        ])
        #expect(eventually { cluster.get(deployments + "/web").json["status"]?["readyReplicas"] == 2 })
        // The new pods start for 5 s: wide enough for the polls below (a curl each) to see them starting.
        cluster.emulator.setPodStartDelay(5)
        _ = cluster.request("PATCH", deployments + "/web", ["spec": ["template": ["spec": ["containers": [["name": "server", "image": "triton:24.02"]]]]]],
                            contentType: "application/strategic-merge-patch+json")
        // Right after the change no pod is Ready: the old ones are gone, the new ones are starting.
        #expect(eventually { pods(cluster).count == 2 && pods(cluster).allSatisfy { $0["status"]?["phase"] != "Running" } })
        #expect(eventually { cluster.get(deployments + "/web").json["status"]?["readyReplicas"] == 2 })
    }

    @Test func daemonSetsGetAPodPerNodeAndTheirStatus() throws {
        let cluster = try TestCluster(podStartDelay: 0.1, nodes: 3)
        _ = cluster.post("/apis/apps/v1/namespaces/default/daemonsets", [
            "metadata": ["name": "prepull"],
            "spec": ["selector": ["matchLabels": ["app": "prepull"]],
                     "template": ["metadata": ["labels": ["app": "prepull"]], "spec": ["containers": [["name": "pause", "image": "pause:3.9"]]]]],
        ])
        #expect(eventually { cluster.get("/apis/apps/v1/namespaces/default/daemonsets/prepull").json["status"]?["numberReady"] == 3 })
        let status = cluster.get("/apis/apps/v1/namespaces/default/daemonsets/prepull").json["status"]
        #expect(status?["desiredNumberScheduled"] == 3)
        #expect(status?["updatedNumberScheduled"] == 3)
        #expect(Set(pods(cluster).compactMap { $0["spec"]?["nodeName"]?.stringValue }) == ["emulator-node-1", "emulator-node-2", "emulator-node-3"])
    }

    @Test func deletingTheOwnerCollectsItsPods() throws {
        let cluster = try TestCluster(podStartDelay: 0.1)
        cluster.createDeployment("web", replicas: 2)
        #expect(eventually { pods(cluster).count == 2 })
        _ = cluster.request("DELETE", deployments + "/web")
        #expect(eventually { pods(cluster).isEmpty })
    }
}
