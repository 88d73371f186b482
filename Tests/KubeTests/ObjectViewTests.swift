import Foundation
import JSON
import KubeEmulator
import TestSupport
import Testing
@testable import Kube

@Suite("Typed views over live objects", .runsOnOwnThreads)
struct ObjectViewTests {
    @Test func podsOfAFakeKubeletDeploymentReadThrough() async throws {
        var configuration = KubeEmulator.Configuration()
        configuration.podStartDelaySeconds = 0.05
        let emulator = try KubeEmulator(configuration)
        defer { emulator.stop() }
        let client = KubeClient(transport: HTTPTransport(TransportConfiguration(server: emulator.url)))
        _ = try await client.create(.deployments, namespace: "default", deployment("web", replicas: 2))
        var pods: [PodView] = []
        for _ in 0..<100 {
            pods = try await client.list(.pods, namespace: "default", labelSelector: "app=web").items.map(PodView.init)
            if pods.count == 2, pods.allSatisfy(\.isReady) { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(pods.count == 2)
        #expect(pods.allSatisfy { $0.isReady && $0.phase == "Running" && ($0.podIP?.hasPrefix("127.1.") ?? false) })
        #expect(pods.first?.meta.owners.first?.kind == "Deployment")
        #expect(pods.first?.meta.labels["app"] == "web")
    }

    @Test func leaseDaemonSetHPAAndEventFields() {
        let lease = LeaseView(["spec": ["holderIdentity": "op-1", "leaseDurationSeconds": 15, "leaseTransitions": 2]])
        #expect(lease.holderIdentity == "op-1")
        #expect(lease.leaseDurationSeconds == 15)
        #expect(lease.leaseTransitions == 2)
        let ds = DaemonSetView(["metadata": ["generation": 3], "status": ["desiredNumberScheduled": 2, "numberReady": 2, "updatedNumberScheduled": 2, "observedGeneration": 3]])
        #expect(ds.isRolledOut)
        #expect(!DaemonSetView(["metadata": ["generation": 4], "status": ["desiredNumberScheduled": 2, "numberReady": 2, "updatedNumberScheduled": 2, "observedGeneration": 3]]).isRolledOut)
        let hpa = HorizontalPodAutoscalerView(["spec": ["scaleTargetRef": ["kind": "Deployment", "name": "web"]]])
        #expect(hpa.targetKind == "Deployment" && hpa.targetName == "web")
        let event = EventView(["reason": "ScaledUp", "message": "2 -> 6", "count": 3, "involvedObject": ["name": "pool"]])
        #expect(event.reason == "ScaledUp" && event.count == 3 && event.involvedObjectName == "pool")
    }
}
