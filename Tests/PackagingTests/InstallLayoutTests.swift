import Foundation
import JSON
import Testing
import TestSupport
import YAML

/// The tools under `.build/tools` (scripts/install-kubectl.sh, best effort: tests that need one are
/// skipped without it, as the emulator's kubectl tests are).
enum Tools {
    static let kubectl = repositoryRoot + "/.build/tools/kubectl/bin/kubectl"
    static let kubernetesValidate = repositoryRoot + "/.build/tools/kubernetes-validate"
    static var hasKubectl: Bool { FileManager.default.isExecutableFile(atPath: kubectl) }
    static var hasKubernetesValidate: Bool { FileManager.default.fileExists(atPath: kubernetesValidate + "/kubernetes_validate") }
    static let celPython = repositoryRoot + "/.build/tools/cel-python"
    static var hasCELPython: Bool { hasKubernetesValidate && FileManager.default.fileExists(atPath: celPython + "/celpy") }

    /// A product built next to the test bundle (scripts/test.sh builds every product first).
    static func binary(_ name: String) -> String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// The oldest Kubernetes the README supports: every install manifest must apply there.
    static let oldestSupportedKubernetes = "1.27.0"

    /// Runs a shell command line in the repository root.
    static func shell(_ command: String, environment: [String: String] = [:]) -> (status: Int32, stdout: String, stderr: String) {
        let exports = environment.map { "export \($0.key)='\($0.value)'; " }.joined()
        return run("/bin/bash", ["-c", "cd '\(repositoryRoot)' && \(exports)\(command)"])
    }

    /// kubernetes-validate --strict on `files` at the oldest supported Kubernetes.
    static func validate(_ files: [String]) -> (status: Int32, stdout: String, stderr: String) {
        run("/usr/bin/env", ["PYTHONPATH=\(kubernetesValidate)", "python3", "-m", "kubernetes_validate",
                             "-k", oldestSupportedKubernetes, "--strict", "--quiet"] + files)
    }
}

/// The kustomize layout (config/, in kubebuilder's shape) and the copies rendered from it.
@Suite("Install layout", .runsOnOwnThreads, .enabled(if: Tools.hasKubectl, "kubectl is not installed (scripts/install-kubectl.sh)"))
struct InstallLayoutTests {
    @Test func renderedCopiesAreCurrent() {
        // config/crd/bases is a copy of CRDs/, Manifests/operator.yaml a rendering of config/.
        let check = Tools.shell("bash scripts/render-manifests.sh --check", environment: ["KUBECTL": Tools.kubectl])
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test func defaultInstallHasEveryPart() throws {
        let rendered = Tools.shell("\(Tools.kubectl) kustomize config/default")
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let objects = try YAMLReader.jsonValues(in: rendered.stdout)
        let kinds = Set(objects.compactMap { $0["kind"]?.stringValue })
        #expect(kinds == ["Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
                          "RoleBinding", "Deployment", "PodDisruptionBudget", "PriorityClass", "Service", "ValidatingWebhookConfiguration"])
        let namespace = try #require(objects.first { $0["kind"]?.stringValue == "Namespace" })
        #expect(namespace["metadata"]?["labels"]?["pod-security.kubernetes.io/enforce"]?.stringValue == "restricted")
        let deployment = try #require(objects.first { $0["kind"]?.stringValue == "Deployment" })
        let pod = try #require(deployment["spec"]?["template"]?["spec"])
        #expect(deployment["spec"]?["replicas"]?.intValue == 2)
        #expect(pod["priorityClassName"]?.stringValue == "eip-operator")
        #expect(pod["topologySpreadConstraints"]?.arrayValue?.first?["topologyKey"]?.stringValue == "kubernetes.io/hostname")
        #expect(pod["containers"]?.arrayValue?.first?["image"]?.stringValue == "eip-operator:0.1.0")
        let pdb = try #require(objects.first { $0["kind"]?.stringValue == "PodDisruptionBudget" })
        #expect(pdb["spec"]?["minAvailable"]?.intValue == 1)
        // The editor and viewer roles aggregate into the built-in ones.
        let roles = objects.filter { $0["kind"]?.stringValue == "ClusterRole" }.compactMap { $0["metadata"]?["name"]?.stringValue }
        #expect(Set(roles) == ["eip-operator", "eip-operator-elasticinferencepool-editor", "eip-operator-elasticinferencepool-viewer"])
    }

    /// The webhook in kubebuilder's shape: the configuration points at the Service's controller-runtime
    /// path, the Service at the pods' :9443, and the pods mount the Secret where the operator looks.
    @Test func theWebhookIsWiredThroughTheServiceToThePods() throws {
        let objects = try YAMLReader.jsonValues(in: Tools.shell("\(Tools.kubectl) kustomize config/default").stdout)
        let configuration = try #require(objects.first { $0["kind"]?.stringValue == "ValidatingWebhookConfiguration" })
        let webhook = try #require(configuration["webhooks"]?.arrayValue?.first)
        #expect(webhook["failurePolicy"] == "Ignore")
        #expect(webhook["sideEffects"] == "None")
        #expect(webhook["admissionReviewVersions"] == ["v1"])
        #expect(webhook["clientConfig"]?["service"] == ["name": "eip-operator-webhook-service", "namespace": "eip-system",
                                                         "path": "/validate-aiops-example-com-v1alpha2-elasticinferencepool", "port": 443])
        #expect(webhook["rules"]?.arrayValue?.first?["operations"] == ["CREATE", "UPDATE"])
        let service = try #require(objects.first { $0["metadata"]?["name"] == "eip-operator-webhook-service" })
        #expect(service["spec"]?["ports"]?.arrayValue?.first?["targetPort"] == "webhook")
        let deployment = try #require(objects.first { $0["kind"]?.stringValue == "Deployment" })
        let pod = try #require(deployment["spec"]?["template"]?["spec"])
        let container = try #require(pod["containers"]?.arrayValue?.first)
        #expect(container["ports"]?.arrayValue?.contains { $0["name"] == "webhook" && $0["containerPort"] == 9443 } == true)
        #expect(container["volumeMounts"]?.arrayValue?.first?["mountPath"] == "/tmp/k8s-webhook-server/serving-certs")
        #expect(pod["volumes"]?.arrayValue?.first?["secret"]?["secretName"] == "eip-operator-webhook-server-cert")
        #expect(configuration["metadata"]?["annotations"]?["cert-manager.io/inject-ca-from"] == nil, "cert-manager is opt-in")
    }

    /// The cert-manager component, opted into: an Issuer and a Certificate for the Service's names, into
    /// the Secret the pods mount, and the CA-injection annotation on the configuration.
    @Test func theCertManagerComponentIssuesAndInjects() throws {
        let overlay = ".build/kustomize/test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: repositoryRoot + "/" + overlay) }
        try FileManager.default.createDirectory(atPath: repositoryRoot + "/" + overlay, withIntermediateDirectories: true)
        try "resources:\n- ../../../config/default\ncomponents:\n- ../../../config/certmanager\n"
            .write(toFile: repositoryRoot + "/" + overlay + "/kustomization.yaml", atomically: true, encoding: .utf8)
        let rendered = Tools.shell("\(Tools.kubectl) kustomize \(overlay)")
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let objects = try YAMLReader.jsonValues(in: rendered.stdout)
        let certificate = try #require(objects.first { $0["kind"]?.stringValue == "Certificate" })
        #expect(certificate["spec"]?["secretName"] == "eip-operator-webhook-server-cert")
        #expect(certificate["spec"]?["dnsNames"]?.arrayValue?.first == "eip-operator-webhook-service.eip-system.svc")
        #expect(objects.contains { $0["kind"]?.stringValue == "Issuer" && $0["metadata"]?["namespace"] == "eip-system" })
        let configuration = try #require(objects.first { $0["kind"]?.stringValue == "ValidatingWebhookConfiguration" })
        #expect(configuration["metadata"]?["annotations"]?["cert-manager.io/inject-ca-from"] == "eip-system/eip-operator-serving-cert")
    }

    @Test(arguments: [
        ("registry.example.com/eip-operator:v1.2.3", "registry.example.com/eip-operator:v1.2.3"),
        ("registry.example.com:5000/team/eip-operator:v2", "registry.example.com:5000/team/eip-operator:v2"),
        ("registry.example.com/eip-operator@sha256:0123abcd", "registry.example.com/eip-operator@sha256:0123abcd"),
        ("localhost:5000/eip-operator", "localhost:5000/eip-operator:0.1.0"),
    ])
    func deployOverlaySetsTheImage(img: String, expected: String) throws {
        // `make deploy IMG=…` and `make build-installer IMG=…` go through this overlay.
        let overlay = ".build/kustomize/test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: repositoryRoot + "/" + overlay) }
        let rendered = Tools.shell("\(Tools.kubectl) kustomize \"$(bash scripts/kustomize-image.sh '\(img)' \(overlay))\"")
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let deployment = try #require(try YAMLReader.jsonValues(in: rendered.stdout).first { $0["kind"]?.stringValue == "Deployment" })
        #expect(deployment["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["image"]?.stringValue == expected)
    }

    @Test(.enabled(if: Tools.hasKubernetesValidate, "kubernetes-validate is not installed (scripts/install-kubectl.sh)"))
    func installValidatesStrictlyAtTheOldestSupportedKubernetes() throws {
        let directory = NSTemporaryDirectory() + "eip-install-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let overlay = ".build/kustomize/test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: repositoryRoot + "/" + overlay) }
        let installer = Tools.shell("\(Tools.kubectl) kustomize \"$(bash scripts/kustomize-image.sh registry.example.com/eip-operator:v1 \(overlay))\"")
        try installer.stdout.write(toFile: directory + "/install.yaml", atomically: true, encoding: .utf8)
        let files = [directory + "/install.yaml", repositoryRoot + "/Manifests/operator.yaml"]
            + (try FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/CRDs")).map { repositoryRoot + "/CRDs/" + $0 }
            + [repositoryRoot + "/docs/examples/leaderworkerset-crd.yaml"]
        let result = Tools.validate(files)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // And it can fail: a field unknown to the schema is refused.
        try (installer.stdout + "\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: x}\nspec: {minAvailible: 1}\n")
            .write(toFile: directory + "/bad.yaml", atomically: true, encoding: .utf8)
        #expect(Tools.validate([directory + "/bad.yaml"]).status != 0)
        // And the CRD's CEL rules can fail it: `fieldPath` (Kubernetes 1.28) is refused at 1.27.
        let crd = try String(contentsOfFile: repositoryRoot + "/CRDs/aiops.example.com_elasticinferencepools.yaml", encoding: .utf8)
        try crd.replacingOccurrences(of: "              message: minReplicas must not be greater than maxReplicas\n",
                                     with: "              message: minReplicas must not be greater than maxReplicas\n              fieldPath: .minReplicas\n")
            .write(toFile: directory + "/crd-128.yaml", atomically: true, encoding: .utf8)
        let newer = Tools.validate([directory + "/crd-128.yaml"])
        #expect(newer.status != 0 && (newer.stdout + newer.stderr).contains("'fieldPath' was unexpected"), "\(newer.stdout)\(newer.stderr)")
    }

    /// The init containers' schema is the one scripts/container-schema.py makes from the 1.27 OpenAPI schema.
    @Test(.enabled(if: Tools.hasKubernetesValidate, "kubernetes-validate is not installed (scripts/install-kubectl.sh)"))
    func theContainerSchemaIsGeneratedFromThe127OpenAPI() {
        let check = Tools.shell("python3 scripts/container-schema.py --check")
        #expect(check.status == 0, "\(check.stderr)")
    }
}

/// The CRD's CEL rules, evaluated (cel-python): neither kube-emulator nor kubernetes-validate runs
/// them, and a rule that says the wrong thing would pass both.
@Suite("The CRD's CEL rules", .runsOnOwnThreads, .enabled(if: Tools.hasCELPython, "cel-python is not installed (scripts/install-kubectl.sh)"))
struct CELRuleTests {
    /// Each rule at `path` (`spec`, `spec.behavior.scaleUp`, …) evaluated on `value` as `self`: true, false, or the error.
    static func evaluate(_ cases: [(path: String, value: JSONValue)]) throws -> [String] {
        let script = """
        import json, sys, yaml, celpy
        crd = yaml.safe_load(open(sys.argv[1]))
        root = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        env = celpy.Environment()
        out = []
        for case in json.load(sys.stdin):
            node = root
            for key in case["path"].split("."):
                node = node["properties"][key]
            results = []
            for rule in node.get("x-kubernetes-validations", []):
                try:
                    results.append(str(env.program(env.compile(rule["rule"])).evaluate({"self": celpy.json_to_cel(case["value"])})).lower())
                except Exception as e:
                    results.append("error: %s" % e)
            out.append(" ".join(results))
        print(json.dumps(out))
        """
        let input = JSONValue.array(cases.map { ["path": .string($0.path), "value": $0.value] }).compactText
        let r = run("/usr/bin/env", ["PYTHONPATH=\(Tools.celPython):\(Tools.kubernetesValidate)", "python3", "-c", script,
                                     repositoryRoot + "/CRDs/aiops.example.com_elasticinferencepools.yaml"], stdin: input)
        return try JSONValue(parsing: r.stdout).arrayValue?.compactMap(\.stringValue) ?? { throw CELError(message: r.stderr) }()
    }

    struct CELError: Error { let message: String }

    @Test func theRulesSayWhatTheValidatorSays() throws {
        // The spec's rules: minReplicas <= maxReplicas, then a fallback within the bounds (the API
        // server runs them after defaulting, so minReplicas is always there).
        #expect(try Self.evaluate([
            ("spec", ["minReplicas": 2, "maxReplicas": 4]),
            ("spec", ["minReplicas": 5, "maxReplicas": 4]),
            ("spec", ["minReplicas": 2, "maxReplicas": 4, "behavior": ["fallback": ["replicas": 9]]]),
            ("spec", ["minReplicas": 2, "maxReplicas": 4, "behavior": ["fallback": ["replicas": 1]]]),
            ("spec", ["minReplicas": 2, "maxReplicas": 4, "behavior": ["fallback": ["replicas": 4]]]),
            ("spec", ["minReplicas": 2, "maxReplicas": 4, "behavior": ["pollInterval": "5s"]]),
        ]) == ["true true", "false true", "true false", "true false", "true true", "true true"])
        // Step policies: not both zero.
        for path in ["spec.behavior.scaleUp", "spec.behavior.scaleDown"] {
            #expect(try Self.evaluate([
                (path, ["pods": 0, "percent": 0, "periodSeconds": 15]),
                (path, ["pods": 0, "percent": 10]),
                (path, ["pods": 1, "percent": 0]),
            ]) == ["false", "true", "true"], "\(path)")
        }
    }
}

/// The Makefile's targets, in kubebuilder's names, and the image build's inputs.
@Suite("Make targets and image", .runsOnOwnThreads, .serialized)
struct MakeTargetTests {
    static let targets = ["help", "deps", "demo", "build", "test", "bench", "fuzz", "samples", "validate-samples", "manifests", "install", "uninstall", "deploy",
                          "undeploy", "build-installer", "run", "emulator", "docker-build", "docker-push", "docker-buildx", "fmt", "lint", "clean"]

    @Test func everyTargetIsListedByHelp() {
        let help = Tools.shell("make --no-print-directory help")
        let listed = Set(help.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
        #expect(listed == Set(Self.targets))
    }

    @Test(arguments: targets)
    func targetDryRuns(target: String) {
        // `make -n`: prints what the target would run, runs nothing (the targets that need a cluster,
        // a Docker engine or a registry are checked this far here).
        let dryRun = Tools.shell("make --no-print-directory -n \(target) IMG=registry.example.com/eip-operator:v1")
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
    }

    @Test func dockerBuildsWithTheTestedToolchain() throws {
        let tested = try String(contentsOfFile: repositoryRoot + "/.swift-version", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let dockerfile = try String(contentsOfFile: repositoryRoot + "/Dockerfile", encoding: .utf8)
        #expect(dockerfile.contains("ARG SWIFT_VERSION=\(tested)\n"))
        #expect(dockerfile.contains("FROM swift:${SWIFT_VERSION}-bookworm AS build"))
        for label in ["version", "revision", "created"] { #expect(dockerfile.contains("org.opencontainers.image.\(label)=")) }
        // The operator's eip_build_info says the same revision as the image's label.
        #expect(dockerfile.contains("ENV EIP_REVISION=${REVISION}\n"))
        // The build folder (hundreds of MB) is never sent to the builder.
        let ignored = try String(contentsOfFile: repositoryRoot + "/.dockerignore", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(ignored.contains(".build/"))
    }
}
