import Foundation
import JSON
import TestSupport
import Testing
@testable import YAML

/// Reads one document and converts it to JSON.
func json(_ text: String) throws -> JSONValue {
    let values = try YAMLReader.jsonValues(in: text)
    guard values.count == 1 else { throw YAMLError("expected one document, got \(values.count)", at: YAMLMark(line: 0, column: 0)) }
    return values[0]
}

@Suite("Block structure")
struct BlockStructureTests {
    @Test func nestedMappingsAndSequences() throws {
        let text = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: triton
          labels: {app: triton, tier: "gpu"}
        spec:
          replicas: 2
          template:
            spec:
              containers:
              - name: server
                image: nvcr.io/nvidia/tritonserver:24.01-py3
                args: ["--model-repository=/models"]
                ports:
                  - containerPort: 8002
                    name: metrics
        """
        let expected: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "triton", "labels": ["app": "triton", "tier": "gpu"]],
            "spec": ["replicas": 2, "template": ["spec": ["containers": [[
                "name": "server", "image": "nvcr.io/nvidia/tritonserver:24.01-py3",
                "args": ["--model-repository=/models"],
                "ports": [["containerPort": 8002, "name": "metrics"]],
            ]]]]],
        ]
        #expect(try json(text) == expected)
    }

    @Test func keyOrderIsKept() throws {
        let value = try json("b: 1\na: 2\nc: 3\n")
        #expect(value.objectValue?.keys == ["b", "a", "c"])
    }

    @Test func emptyValuesAreNull() throws {
        #expect(try json("a:\nb: ~\nc: null\n") == ["a": .null, "b": .null, "c": .null])
        #expect(try json("- \n- a\n-\n") == [.null, "a", .null])
    }

    @Test func nestedSequencesAndCompactForms() throws {
        #expect(try json("- - a\n  - b\n- c\n") == [["a", "b"], "c"])
        #expect(try json("a:\n- 1\n- 2\nb: x\n") == ["a": [1, 2], "b": "x"])
        #expect(try json("- a: 1\n  b: 2\n- c: 3\n") == [["a": 1, "b": 2], ["c": 3]])
    }

    @Test func commentsEverywhere() throws {
        let text = """
        # leading comment
        a: 1 # trailing
          # indented comment line
        b: "x # not a comment"
        c: y#not-a-comment
        """
        #expect(try json(text) == ["a": 1, "b": "x # not a comment", "c": "y#not-a-comment"])
    }

    @Test func multiLinePlainScalarsFold() throws {
        #expect(try json("a: one\n  two\n\n  three\nb: x\n") == ["a": "one two\nthree", "b": "x"])
    }

    @Test func windowsLineEndings() throws {
        #expect(try json("a: 1\r\nb:\r\n  - x\r\n") == ["a": 1, "b": ["x"]])
    }

    @Test func colonsInsidePlainScalars() throws {
        #expect(try json("image: nvcr.io/nvidia/pytorch:23.10-py3\nurl: http://x:8080/p\n")
            == ["image": "nvcr.io/nvidia/pytorch:23.10-py3", "url": "http://x:8080/p"])
    }

    @Test func quotedKeys() throws {
        #expect(try json("\"a b\": 1\n'c': 2\n") == ["a b": 1, "c": 2])
    }
}

@Suite("Documents")
struct DocumentTests {
    @Test func severalDocumentsAndEmptyOnesDropped() throws {
        let text = "---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n---\n- x\n"
        #expect(try YAMLReader.jsonValues(in: text) == [["a": 1], ["b": 2], ["x"]])
    }

    @Test func directivesAreRefusedAsKubectlCannotReadThem() {
        let error = #expect(throws: YAMLError.self) { try YAMLReader.jsonValues(in: "%YAML 1.2\n---\na: 1\n") }
        #expect(error?.message.contains("kubectl cannot read a file with a directive") == true)
    }

    @Test func emptyStreamHasNoDocuments() throws {
        #expect(try YAMLReader.jsonValues(in: "").isEmpty)
        #expect(try YAMLReader.jsonValues(in: "# nothing\n\n").isEmpty)
    }

    @Test func jsonIsReadAsYAML() throws {
        let text = #"{"kind": "List", "items": [{"a": 1.5, "b": [true, null]}], "c":"d"}"#
        #expect(try json(text) == ["kind": "List", "items": [["a": 1.5, "b": [true, .null]]], "c": "d"])
    }
}

@Suite("Anchors, aliases and merge keys")
struct AnchorTests {
    @Test func aliasCopiesTheAnchoredNode() throws {
        let text = "base: &b {cpu: 1}\nuse: *b\nlist: [&x 5, *x]\n"
        #expect(try json(text) == ["base": ["cpu": 1], "use": ["cpu": 1], "list": [5, 5]])
    }

    @Test func mergeKeysExplicitWins() throws {
        let text = """
        defaults: &d
          a: 1
          b: 2
        item:
          <<: *d
          b: 3
        """
        #expect(try json(text) == ["defaults": ["a": 1, "b": 2], "item": ["b": 3, "a": 1]])
    }

    @Test func mergeListOfMaps() throws {
        let text = "x: &x {a: 1}\ny: &y {a: 2, b: 2}\nz:\n  <<: [*x, *y]\n"
        #expect(try json(text)["z"] == ["a": 1, "b": 2])
    }

    @Test func anchoredBlockCollection() throws {
        let text = "a: &anchor\n  k: v\nb: *anchor\n"
        #expect(try json(text) == ["a": ["k": "v"], "b": ["k": "v"]])
    }
}

@Suite("Every manifest in the repository", .runsOnOwnThreads)
struct RepositoryManifestTests {
    static let root = repositoryRoot

    static let files: [String] = {
        let fm = FileManager.default
        return ["CRDs", "Manifests", "Manifests/samples"].flatMap { dir -> [String] in
            let entries = (try? fm.contentsOfDirectory(atPath: root + "/" + dir)) ?? []
            return entries.filter { $0.hasSuffix(".yaml") }.sorted().map { dir + "/" + $0 }
        }
    }()

    @Test func thereAreManifests() {
        #expect(Self.files.count >= 4)
    }

    @Test(arguments: files)
    func readsAsKubernetesObjects(file: String) throws {
        let text = try #require(FileManager.default.contents(atPath: Self.root + "/" + file).flatMap { String(data: $0, encoding: .utf8) })
        let objects = try YAMLReader.jsonValues(in: text)
        #expect(!objects.isEmpty)
        for object in objects {
            #expect(object["apiVersion"]?.stringValue?.isEmpty == false, "\(file)")
            #expect(object["kind"]?.stringValue?.isEmpty == false, "\(file)")
        }
    }
}
