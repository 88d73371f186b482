import JSON
import TestSupport
import Testing
@testable import YAML

@Suite("Scalar typing as kubectl does it")
struct ScalarTypingTests {
    @Test(arguments: [
        // booleans: YAML 1.1 words, as go-yaml v2 (kubectl) reads them
        ("true", JSONValue.bool(true)), ("True", .bool(true)), ("TRUE", .bool(true)),
        ("yes", .bool(true)), ("Yes", .bool(true)), ("on", .bool(true)), ("ON", .bool(true)), ("y", .bool(true)),
        ("false", .bool(false)), ("no", .bool(false)), ("off", .bool(false)), ("Off", .bool(false)), ("n", .bool(false)),
        // null
        ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null),
        // integers: Go ParseInt base 0
        ("0", .integer(0)), ("42", .integer(42)), ("-17", .integer(-17)), ("+5", .integer(5)),
        ("0755", .integer(493)), ("0o17", .integer(15)), ("0x1F", .integer(31)), ("0b101", .integer(5)),
        ("1_000", .integer(1000)), ("09", .integer(9)),
        // floats; integral floats become integers once turned into JSON
        ("1e3", .integer(1000)), ("1.5", .double(1.5)), (".5", .double(0.5)), ("-2.5e-3", .double(-0.0025)),
        ("1.0", .integer(1)),
        // strings
        ("yess", .string("yess")), ("2026-11-27", .string("2026-11-27")), ("1.2.3", .string("1.2.3")),
        ("0x", .string("0x")), ("e3", .string("e3")), ("85%", .string("85%")), ("200ms", .string("200ms")),
        ("P90>200ms", .string("P90>200ms")),
    ])
    func plainScalar(text: String, expected: JSONValue) throws {
        let value = try json("v: \(text)\n")["v"]
        #expect(value == expected)
        // Equality treats 1 and 1.0 alike; check the case too.
        if case .integer = expected { #expect(value?.intValue != nil && { if case .integer = value { true } else { false } }()) }
        if case .double = expected { #expect({ if case .double = value { true } else { false } }()) }
    }

    @Test func quotedScalarsAreAlwaysStrings() throws {
        #expect(try json("a: 'yes'\nb: \"0755\"\nc: \"\"\nd: ''\n") == ["a": "yes", "b": "0755", "c": "", "d": ""])
    }

    @Test func keysThatResolveToOtherTypesBecomeTheirJSONText() throws {
        // `on:` is the key "true" to kubectl: the famous trap, reproduced faithfully.
        let value = try json("on: 1\n1: x\n")
        #expect(value == ["true": 1, "1": "x"], "\(value.compactText)")
    }

    @Test func coreTags() throws {
        #expect(try json("a: !!str 0755\nb: !!int \"12\"\nc: !!float 1\nd: !!bool yes\ne: ! on\n")
            == ["a": "0755", "b": 12, "c": 1, "d": true, "e": "on"])
    }

    @Test func infinityAndNaNAreRejected() {
        #expect(throws: YAMLError.self) { try json("v: .inf\n") }
        #expect(throws: YAMLError.self) { try json("v: .nan\n") }
    }

    @Test func stringsWithIndicatorsInside() throws {
        #expect(try json("a: x-y\nb: -1\nc: a:b\nd: what?\ne: 'it''s'\n")
            == ["a": "x-y", "b": -1, "c": "a:b", "d": "what?", "e": "it's"])
    }
}

@Suite("Quoted scalars")
struct QuotedScalarTests {
    @Test(arguments: [
        (#""a\tb""#, "a\tb"), (#""line\nbreak""#, "line\nbreak"), (#""quote \" and \\ backslash""#, "quote \" and \\ backslash"),
        (#""\x41\u00e9\U0001F600""#, "Aé😀"), (#""\/\0""#, "/\0"), (#""nbsp\_""#, "nbsp\u{A0}"),
        ("'single ''quoted'' \\n stays'", "single 'quoted' \\n stays"),
    ])
    func escapes(text: String, expected: String) throws {
        #expect(try json("v: \(text)\n")["v"] == .string(expected))
    }

    @Test func multiLineQuotedFolds() throws {
        #expect(try json("v: \"one\n  two\n\n  three\"\n")["v"] == "one two\nthree")
        #expect(try json("v: 'one\n  two'\n")["v"] == "one two")
        #expect(try json("v: \"join\\\n   ed\"\n")["v"] == "joined")
    }

    @Test func unknownEscapeIsAnErrorWithItsPosition() {
        let error = #expect(throws: YAMLError.self) { try json("v: \"bad \\q\"\n") }
        #expect(error?.mark == YAMLMark(line: 1, column: 9))
        #expect(error?.message.contains("unknown escape") == true)
    }

    @Test func unterminatedQuoteNamesWhereItOpened() {
        let error = #expect(throws: YAMLError.self) { try json("a: 1\nb: \"open\n") }
        #expect(error?.message.contains("line 2, column 4") == true)
    }
}

@Suite("Block scalars")
struct BlockScalarTests {
    @Test(arguments: [
        ("|\n  a\n  b\n\n", "a\nb\n"),            // clip: one trailing newline
        ("|-\n  a\n  b\n\n", "a\nb"),             // strip
        ("|+\n  a\n  b\n\n", "a\nb\n\n"),         // keep
        (">\n  a\n  b\n\n  c\n", "a b\nc\n"),     // folded
        (">-\n  a\n    more\n  b\n", "a\n  more\nb"),  // more-indented lines keep their breaks
        ("|2\n    two extra\n  base\n", "  two extra\nbase\n"),  // indentation indicator
        ("|\n\n  leading empty\n", "\nleading empty\n"),
        ("|\n  # not a comment\n", "# not a comment\n"),
    ])
    func blockScalar(body: String, expected: String) throws {
        #expect(try json("v: \(body)")["v"] == .string(expected))
    }

    @Test func blockScalarEndsAtLessIndentedKey() throws {
        #expect(try json("script: |\n  echo hi\n  exit 0\nnext: 1\n") == ["script": "echo hi\nexit 0\n", "next": 1])
    }

    @Test func blockScalarInSequence() throws {
        #expect(try json("- |\n  a\n- b\n") == ["a\n", "b"])
    }

    @Test func headerMustEndTheLine() {
        #expect(throws: YAMLError.self) { try json("v: | text\n") }
    }
}

@Suite("Errors carry line and column")
struct YAMLErrorTests {
    @Test(arguments: [
        ("a: 1\n\tb: 2\n", 2, 1, "tab"),
        ("a: 1\na: 2\n", 2, 1, "duplicate mapping key \"a\""),
        ("a: b: c\n", 1, 4, "mapping cannot start on the same line"),
        ("a:\n  b: 1\n   c: 2\n", 3, 4, "unexpected indentation"),
        ("a: [1, 2\nb: 3\n", 3, 1, "unterminated flow sequence (opened at line 1, column 4)"),
        ("a: {x: 1\n", 2, 1, "unterminated flow mapping"),
        ("a: *nope\n", 1, 4, "unknown alias '*nope'"),
        ("x: {? complex: value}\n", 1, 5, "explicit keys ('?') are not supported in flow collections"),
        ("a: !custom x\n", 1, 4, "the tag !custom is not supported"),
        ("%TAG ! tag:x\n---\na: 1\n", 1, 1, "%TAG is not supported"),
        ("a: @x\n", 1, 4, "cannot start with '@'"),
        ("key: - a\n", 1, 6, "block sequence cannot start on the same line"),
        ("- a\nb: 1\n", 2, 1, "unexpected content after the end of the document"),
        ("{a: 1, a: 2}\n", 1, 8, "duplicate mapping key"),
        ("a: !!int abc\n", 1, 10, "'abc' is not a valid int"),
    ])
    func error(text: String, line: Int, column: Int, message: String) {
        let error = #expect(throws: YAMLError.self) { try YAMLReader.jsonValues(in: text) }
        #expect(error?.mark == YAMLMark(line: line, column: column), "\(error?.description ?? "")")
        #expect(error?.message.contains(message) == true, "\(error?.description ?? "")")
    }

    /// A million nodes built before the limit stops them: seconds of CPU in a debug build, on a thread
    /// of its own so that the cooperative pool (two threads here) keeps serving the other tests.
    @Test(.runsOnOwnThreads) func aliasBombIsStopped() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...7 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let error = #expect(throws: YAMLError.self) { try YAMLReader.jsonValues(in: text) }
        #expect(error?.message.contains("expands to more than") == true)
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let text = String(repeating: "[", count: 10_000)
        #expect(throws: YAMLError.self) { try YAMLReader.jsonValues(in: text) }
    }

    @Test func aliasesCannotNestPastTheDepthLimit() {
        // Each line nests the previous anchor 100 levels deeper: 300 levels in three lines, without
        // the parser ever recursing 300 deep. The limit holds for the tree, aliases expanded.
        var text = "a0: &a0 x\n"
        for i in 1...3 {
            text += "a\(i): &a\(i) " + String(repeating: "[", count: 100) + "*a\(i - 1)" + String(repeating: "]", count: 100) + "\n"
        }
        let error = #expect(throws: YAMLError.self) { try YAMLReader.jsonValues(in: text) }
        #expect(error?.message.contains("nesting deeper than 256 levels (aliases included)") == true, "\(error?.description ?? "")")
        #expect(error?.mark.line == 4)
        // Two such lines (201 levels) are within the limit.
        #expect(throws: Never.self) { try YAMLReader.jsonValues(in: text.split(separator: "\n").prefix(3).joined(separator: "\n")) }
    }
}

@Suite("Node positions")
struct NodePositionTests {
    @Test func pathLookupFindsMarks() throws {
        let text = "spec:\n  scaleUpThreshold: \"P90>200ms\"\n  items:\n  - name: a\n"
        let root = try #require(try YAMLReader.documents(in: text).first).root
        let threshold = try #require(root.node(at: [.key("spec"), .key("scaleUpThreshold")]))
        #expect(threshold.mark == YAMLMark(line: 2, column: 21))
        #expect(threshold.textColumn == 22)
        #expect(root.node(at: [.key("spec"), .key("items"), .index(0), .key("name")])?.mark == YAMLMark(line: 4, column: 11))
        #expect(root.closestMark(to: [.key("spec"), .key("missing")]) == YAMLMark(line: 2, column: 3))
    }
}
