import JSON
import Testing
@testable import YAML

@Suite("Emitter")
struct YAMLEmitterTests {
    @Test func roundTripsThroughTheReader() throws {
        let value: JSONValue = [
            "kind": "Deployment", "yes": "yes", "octal": "0755", "n": 3, "f": 0.25, "empty": "", "nil": .null,
            "list": [["name": "a", "args": ["x: y", "#hash"]], "plain", [1, 2]], "obj": [:], "arr": [],
            "multi": "line1\nline2", "expr": "P90>200ms || gpu.util>85%",
        ]
        let text = YAMLEmitter.text(of: value)
        #expect(try json(text) == value, "\(text)")
    }

    @Test func kubectlLayout() {
        let text = YAMLEmitter.text(of: ["spec": ["initContainers": [["name": "a", "image": "b"]]]])
        #expect(text == "spec:\n  initContainers:\n  - name: a\n    image: b\n")
    }

    @Test func aLeadingCombiningMarkInAKeyIsKept() throws {
        // In a sequence item the first key follows "- "; sliced by Characters, the space and the
        // combining mark were one character and the mark was dropped.
        let value: JSONValue = [["\u{301}a": 1, "b": 2]]
        let text = YAMLEmitter.text(of: value)
        #expect(text == "- \u{301}a: 1\n  b: 2\n")
        #expect(try YAMLReader.jsonValues(in: text) == [value])
    }

    /// Strings that read back as something else when written carelessly, each as a key and as a value.
    static let trickyStrings: [String] = [
        "\u{301}a", "a: \u{301}b", "a \u{301}#b", "<<", "---", "--- x", "...", "... x", "-", "- x", "? x", ": x", "@x", "`x", "%x",
        "!x", "&x", "*x", "|", ">", "'", "\"", "#x", "a #b", "a: b", "a:", "[x]", "{x}", ",x", " lead", "trail ", "tab\tin",
        "line\nbreak", "\r", "\0", "\u{7F}", "\u{85}", "\u{9F}", "\u{A0}", "\u{2028}", "\u{2029}", "\u{FEFF}bom", "\u{FFFE}", "\u{FFFF}",
        "\u{1F600}", "e\u{301}", "true", "yes", "on", "y", "null", "~", "", "0755", "0x1F", "1e3", "1e400", ".inf", ".nan",
        "18446744073709551615", "2001-12-14", "\\", "a\\nb", "\u{10FFFF}",
    ]

    @Test(arguments: trickyStrings)
    func tricky(string: String) throws {
        let value: JSONValue = .object(JSONObject([
            ("k", .string(string)), ("list", [.string(string), .object(JSONObject([(string, 1)]))]), (string == "k" ? "kk" : string, "v"),
        ]))
        let text = YAMLEmitter.text(of: value)
        #expect(try YAMLReader.jsonValues(in: text) == [value], "\(text)")
    }

    @Test func keysTooLongForAnImplicitKeyAreWrittenExplicitly() throws {
        let long = String(repeating: "k", count: 1100)
        let inner: JSONValue = ["a": 1]
        let pair: JSONValue = [1, 2]
        let item: JSONValue = .object(JSONObject([(long, pair), ("b", 2)]))
        let value: JSONValue = .object(JSONObject([(long, inner), ("list", [item])]))
        let text = YAMLEmitter.text(of: value)
        #expect(text.hasPrefix("? \(long)\n:\n  a: 1\n"), "\(text.prefix(40))")
        #expect(try YAMLReader.jsonValues(in: text) == [value])
    }

    @Test func controlsAndLineSeparatorsAreEscaped() {
        #expect(YAMLEmitter.text(of: ["k": "a\u{85}b\u{2028}c\u{7F}d\u{FEFF}\u{1}"]) == "k: \"a\\Nb\\Lc\\x7Fd\\uFEFF\\x01\"\n")
    }
}
