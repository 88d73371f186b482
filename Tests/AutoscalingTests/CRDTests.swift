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
        #expect(v["additionalPrinterColumns"]?.arrayValue?.map { $0["name"]?.stringValue } == ["Model", "Min", "Max", "Desired", "Ready", "P90", "GPU", "Age", "Metrics"])
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

    /// Structural schema rules (apiextensions): every node has a type, every object declares its
    /// properties, and unknown fields are preserved only inside the embedded core/v1 Containers.
    @Test func schemaIsStructural() throws {
        let root = try #require(try version()["schema"]?["openAPIV3Schema"])
        var preserved: [String] = []
        func walk(_ node: JSONValue, _ path: String) {
            #expect(node["type"] != nil, "\(path) has no type")
            if node["x-kubernetes-preserve-unknown-fields"] == true { preserved.append(path) }
            if node["type"] == "object", node["x-kubernetes-preserve-unknown-fields"] == nil, path != ".metadata" {
                #expect(node["properties"] != nil || node["additionalProperties"] != nil, "\(path) declares no properties")
            }
            for (name, child) in node["properties"]?.objectValue ?? [:] { walk(child, path + "." + name) }
            if let items = node["items"] { walk(items, path + "[]") }
            if let additional = node["additionalProperties"], additional.objectValue != nil { walk(additional, path + "{}") }
        }
        walk(root, "")
        #expect(preserved == [".spec.warmupStrategy.initContainers[]"])
    }
}
