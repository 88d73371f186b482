import Foundation
import JSON
import TestSupport
import Testing

/// Runs the built `eipctl` binary, as a user would.
struct Eipctl {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The products directory is where this test binary lives; `swift build` puts eipctl beside it.
    static let binary: String = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // A bundle layout (…/X.xctest/Contents/MacOS/X) sits deeper; walk up to the products directory.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("eipctl").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("eipctl").path
    }()

    static let root = repositoryRoot

    /// Runs it in the repository root (through TestSupport's ``run``, not Foundation's `Process`).
    static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        let r = TestSupport.run(binary, arguments, stdin: stdin, directory: root)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}

/// A directory under the system's temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("eipctl-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` inside the directory and returns its path.
    func file(_ text: String, name: String = "pool.yaml") throws -> String {
        let path = url.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

let seedPath = "Manifests/samples/llm-finetune-v3.yaml"
let now = "--now=2026-11-27T10:00:00Z"

@Suite("eipctl end to end", .serialized, .runsOnOwnThreads)
struct EndToEndTests {
    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Eipctl.binary), "run `swift build` before `swift test` (scripts/test.sh does)")
    }

    @Test func validateAcceptsTheSamples() throws {
        let r = try Eipctl.run(["validate", "-f", "Manifests/samples/"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Manifests/samples/llm-finetune-v3.yaml:1:1: ElasticInferencePool default/llm-finetune-v3: valid (2 warnings)"))
        #expect(r.stdout.contains("Manifests/samples/bert-triton-pool.yaml:3:1: ElasticInferencePool inference/bert-base: valid\n"))
        #expect(r.stdout.contains("skipped (not an ElasticInferencePool)"))
        #expect(r.stdout.contains("Manifests/samples/resnet-prometheus-pool.yaml:4:1: ElasticInferencePool vision/resnet50: valid (1 warning)"))
        #expect(r.stdout.contains("Manifests/samples/llama-vllm-pool.yaml:5:1: ElasticInferencePool serving/llama-3-8b: valid\n"))
        #expect(r.stdout.contains("Manifests/samples/llama-70b-lws-pool.yaml:6:1: ElasticInferencePool serving/llama-70b: valid\n"))
        #expect(r.stdout.hasSuffix("6 objects in 6 files: 5 valid, 0 invalid, 1 skipped\n"))
        #expect(r.stderr.contains("Manifests/samples/llm-finetune-v3.yaml:9:22: warning: spec.scaleUpThreshold: column 1: fires on low latency"))
    }

    /// The webhook's checks, offline: a pool whose Deployment an earlier pool in the files targets is
    /// refused as kubectl apply would refuse it; a misspelt container field and a fallback outside the
    /// bounds are errors.
    @Test func validateGivesTheWebhooksVerdict() throws {
        let dir = try TemporaryDirectory()
        let pools = try dir.file("""
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata: {name: first}
        spec: {modelRef: model, maxReplicas: 4, scaleUpThreshold: "P90>200ms", scaleDownThreshold: "P90<50ms"}
        ---
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata: {name: second}
        spec:
          modelRef: other
          targetRef: {name: model}
          maxReplicas: 4
          scaleUpThreshold: "P90>200ms"
          scaleDownThreshold: "P90<50ms"
          behavior: {fallback: {replicas: 9}}
          warmupStrategy: {initContainers: [{name: loader, image: "loader:1", comand: [sh]}]}
        """, name: "two.yaml")
        let r = try Eipctl.run(["validate", "-f", pools])
        #expect(r.status == 1)
        #expect(r.stdout.contains("ElasticInferencePool default/first: valid\n") && r.stdout.contains("ElasticInferencePool default/second: invalid (3 errors)"), "\(r.stdout)")
        #expect(r.stderr.contains("two.yaml:11:21: error: spec.targetRef.name: the workload 'model' of type 'apps/v1.Deployment' is already managed by the ElasticInferencePool 'first'"), "\(r.stderr)")
        #expect(r.stderr.contains("error: spec.behavior.fallback.replicas: 9 is outside minReplicas..maxReplicas (1...4)"), "\(r.stderr)")
        #expect(r.stderr.contains(#"error: spec.warmupStrategy.initContainers[0].comand: unknown field "comand"; did you mean "command"?"#), "\(r.stderr)")
    }

    @Test(arguments: [
        // (spec lines replacing the seed's thresholds/bounds, expected diagnostic on stderr)
        ("  scaleUpThreshold: \"P90<200ms && gpu.util>\"", "pool.yaml:8:44: error: spec.scaleUpThreshold: column 23: expected a quantity after '>'"),
        ("  scaleUpThreshold: P90>200ms || gpu.utl>85%", "pool.yaml:8:34: error: spec.scaleUpThreshold: column 14: unknown metric 'gpu.utl'; did you mean 'gpu.util'?"),
        ("  scaleUpThreshold: 'P90>200 || gpu.util>85%'", "pool.yaml:8:29: error: spec.scaleUpThreshold: column 8: P90 needs a time unit: write 200ms or 200s"),
        ("  scaleUpThreshold: P90>200ms\n  minReplicas: 20", "error: spec.minReplicas: minReplicas (20) must not be greater than maxReplicas (12)"),
    ])
    func validateRejectsWithPreciseErrors(line: String, expected: String) throws {
        let pool = """
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata:
          name: broken
        spec:
          modelRef: broken
          maxReplicas: 12
        \(line)
          scaleDownThreshold: "P90<50ms"
        """
        let tmp = try TemporaryDirectory()
        let path = try tmp.file(pool)
        let r = try Eipctl.run(["validate", "-f", path])
        #expect(r.status == 1)
        #expect(r.stderr.contains(expected), "\(r.stderr)")
        #expect(r.stdout.contains("invalid (1 error)"))
    }

    @Test func duplicateMinReplicasLineIsAYAMLError() throws {
        let tmp = try TemporaryDirectory()
        let path = try tmp.file("apiVersion: v1\nkind: X\nkind: Y\n")
        let r = try Eipctl.run(["validate", "-f", path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("pool.yaml:3:1: error: duplicate mapping key \"kind\" (first at line 2)"), "\(r.stderr)")
    }

    @Test func validateJSONOutputIsMachineReadable() throws {
        let r = try Eipctl.run(["validate", "-f", seedPath, "-o", "json"])
        #expect(r.status == 0)
        let value = try JSONValue(parsing: r.stdout)
        #expect(value["summary"]?["valid"] == 1)
        #expect(value["objects"]?.arrayValue?.first?["issues"]?.arrayValue?.count == 2)
        #expect(value["objects"]?.arrayValue?.first?["issues"]?.arrayValue?.first?["line"] == 9)
    }

    @Test func validateReadsStandardInputAndLists() throws {
        let list = """
        {"apiVersion": "v1", "kind": "List", "items": [
          {"apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": {"name": "a"},
           "spec": {"modelRef": "a", "maxReplicas": 3, "scaleUpThreshold": "P90>1s", "scaleDownThreshold": "P90<100ms"}}]}
        """
        let r = try Eipctl.run(["validate", "-f", "-"], stdin: list)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("-:2:3: ElasticInferencePool default/a: valid"))
    }

    @Test func validateWithNoPoolFails() throws {
        let r = try Eipctl.run(["validate", "-f", "Manifests/samples/bert-triton-deployment.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no ElasticInferencePool found"))
    }

    @Test func missingFileIsInvalidInput() throws {
        let r = try Eipctl.run(["validate", "-f", "no/such/file.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr == "no/such/file.yaml: error: no such file or directory\n")
    }

    @Test func dryRunOnTheSeedShowsDecisionRuleValuesAndPatches() throws {
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", seedPath, "--metrics", "P90=150ms,gpu.util=91%", now])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Note      no --deployment given: assumed Deployment default/llm-finetune-v3 at minReplicas (2) with all replicas ready"))
        #expect(r.stdout.contains("Decision  Scale up 2 -> 6 (ScaleUpRule)"))
        #expect(r.stdout.contains("P90=150ms < 200ms: true, gpu.util=91% > 85%: true"))
        #expect(r.stdout.contains("1. PATCH /apis/apps/v1/namespaces/default/deployments/llm-finetune-v3?fieldManager=eip-operator&force=true   [warmup template]"))
        #expect(r.stdout.contains("2. PATCH /apis/apps/v1/namespaces/default/deployments/llm-finetune-v3/scale?fieldManager=eip-operator   [scale]"))
        #expect(r.stdout.hasSuffix("Dry run: nothing was written.\n"))
    }

    /// The workload given in -f beside the pool (as kubectl takes several files) is read, not assumed;
    /// and --target is the same as --deployment.
    @Test func theWorkloadMayComeWithThePoolInF() throws {
        for args in [["-f", "Manifests/samples/bert-triton-deployment.yaml"], ["--target", "Manifests/samples/bert-triton-deployment.yaml"]] {
            let r = try Eipctl.run(["reconcile", "--dry-run", "-f", "Manifests/samples/bert-triton-pool.yaml"] + args
                                   + ["--metrics", "P90=480ms,gpu.util=58%", now, "-o", "json"])
            #expect(r.status == 0, "\(r.stderr)")
            let value = try JSONValue(parsing: r.stdout)
            #expect(value["target"]?["assumed"] == false, "\(args)")
            #expect(value["notes"]?.arrayValue?.contains { $0.stringValue?.contains("assumed") == true } != true, "\(args)")
        }
    }

    @Test func dryRunJSONIsMachineReadable() throws {
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", "Manifests/samples/bert-triton-pool.yaml",
                                "--deployment", "Manifests/samples/bert-triton-deployment.yaml", "--metrics", "P90=480ms,gpu.util=58%", now, "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let value = try JSONValue(parsing: r.stdout)
        #expect(value["decision"]?["action"] == "ScaleUp")
        #expect(value["decision"]?["to"] == 6)
        #expect(value["target"]?["assumed"] == false)
        let writes = try #require(value["writes"]?.arrayValue)
        #expect(writes.map { $0["purpose"]?.stringValue } == ["warmup template", "scale", "prepull daemonset", "status"])
        // The pre-pull DaemonSet it would create: the pool's images, the Deployment's placement.
        let daemonSet = try #require(writes[2]["body"])
        #expect(writes[2]["method"] == "POST")
        #expect(writes[2]["path"] == "/apis/apps/v1/namespaces/inference/daemonsets?fieldManager=eip-operator")
        #expect(daemonSet["metadata"]?["name"] == "bert-base-prepull")
        let podSpec = daemonSet["spec"]?["template"]?["spec"]
        #expect(podSpec?["initContainers"]?.arrayValue?.map { $0["image"]?.stringValue ?? "" }
                == ["nvcr.io/nvidia/tritonserver:24.01-py3", "registry.example.com/ai/model-loader:v2.1"])
        #expect(podSpec?["nodeSelector"] == ["nvidia.com/gpu.present": "true"])
        #expect(podSpec?["tolerations"]?.arrayValue?.first?["key"] == "nvidia.com/gpu")
        #expect(value["warmup"]?["prePull"]?.stringValue?.hasPrefix("create DaemonSet bert-base-prepull to pull nvcr.io/nvidia/tritonserver:24.01-py3") == true)
        // The template write is a server-side apply naming only the operator's init container (the
        // Deployment's own `fetch-config` is not its to name). A manifest carries no resourceVersion,
        // so there is none to guard with (a live Deployment has one; see the warmup tests).
        #expect(writes.first?["path"] == "/apis/apps/v1/namespaces/inference/deployments/bert-triton?fieldManager=eip-operator&force=true")
        #expect(writes.first?["contentType"] == "application/apply-patch+yaml")
        let patch = try #require(writes.first?["body"])
        #expect(patch["metadata"]?["resourceVersion"] == nil)
        #expect(patch["kind"] == "Deployment" && patch["apiVersion"] == "apps/v1")
        let names = patch["spec"]?["template"]?["spec"]?["initContainers"]?.arrayValue?.map { $0["name"]?.stringValue }
        #expect(names == ["model-preload"])
    }

    @Test func dryRunYAMLParsesBackToTheJSON() throws {
        let args = ["reconcile", "--dry-run", "-f", seedPath, "--metrics", "P90=400ms,gpu.util=10%", now]
        let json = try JSONValue(parsing: try Eipctl.run(args + ["-o", "json"]).stdout)
        let yaml = try Eipctl.run(args + ["-o", "yaml"])
        #expect(yaml.status == 0)
        let tmp = try TemporaryDirectory()
        let path = try tmp.file(yaml.stdout, name: "out.yaml")
        // Read it back through eipctl's own reader by validating it as a (skipped) object.
        let reread = try Eipctl.run(["validate", "-f", path, "-o", "json"])
        #expect(reread.stdout.contains("\"result\": \"skipped\""))
        #expect(json["decision"]?["reason"] == "ScaleDownStabilizing")
    }

    @Test func dryRunWithStateInsideTheWindowScalesDown() throws {
        let tmp = try TemporaryDirectory()
        let state = try tmp.file("status:\n  scaleDownCandidateSince: \"2026-11-27T09:54:00Z\"\n", name: "state.yaml")
        let deployment = try tmp.file("""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: llm-finetune-v3}
        spec: {replicas: 8}
        status: {readyReplicas: 8}
        """, name: "deploy.yaml")
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", seedPath, "--deployment", deployment, "--state", state,
                                "--metrics", "P90=400ms,gpu.util=10%", now, "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let value = try JSONValue(parsing: r.stdout)
        #expect(value["decision"]?["reason"] == "ScaleDownRule")
        #expect(value["decision"]?["to"] == 7)
    }

    /// An HPA, KEDA's ScaledObject or an older pool in the inputs stops every write but status, as the
    /// operator would; KEDA's own HPA is named through its ScaledObject.
    @Test(arguments: [
        ("""
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: cpu}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: llm-finetune-v3}
          minReplicas: 1
          maxReplicas: 3
        """, "HorizontalPodAutoscaler/cpu also targets Deployment llm-finetune-v3"),
        ("""
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata: {name: queue, uid: so-1}
        spec: {scaleTargetRef: {name: llm-finetune-v3}, triggers: [{type: prometheus}]}
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: keda-hpa-queue, ownerReferences: [{kind: ScaledObject, name: queue, uid: so-1}]}
        spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: llm-finetune-v3}, maxReplicas: 3}
        """, "ScaledObject/queue also targets Deployment llm-finetune-v3"),
        ("""
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata: {name: elder, creationTimestamp: "2026-01-01T00:00:00Z"}
        spec: {modelRef: llm-finetune-v3, maxReplicas: 3, scaleUpThreshold: "P90>1s", scaleDownThreshold: "P90<1ms"}
        """, "ElasticInferencePool/elder also targets Deployment llm-finetune-v3"),
    ])
    func otherAutoscalersInTheInputsStopTheWrites(claimant: String, message: String) throws {
        let tmp = try TemporaryDirectory()
        let objects = try tmp.file("""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: llm-finetune-v3}
        spec: {replicas: 2}
        status: {readyReplicas: 2}
        ---
        \(claimant)
        """, name: "deploy.yaml")
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", seedPath, "--deployment", objects, "--metrics", "P90=150ms,gpu.util=91%", now, "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let value = try JSONValue(parsing: r.stdout)
        #expect(value["decision"]?["reason"] == "OtherAutoscaler")
        #expect(value["decision"]?["message"]?.stringValue?.hasPrefix(message) == true, "\(value["decision"] ?? .null)")
        #expect(value["writes"]?.arrayValue?.map { $0["purpose"]?.stringValue } == ["status"])
    }

    @Test func invalidPoolInDryRunLeavesTheDeploymentAlone() throws {
        let tmp = try TemporaryDirectory()
        let path = try tmp.file("""
        apiVersion: aiops.example.com/v1alpha2
        kind: ElasticInferencePool
        metadata: {name: p}
        spec: {modelRef: p, maxReplicas: 3, scaleUpThreshold: "P90>", scaleDownThreshold: "P90<1ms"}
        """)
        let r = try Eipctl.run(["reconcile", "--dry-run", "-f", path])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("error: spec.scaleUpThreshold: column 5: expected a quantity after '>'"))
        #expect(r.stderr.contains("leave the Deployment untouched"))
    }

    @Test(arguments: [
        (["reconcile", "-f", seedPath], "add --dry-run"),
        (["reconcile", "--dry-run", "-f", seedPath, "--metrics", "P90=fast"], "--metrics: P90=fast: 'fast' is not a quantity"),
        (["reconcile", "--dry-run", "-f", seedPath, "--metrics", "gpu.utl=5%"], "--metrics: unknown metric 'gpu.utl'; did you mean 'gpu.util'?"),
        (["reconcile", "--dry-run", "-f", seedPath, "--now", "yesterday"], "--now: 'yesterday' is not an RFC 3339 time"),
        (["reconcile", "--dry-run", "-f", seedPath, "-o", "xml"], "unknown output format 'xml'"),
        (["validate"], "validate needs at least one -f FILE|DIR"),
        (["validate", "-f", seedPath, "--recursiv"], "did you mean '--recursive'?"),
        (["frobnicate"], "unknown command 'frobnicate'"),
        ([], "USAGE: eipctl [--kubeconfig FILE] [--context NAME] [-n NAMESPACE] <command> [options]"),
    ])
    func usageErrorsExitTwo(arguments: [String], message: String) throws {
        let r = try Eipctl.run(arguments)
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func helpEverywhereWithExitCodes() throws {
        for args in [["--help"], ["validate", "--help"], ["reconcile", "--help"]] {
            let r = try Eipctl.run(args)
            #expect(r.status == 0)
            #expect(r.stdout.contains("EXIT CODES"), "\(args)")
        }
        #expect(try Eipctl.run(["--version"]).stdout.hasPrefix("eipctl "))
    }
}
