import Foundation
import JSON
import TestSupport
import Testing
@testable import KubeEmulator

/// The project's install manifests, and a kustomize layout with the kinds later issues add, applied
/// with kubectl 1.37 as on a cluster (no authorization is enforced: docs/kube-emulator.md).
@Suite("Install manifests with kubectl", .runsOnOwnThreads, .enabled(if: FileManager.default.isExecutableFile(atPath: kubectlPath),
                                                  "kubectl not installed (scripts/install-kubectl.sh)"))
struct InstallManifestTests {
    static let operatorManifest = repositoryRoot + "/Manifests/operator.yaml"

    /// What `kubectl apply` printed, one verdict per object: `kind.group/name verdict`.
    func verdicts(_ output: String) -> [String] { output.split(separator: "\n").map(String.init) }

    @Test func theOperatorManifestAppliesAndReappliesUnchanged() throws {
        let s = try KubectlSession()
        #expect(s.kubectl("apply", "-f", repositoryRoot + "/CRDs/").status == 0)
        let first = s.kubectl("apply", "-f", Self.operatorManifest)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(verdicts(first.stdout) == [
            "namespace/eip-system created", "serviceaccount/eip-operator created",
            "role.rbac.authorization.k8s.io/eip-operator-leader-election created", "clusterrole.rbac.authorization.k8s.io/eip-operator created",
            "clusterrole.rbac.authorization.k8s.io/eip-operator-elasticinferencepool-editor created",
            "clusterrole.rbac.authorization.k8s.io/eip-operator-elasticinferencepool-viewer created",
            "rolebinding.rbac.authorization.k8s.io/eip-operator-leader-election created", "clusterrolebinding.rbac.authorization.k8s.io/eip-operator created",
            "service/eip-operator-metrics created", "service/eip-operator-webhook-service created", "priorityclass.scheduling.k8s.io/eip-operator created",
            "deployment.apps/eip-operator created", "poddisruptionbudget.policy/eip-operator created",
            "validatingwebhookconfiguration.admissionregistration.k8s.io/eip-operator-validating-webhook-configuration created",
        ])
        #expect(first.stderr.isEmpty, "no warnings (version skew, validation): \(first.stderr)")
        // Unchanged, but for the PodDisruptionBudget: kubectl's three-way patch of its selector
        // (patchStrategy replace) is never empty, as on a cluster; the server changes nothing.
        let revision = s.cluster.emulator.resourceVersion
        let again = s.kubectl("apply", "-f", Self.operatorManifest)
        #expect(verdicts(again.stdout).filter { !$0.hasSuffix(" unchanged") } == ["poddisruptionbudget.policy/eip-operator configured"], "\(again.stdout)")
        #expect(s.cluster.emulator.resourceVersion == revision, "no object changed")
        let diff = s.kubectl("diff", "-f", Self.operatorManifest)
        #expect(diff.status == 0, "\(diff.stdout)\(diff.stderr)")
        let binding = s.kubectl("get", "clusterrolebinding", "eip-operator", "-o", "wide").stdout
        #expect(binding.hasPrefix("NAME           ROLE                       AGE   USERS   GROUPS   SERVICEACCOUNTS\n"), "\(binding)")
        #expect(binding.contains("ClusterRole/eip-operator"))
        #expect(binding.contains("eip-system/eip-operator"), "SubjectsStrings prints namespace/name")
    }

    @Test func aKustomizeLayoutWithTheKindsLaterIssuesAdd() throws {
        let s = try KubectlSession()
        let dir = NSTemporaryDirectory() + "kustomize-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: Self.operatorManifest, toPath: dir + "/operator.yaml")
        try """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        namespace: eip-system
        resources:
        - operator.yaml
        - extras.yaml
        """.write(toFile: dir + "/kustomization.yaml", atomically: true, encoding: .utf8)
        try """
        apiVersion: v1
        kind: Secret
        metadata: {name: eip-webhook-tls}
        type: kubernetes.io/tls
        stringData: {tls.crt: cert, tls.key: key}
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingWebhookConfiguration
        metadata: {name: eip-operator}
        webhooks:
        - name: validate.aiops.example.com
          sideEffects: None
          admissionReviewVersions: [v1]
          clientConfig: {service: {name: eip-webhook, namespace: eip-system, path: /validate}}
          rules:
          - {apiGroups: [aiops.example.com], apiVersions: [v1alpha2], operations: [CREATE, UPDATE], resources: [elasticinferencepools]}
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: eip-shard}
        spec:
          serviceName: eip-shard
          replicas: 1
          selector: {matchLabels: {app: eip-shard}}
          template:
            metadata: {labels: {app: eip-shard}}
            spec: {containers: [{name: shard, image: eip-operator:0.1.0}]}
        """.write(toFile: dir + "/extras.yaml", atomically: true, encoding: .utf8)

        let applied = s.kubectl("apply", "-k", dir)
        #expect(applied.status == 0, "\(applied.stderr)")
        for line in ["poddisruptionbudget.policy/eip-operator created", "priorityclass.scheduling.k8s.io/eip-operator created", "secret/eip-webhook-tls created", "statefulset.apps/eip-shard created",
                     "validatingwebhookconfiguration.admissionregistration.k8s.io/eip-operator created", "deployment.apps/eip-operator created"] {
            #expect(verdicts(applied.stdout).contains(line), "\(line) in \(applied.stdout)")
        }
        // As on a cluster, kubectl's three-way patch is never empty for a Secret's stringData
        // (kubernetes/kubernetes#87736), a PodDisruptionBudget's selector (patchStrategy replace,
        // Azure/eno#246) or webhook rules without their defaulted `scope` (an atomic list): it says
        // "configured", and the server finds nothing to change.
        let revision = s.cluster.emulator.resourceVersion
        let again = s.kubectl("apply", "-k", dir)
        #expect(verdicts(again.stdout).filter { !$0.hasSuffix(" unchanged") } == [
            "secret/eip-webhook-tls configured", "poddisruptionbudget.policy/eip-operator configured",
            "validatingwebhookconfiguration.admissionregistration.k8s.io/eip-operator configured",
        ], "\(again.stdout)")
        #expect(s.cluster.emulator.resourceVersion == revision, "no object changed")
        #expect(s.kubectl("diff", "-k", dir).status == 0)

        let pdb = s.kubectl("get", "pdb", "-n", "eip-system").stdout
        #expect(pdb.hasPrefix("NAME           MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE\neip-operator   1               N/A               0                     "), "\(pdb)")
        let priority = s.kubectl("get", "priorityclass", "eip-operator").stdout
        #expect(priority.hasPrefix("NAME           VALUE     GLOBAL-DEFAULT   AGE   PREEMPTIONPOLICY\neip-operator   1000000   false            "), "\(priority)")
        #expect(priority.hasSuffix("   Never\n"), "\(priority)")
        let webhooks = s.kubectl("get", "validatingwebhookconfigurations").stdout
        #expect(webhooks.hasPrefix("NAME                                            WEBHOOKS   AGE\neip-operator                                    1          "), "\(webhooks)")
        #expect(webhooks.contains("\neip-operator-validating-webhook-configuration   1          "), "\(webhooks)")
        let secret = s.kubectl("get", "secret", "eip-webhook-tls", "-n", "eip-system").stdout
        #expect(secret.hasPrefix("NAME              TYPE                DATA   AGE\neip-webhook-tls   kubernetes.io/tls   2      "), "\(secret)")
        #expect(s.kubectl("scale", "sts", "eip-shard", "-n", "eip-system", "--replicas=3").stdout == "statefulset.apps/eip-shard scaled\n")
        #expect(s.kubectl("get", "sts", "eip-shard", "-n", "eip-system", "-o", "jsonpath={.spec.replicas}").stdout == "3")
        #expect(s.kubectl("get", "sts", "-n", "eip-system").stdout.hasPrefix("NAME        READY   AGE\neip-shard   0/3     "))

        let deleted = s.kubectl("delete", "-k", dir, "--timeout=50s")
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(verdicts(deleted.stdout).count == 17, "\(deleted.stdout)")
        #expect(s.kubectl("get", "validatingwebhookconfigurations", "eip-operator").status != 0)
    }
}
