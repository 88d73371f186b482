import Foundation
import JSON
import KubeEmulator
import Testing
import TestSupport

/// `make deploy` and `make undeploy` against kube-emulator with kubectl 1.37: the kustomize install
/// with an image, and the removal in its order (pools while the operator runs, then the operator,
/// then the CRD), with the real `eip-operator` running out of cluster to run the pools' finalizers.
@Suite("Install and remove on the emulator", .runsOnOwnThreads, .enabled(if: Tools.hasKubectl, "kubectl is not installed (scripts/install-kubectl.sh)"))
struct InstallOnEmulatorTests {
    /// An emulator with its fake kubelet, and a kubeconfig for kubectl and the operator.
    final class Cluster: @unchecked Sendable {
        let emulator: KubeEmulator
        let kubeconfig = NSTemporaryDirectory() + "eip-install-\(UUID().uuidString).kubeconfig"

        init() throws {
            var configuration = KubeEmulator.Configuration()
            configuration.podStartDelaySeconds = 0.05
            emulator = try KubeEmulator(configuration)
            try emulator.kubeconfig(certificateAuthorityFile: nil, token: nil).write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        }

        deinit {
            emulator.stop()
            try? FileManager.default.removeItem(atPath: kubeconfig)
        }

        @discardableResult
        func kubectl(_ arguments: String..., stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
            run(Tools.kubectl, ["--kubeconfig", kubeconfig] + arguments, stdin: stdin)
        }

        func namespace(_ name: String) {
            kubectl("apply", "-f", "-", stdin: "apiVersion: v1\nkind: Namespace\nmetadata: {name: \(name)}\n")
        }

        /// scripts/undeploy.sh with kubectl pointed at this cluster.
        func undeploy(timeout: String) -> (status: Int32, stdout: String, stderr: String) {
            Tools.shell("bash scripts/undeploy.sh", environment: ["KUBECTL": Tools.kubectl, "KUBECONFIG": kubeconfig, "TIMEOUT": timeout])
        }

        /// Polls `condition` (kubectl calls) every 50 ms for at most `seconds`.
        func eventually(_ seconds: Double = 20, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return condition()
        }
    }

    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: triton, namespace: team}
        spec:
          selector: {matchLabels: {app: triton}}
          template:
            metadata: {labels: {app: triton}}
            spec: {containers: [{name: triton, image: "triton:24.01"}]}
        """

    static let pool = """
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata: {name: triton, namespace: team}
        spec:
          modelRef: triton
          minReplicas: 1
          maxReplicas: 4
          scaleUpThreshold: "P90 > 200ms"
          scaleDownThreshold: "P90 < 50ms"
          warmupStrategy:
            initContainers: [{name: model-preload, image: registry.example.com/loader:v1}]
        """

    @Test func deployWithAnImageThenUndeployInOrder() throws {
        let cluster = try Cluster()
        let overlay = ".build/kustomize/test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: repositoryRoot + "/" + overlay) }
        // make deploy IMG=…: kubectl apply -k of the overlay that sets the image.
        let applied = Tools.shell("\(Tools.kubectl) --kubeconfig \(cluster.kubeconfig) apply -k \"$(bash scripts/kustomize-image.sh registry.example.com/eip-operator:v1.2.3 \(overlay))\"")
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout.split(separator: "\n").count == 15, "\(applied.stdout)")
        #expect(cluster.kubectl("get", "deploy", "eip-operator", "-n", "eip-system", "-o", "jsonpath={.spec.template.spec.containers[0].image}").stdout
                == "registry.example.com/eip-operator:v1.2.3")

        // The operator, out of cluster (no image runs here), reconciles a pool with warmup.
        let operatorProcess = Process()
        operatorProcess.executableURL = URL(fileURLWithPath: Tools.binary("eip-operator"))
        operatorProcess.arguments = ["--kubeconfig", cluster.kubeconfig, "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
                                     "--static-metrics", "P90=100ms"]
        operatorProcess.standardError = FileHandle.nullDevice
        try operatorProcess.run()
        defer { if operatorProcess.isRunning { operatorProcess.terminate(); operatorProcess.waitUntilExit() } }
        cluster.namespace("team")
        // (kubectl's typed `create` subcommands send protobuf, which the emulator refuses: docs/kube-emulator.md.)
        cluster.kubectl("apply", "-f", "-", stdin: Self.deployment)
        #expect(cluster.kubectl("apply", "-f", "-", stdin: Self.pool).status == 0)
        let initContainers = { cluster.kubectl("get", "deploy", "triton", "-n", "team", "-o", "jsonpath={.spec.template.spec.initContainers[*].name}").stdout }
        #expect(cluster.eventually { initContainers() == "model-preload" }, "the operator injected the warmup")

        // make undeploy: the pool goes first, its finalizer takes the init container out.
        let removed = cluster.undeploy(timeout: "30s")
        #expect(removed.status == 0, "\(removed.stdout)\(removed.stderr)")
        let steps = removed.stdout.split(separator: "\n").filter { $0.hasPrefix("undeploy: ") }
        #expect(steps == ["undeploy: deleting every ElasticInferencePool (the operator runs their finalizers)",
                          "undeploy: deleting the operator", "undeploy: deleting the CRD"])
        #expect(initContainers() == "", "the warmup is undone")
        #expect(cluster.kubectl("get", "crd", "elasticinferencepools.aiops.example.com").status != 0)
        #expect(cluster.kubectl("get", "clusterrole", "eip-operator").status != 0)
        #expect(cluster.kubectl("get", "priorityclass", "eip-operator").status != 0)
        #expect(cluster.kubectl("get", "deploy", "triton", "-n", "team").status == 0, "the user's Deployment stays")
    }

    @Test func undeployWithTheOperatorGoneStopsWithTheEscape() throws {
        let cluster = try Cluster()
        #expect(cluster.kubectl("apply", "-k", repositoryRoot + "/config/crd").status == 0)
        cluster.namespace("team")
        // A pool as the operator leaves it: finalizer on, and no operator to run it.
        let held = Self.pool.replacingOccurrences(of: "metadata: {name: triton, namespace: team}",
                                                  with: "metadata: {name: triton, namespace: team, finalizers: [aiops.example.com/warmup-cleanup]}")
        #expect(cluster.kubectl("apply", "-f", "-", stdin: held).status == 0)
        let stuck = cluster.undeploy(timeout: "2s")
        #expect(stuck.status == 1)
        #expect(stuck.stderr.contains("is the operator running"), "\(stuck.stderr)")
        #expect(cluster.kubectl("get", "crd", "elasticinferencepools.aiops.example.com").status == 0, "nothing else was removed")
        // The escape it prints, then undeploy finishes.
        #expect(stuck.stderr.contains("patch elasticinferencepool NAME -n NAMESPACE --type=merge -p '{\"metadata\":{\"finalizers\":null}}'"))
        #expect(cluster.kubectl("patch", "elasticinferencepool", "triton", "-n", "team", "--type=merge", "-p", "{\"metadata\":{\"finalizers\":null}}").status == 0)
        #expect(cluster.undeploy(timeout: "10s").status == 0)
        #expect(cluster.kubectl("get", "crd", "elasticinferencepools.aiops.example.com").status != 0)
    }
}
