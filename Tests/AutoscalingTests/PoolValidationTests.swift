import JSON
import TestSupport
import Testing
import YAML
@testable import Autoscaling


func readSample(_ name: String) throws -> String {
    let path = repositoryRoot + "/Manifests/samples/" + name
    guard let data = FileManagerLite.read(path) else { throw YAMLError("cannot read \(path)", at: YAMLMark(line: 0, column: 0)) }
    return data
}

/// The seed pool of SPEC §2, with a change applied to its JSON.
func seed(_ change: (inout JSONObject) -> Void = { _ in }) throws -> JSONValue {
    var object = try #require(try YAMLReader.jsonValues(in: try readSample("llm-finetune-v3.yaml")).first?.objectValue)
    change(&object)
    return .object(object)
}

func setSpec(_ key: String, _ value: JSONValue?) -> @Sendable (inout JSONObject) -> Void {
    { object in
        var spec = object["spec"]?.objectValue ?? JSONObject()
        spec[key] = value
        object["spec"] = .object(spec)
    }
}

@Suite("Pool validation")
struct PoolValidationTests {
    @Test func seedExampleIsAcceptedExactlyAsWritten() throws {
        let check = ElasticInferencePool.check(try seed())
        #expect(check.isValid)
        #expect(check.errors.isEmpty)
        let pool = try #require(check.pool)
        #expect(pool.name == "llm-finetune-v3")
        #expect(pool.namespace == "default")
        #expect(pool.spec.targetName == "llm-finetune-v3")
        #expect((pool.spec.minReplicas, pool.spec.maxReplicas) == (2, 12))
        #expect(pool.spec.warmup.initContainerNames == ["model-preload"])
        #expect(pool.spec.warmup.preloadedImages == ["nvcr.io/nvidia/pytorch:23.10-py3"])
        #expect(check.warnings.count == 2)  // the latency-direction lints
    }

    @Test func everyFieldSample() throws {
        let value = try #require(try YAMLReader.jsonValues(in: try readSample("bert-triton-pool.yaml")).first)
        let check = ElasticInferencePool.check(value)
        #expect(check.issues.isEmpty, "\(check.issues)")
        let spec = try #require(check.pool?.spec)
        #expect(spec.targetName == "bert-triton")
        #expect(spec.metrics?.kind == .podScrape)
        #expect(spec.behavior.fallback == FallbackPolicy(failureThreshold: 3, replicas: 4))
    }

    @Test func defaultsAreApplied() throws {
        let check = ElasticInferencePool.check(try seed { o in
            o["spec"] = ["modelRef": "m", "maxReplicas": 3, "scaleUpThreshold": "P90>1s", "scaleDownThreshold": "P90<100ms"]
        })
        let spec = try #require(check.pool?.spec)
        #expect(spec.minReplicas == 1)
        #expect(spec.targetName == "m")
        #expect(spec.behavior == ScalingBehavior())
        #expect(spec.paused == false)
        #expect(spec.warmup.prePullCommand == ["sh", "-c", "true"])
        #expect(check.isValid)
    }

    @Test(arguments: [
        (setSpec("minReplicas", 13), "spec.minReplicas: minReplicas (13) must not be greater than maxReplicas (12)"),
        (setSpec("maxReplicas", nil), "spec.maxReplicas: required value"),
        (setSpec("maxReplicas", 1001), "spec.maxReplicas: must be between 1 and 1000, not 1001"),
        (setSpec("minReplicas", 0), "spec.minReplicas: must be between 1 and 1000, not 0"),
        (setSpec("minReplicas", "two"), "spec.minReplicas: expected an integer, found string \"two\""),
        (setSpec("minReplicas", 2.5), "spec.minReplicas: expected an integer, found number 2.5"),
        (setSpec("minReplica", 2), "spec.minReplica: unknown field \"minReplica\"; did you mean \"minReplicas\"?"),
        (setSpec("modelRef", ""), "spec.modelRef: must not be empty"),
        (setSpec("modelRef", "meta-llama/Llama-3-8B"), "spec.modelRef: the target Deployment defaults to modelRef, and \"meta-llama/Llama-3-8B\" is not a valid Deployment name; set spec.targetRef.name"),
        (setSpec("targetRef", ["name": "Bad_Name"]), "spec.targetRef.name: \"Bad_Name\" is not a valid Deployment name"),
        (setSpec("targetRef", ["name": "x", "kind": "StatefulSet", "apiVersion": "apps/v1beta1"]), "spec.targetRef.apiVersion: StatefulSet is apps/v1, not apps/v1beta1"),
        (setSpec("targetRef", ["name": "x", "kind": "InferenceService"]),
         "spec.targetRef.apiVersion: required for kind InferenceService: the API group and version that serve it (as leaderworkerset.x-k8s.io/v1)"),
        (setSpec("targetRef", ["name": "x", "kind": "statefulset"]), "spec.targetRef.kind: \"statefulset\" is not a kind (an upper-case letter, then letters and digits, as StatefulSet)"),
        (setSpec("targetRef", ["name": "x", "kind": "Server", "apiVersion": "serving/kserve/v1"]), "spec.targetRef.apiVersion: \"serving/kserve/v1\" is not an apiVersion (GROUP/VERSION, as apps/v1)"),
        (setSpec("scaleUpThreshold", "P90<200ms && gpu.util>"), "spec.scaleUpThreshold: column 23: expected a quantity after '>'"),
        (setSpec("scaleDownThreshold", "gpu.utl<40%"), "spec.scaleDownThreshold: column 1: unknown metric 'gpu.utl'; did you mean 'gpu.util'?"),
        (setSpec("scaleUpThreshold", "P90>200"), "spec.scaleUpThreshold: column 8: P90 needs a time unit: write 200ms or 200s"),
        (setSpec("scaleUpThreshold", nil), "spec.scaleUpThreshold: required value"),
        (setSpec("scaleUpThreshold", 5), "spec.scaleUpThreshold: expected a string, found integer 5"),
        (setSpec("paused", "yes"), "spec.paused: expected true or false, found string \"yes\""),
        (setSpec("warmupStrategy", ["initContainers": [["name": "Model_Preload", "image": "x"]]]),
         "spec.warmupStrategy.initContainers[0].name: \"Model_Preload\" is not a valid container name (DNS-1123 label: lower-case letters, digits and '-', at most 63)"),
        (setSpec("warmupStrategy", ["initContainers": [["name": "a", "image": "x"], ["name": "a", "image": "y"]]]),
         "spec.warmupStrategy.initContainers[1].name: duplicate init container name \"a\""),
        (setSpec("warmupStrategy", ["initContainers": [["name": "a"]]]), "spec.warmupStrategy.initContainers[0].image: required value"),
        (setSpec("warmupStrategy", ["preloadedImages": ["has space"]]), "spec.warmupStrategy.preloadedImages[0]: \"has space\" is not a valid image reference"),
        (setSpec("warmupStrategy", ["prePullCommand": []]), "spec.warmupStrategy.prePullCommand: must not be empty"),
        (setSpec("behavior", ["pollInterval": "500ms"]), "spec.behavior.pollInterval: expected a duration from 1s to 1h such as \"5s\" or \"1m30s\", not \"500ms\""),
        (setSpec("behavior", ["pollInterval": "fast"]), "spec.behavior.pollInterval: expected a duration from 1s to 1h such as \"5s\" or \"1m30s\", not \"fast\""),
        (setSpec("behavior", ["scaleUp": ["pods": 0, "percent": 0]]), "spec.behavior.scaleUp: pods and percent are both 0, so no step could ever be taken"),
        (setSpec("behavior", ["scaleDown": ["stabilizationWindowSeconds": 7200]]), "spec.behavior.scaleDown.stabilizationWindowSeconds: must be between 0 and 3600, not 7200"),
        (setSpec("behavior", ["fallback": ["failureThreshold": 2]]), "spec.behavior.fallback.replicas: required value"),
        (setSpec("metrics", ["source": "Prometheus", "prometheus": ["adress": "http://p"]]), "spec.metrics.prometheus.adress: unknown field \"adress\"; did you mean \"address\"?"),
        (setSpec("metrics", ["source": "Graphite"]), "spec.metrics.source: expected \"Prometheus\" or \"PodScrape\", not \"Graphite\""),
        (setSpec("metrics", ["source": "Prometheus", "prometheus": ["address": "prom:9090"]]), "spec.metrics.prometheus.address: expected an http:// or https:// URL, not \"prom:9090\""),
        (setSpec("metrics", ["source": "Prometheus", "prometheus": ["address": "http://p", "queries": ["p91": "x"]]]),
         "spec.metrics.prometheus.queries.p91: unknown metric 'p91'; did you mean 'P90'?"),
        (setSpec("metrics", ["source": "PodScrape", "podScrape": ["port": 70000]]), "spec.metrics.podScrape.port: must be between 1 and 65535, not 70000"),
        ({ $0["apiVersion"] = "aiops.example.com/v1alpha1" }, "apiVersion: expected \"aiops.example.com/v1alpha2\", found \"aiops.example.com/v1alpha1\""),
        ({ $0["metadata"] = ["name": "Bad Name"] }, "metadata.name: \"Bad Name\" is not a valid name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"),
        ({ $0["spec"] = nil }, "spec: required value"),
        ({ $0["spec"] = "x" }, "spec: expected an object, found string"),
    ] as [(@Sendable (inout JSONObject) -> Void, String)])
    func preciseError(change: @Sendable (inout JSONObject) -> Void, expected: String) throws {
        let check = ElasticInferencePool.check(try seed(change))
        #expect(!check.isValid)
        #expect(check.policy == nil)
        #expect(check.errors.map(\.description).contains(expected), "\(check.errors.map(\.description))")
    }

    @Test func allErrorsAreReportedNotJustTheFirst() throws {
        let check = ElasticInferencePool.check(try seed { o in
            setSpec("minReplicas", 20)(&o)
            setSpec("scaleUpThreshold", "P90>")(&o)
            setSpec("scaleDownThreshold", "bogus<1")(&o)
        })
        #expect(check.errors.count == 3)
    }

    @Test func fallbackOutsideTheBoundsIsAnError() throws {
        // As the CRD's CEL rule refuses it: a fallback the bounds would override is a mistake.
        let check = ElasticInferencePool.check(try seed(setSpec("behavior", ["fallback": ["replicas": 40]])))
        #expect(!check.isValid)
        #expect(check.errors.map(\.description) == ["spec.behavior.fallback.replicas: 40 is outside minReplicas..maxReplicas (2...12)"])
        #expect(ElasticInferencePool.check(try seed(setSpec("behavior", ["fallback": ["replicas": 12]]))).isValid)
    }

    @Test func aMisspeltInitContainerFieldIsAnErrorWithASuggestion() throws {
        let check = ElasticInferencePool.check(try seed(setSpec("warmupStrategy", [
            "initContainers": [["name": "loader", "image": "loader:1", "comand": ["sh"]]],
        ])))
        #expect(check.errors.map(\.description) == [#"spec.warmupStrategy.initContainers[0].comand: unknown field "comand"; did you mean "command"?"#])
    }

    @Test func stateIsReadFromStatus() throws {
        let check = ElasticInferencePool.check(try seed { o in
            o["status"] = ["scaleDownCandidateSince": "2026-11-27T10:00:00Z", "lastScaleUpTime": "not a time", "consecutiveMetricFailures": 2]
        })
        let state = try #require(check.pool?.state)
        #expect(state.scaleDownCandidateSince == Timestamp(rfc3339: "2026-11-27T10:00:00Z"))
        #expect(state.lastScaleUpTime == nil)
        #expect(state.consecutiveMetricFailures == 2)
        #expect(check.warnings.contains { $0.path.description == "status.lastScaleUpTime" })
        #expect(check.isValid)
    }

    @Test func expressionsGoThroughTheCache() throws {
        let cache = ThresholdExpressionCache()
        _ = ElasticInferencePool.check(try seed(), cache: cache)
        _ = ElasticInferencePool.check(try seed(), cache: cache)
        #expect(cache.count == 2)
    }
}
