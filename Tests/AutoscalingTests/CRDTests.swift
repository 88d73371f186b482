import JSON
import TestSupport
import Testing
import YAML
@testable import Autoscaling

@Suite("The CRD")
struct CRDTests {
    func crd() throws -> JSONValue {
        let text = try #require(FileManagerLite.read(repositoryRoot + "/CRDs/aiops.example.com_elasticinferencepools.yaml"))
        return try #require(try YAMLReader.jsonValues(in: text).first)
    }

    func version() throws -> JSONValue {
        try #require(try crd()["spec"]?["versions"]?.arrayValue?.first)
    }

    @Test func namesScopeAndSubresources() throws {
        let crd = try crd()
        #expect(crd["metadata"]?["name"] == "elasticinferencepools.aiops.example.com")
        #expect(crd["spec"]?["group"] == "aiops.example.com")
        #expect(crd["spec"]?["scope"] == "Namespaced")
        #expect(crd["spec"]?["names"]?["kind"] == "ElasticInferencePool")
        #expect(crd["spec"]?["names"]?["shortNames"] == ["eip"])
        let v = try version()
        #expect(v["name"] == "v1alpha2")
        #expect(v["storage"] == true)
        #expect(v["subresources"]?["status"] == [:])
        // What kubectl get eip prints: the target and readiness first, the observations with -o wide.
        let columns = v["additionalPrinterColumns"]?.arrayValue ?? []
        #expect(columns.filter { ($0["priority"]?.intValue ?? 0) == 0 }.map { $0["name"]?.stringValue } ==
                ["Target", "Min", "Max", "Desired", "Ready-Replicas", "Ready", "Reason", "Age"])
        #expect(columns.filter { $0["priority"]?.intValue == 1 }.map { $0["name"]?.stringValue } == ["Model", "P90", "GPU", "Capacity", "Paused", "Metrics"])
        #expect(columns.first { $0["name"] == "Ready" }?["jsonPath"] == #".status.conditions[?(@.type=="Ready")].status"#)
        #expect(columns.first { $0["name"] == "Capacity" }?["jsonPath"] == ".status.learned.capacityPerReplica")
        // `kubectl delete all --all` must not take pools (and undo their warmup) with it.
        #expect(crd["spec"]?["names"]?["categories"] == nil)
    }

    /// `kubectl explain eip.spec…` has something to say about every field of the spec.
    @Test func everySpecFieldIsDescribed() throws {
        let spec = try #require(try version()["schema"]?["openAPIV3Schema"]?["properties"]?["spec"])
        var undescribed: [String] = []
        func walk(_ node: JSONValue, _ path: String) {
            if node["description"] == nil { undescribed.append(path) }
            for (name, child) in node["properties"]?.objectValue ?? [:] { walk(child, path + "." + name) }
            if let items = node["items"], items["properties"] != nil { walk(items, path + "[]") }
        }
        walk(spec, "spec")
        #expect(undescribed.isEmpty, "\(undescribed)")
    }

    /// Only what Kubernetes 1.27 has: `rule` and `message` (`fieldPath`, `reason`, `messageExpression`
    /// and `optionalOldSelf` are 1.28 or later), and the cross-field rules the validator also checks.
    @Test func celRulesAreThoseOf127() throws {
        let root = try #require(try version()["schema"]?["openAPIV3Schema"])
        var rules: [String: [JSONValue]] = [:]
        func walk(_ node: JSONValue, _ path: String) {
            if let list = node["x-kubernetes-validations"]?.arrayValue { rules[path] = list }
            for (name, child) in node["properties"]?.objectValue ?? [:] { walk(child, path + "." + name) }
            if let items = node["items"] { walk(items, path + "[]") }
        }
        walk(root, "")
        for rule in rules.values.flatMap({ $0 }) {
            let keys = Set(rule.objectValue?.keys ?? [])
            #expect(keys.isSubset(of: ["rule", "message"]), "\(rule)")
        }
        #expect(rules[".spec"]?.compactMap { $0["message"]?.stringValue } ==
                ["minReplicas must not be greater than maxReplicas", "behavior.fallback.replicas must be within minReplicas..maxReplicas"])
        #expect(rules[".spec.behavior.scaleUp"]?.first?["rule"] == "!has(self.pods) || !has(self.percent) || self.pods > 0 || self.percent > 0")
        #expect(rules[".spec.behavior.scaleDown"]?.first?["rule"] == rules[".spec.behavior.scaleUp"]?.first?["rule"])
    }

    @Test func specSchemaMatchesTheValidator() throws {
        let spec = try #require(try version()["schema"]?["openAPIV3Schema"]?["properties"]?["spec"])
        #expect(Set(spec["properties"]?.objectValue?.keys ?? []) == Set(ElasticInferencePool.specFields))
        #expect(spec["required"] == ["modelRef", "maxReplicas", "scaleUpThreshold", "scaleDownThreshold"])
        #expect(spec["x-kubernetes-validations"]?.arrayValue?.first?["rule"] == "self.minReplicas <= self.maxReplicas")
        #expect(spec["properties"]?["minReplicas"]?["default"] == .integer(Defaults.minReplicas))
        #expect(spec["properties"]?["maxReplicas"]?["maximum"] == .integer(Defaults.maxReplicasLimit))
        let behavior = spec["properties"]?["behavior"]?["properties"]
        #expect(behavior?["scaleUp"]?["properties"]?["pods"]?["default"] == .integer(Defaults.scaleUpPods))
        #expect(behavior?["scaleDown"]?["properties"]?["stabilizationWindowSeconds"]?["default"] == .integer(Defaults.scaleDownStabilizationWindowSeconds))
        #expect(behavior?["pollInterval"]?["default"] == "5s")
    }

    /// Structural schema rules (apiextensions): every node has a type (or is an int-or-string), every
    /// object declares its properties, and no unknown field is preserved: the init containers have
    /// the core/v1 Container schema, so a misspelt field is a field error at apply.
    @Test func schemaIsStructural() throws {
        let root = try #require(try version()["schema"]?["openAPIV3Schema"])
        var preserved: [String] = []
        func walk(_ node: JSONValue, _ path: String) {
            #expect(node["type"] != nil || node["x-kubernetes-int-or-string"] == true, "\(path) has no type")
            if node["x-kubernetes-preserve-unknown-fields"] == true { preserved.append(path) }
            if node["type"] == "object", node["x-kubernetes-preserve-unknown-fields"] == nil, path != ".metadata" {
                #expect(node["properties"] != nil || node["additionalProperties"] != nil, "\(path) declares no properties")
            }
            for (name, child) in node["properties"]?.objectValue ?? [:] { walk(child, path + "." + name) }
            if let items = node["items"] { walk(items, path + "[]") }
            if let additional = node["additionalProperties"], additional.objectValue != nil { walk(additional, path + "{}") }
        }
        walk(root, "")
        #expect(preserved.isEmpty, "\(preserved)")
        let container = root["properties"]?["spec"]?["properties"]?["warmupStrategy"]?["properties"]?["initContainers"]?["items"]
        #expect(Set(container?["properties"]?.objectValue?.keys ?? []) == Set(ElasticInferencePool.containerFields))
        #expect(container?["required"] == ["image", "name"])
    }
}
