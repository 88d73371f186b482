import Testing
@testable import JSON

@Suite("JSON parsing and printing")
struct JSONTests {
    @Test func roundTripKeepsKeyOrderAndTypes() throws {
        let text = #"{"b":1,"a":[true,false,null,"s",-2.5,1e3,0],"c":{"z":{},"y":[]}}"#
        let value = try JSONValue(parsing: text)
        #expect(value.objectValue?.keys == ["b", "a", "c"])
        #expect(value["a"]?.arrayValue?[5] == .double(1000))
        #expect(value.compactText == #"{"b":1,"a":[true,false,null,"s",-2.5,1000,0],"c":{"z":{},"y":[]}}"#)
        #expect(try JSONValue(parsing: value.prettyText) == value)
    }

    @Test func integersAndDoubles() throws {
        #expect(try JSONValue(parsing: "42") == .integer(42))
        if case .integer = try JSONValue(parsing: "42") {} else { Issue.record("42 should be an integer") }
        if case .double = try JSONValue(parsing: "42.0") {} else { Issue.record("42.0 should be a double") }
        #expect(try JSONValue(parsing: "42.0") == .integer(42))  // equal as numbers
        #expect(try JSONValue(parsing: "9223372036854775807") == .integer(Int.max))
        if case .double = try JSONValue(parsing: "9223372036854775808") {} else { Issue.record("overflow becomes a double") }
    }

    @Test func stringEscapesBothWays() throws {
        let value = try JSONValue(parsing: #""a\"b\\c\/d\n\t\u00e9\ud83d\ude00\u0001""#)
        #expect(value == .string("a\"b\\c/d\n\té😀\u{01}"))
        #expect(value.compactText == #""a\"b\\c/d\n\té😀\u0001""#)
    }

    @Test(arguments: [
        ("", 1, 1, "expected a value, found the end of the input"),
        ("{\"a\":1,}", 1, 8, "expected a string key"),
        ("{\"a\":1 \"b\":2}", 1, 8, "expected ',' or '}'"),
        ("[1,2", 1, 5, "expected ',' or ']', found the end of the input"),
        ("{\"a\":1,\"a\":2}", 1, 8, "duplicate key \"a\""),
        ("01", 1, 1, "leading zeros are not allowed"),
        ("\"\\x\"", 1, 2, "invalid escape '\\x'"),
        ("\"abc", 1, 5, "unterminated string"),
        ("\"\\ud800\"", 1, 8, "unpaired surrogate in \\u escape"),
        ("tru", 1, 1, "expected a value"),
        ("{}\n  x", 2, 3, "unexpected text after the JSON value"),
        ("1.", 1, 3, "expected a digit after '.'"),
        ("\"a\nb\"", 1, 3, "control character in a string (escape it)"),
    ])
    func errorsCarryLineAndColumn(text: String, line: Int, column: Int, message: String) {
        let error = #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
        #expect(error == JSONParseError(line: line, column: column, message: message), "\(error?.description ?? "")")
    }

    @Test func deepNestingIsAnError() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: String(repeating: "[", count: 100_000)) }
    }

    @Test func objectEqualityIgnoresOrderAndRemovalWorks() {
        var a: JSONObject = ["x": 1, "y": 2]
        let b: JSONObject = ["y": 2, "x": 1]
        #expect(a == b)
        a["x"] = nil
        #expect(a.keys == ["y"])
        a["x"] = 3
        #expect(a.keys == ["y", "x"])
    }

    @Test func integralDoublesPrintWithoutFraction() {
        #expect(JSONValue.double(3).compactText == "3")
        #expect(JSONValue.double(0.25).compactText == "0.25")
        #expect(JSONValue.double(.nan).compactText == "null")
    }
}

@Suite("JSON merge patch (RFC 7386) and JSON patch (RFC 6902)")
struct JSONPatchTests {
    @Test func mergePatchExamplesFromTheRFC() throws {
        let target: JSONValue = ["title": "Goodbye!", "author": ["givenName": "John", "familyName": "Doe"], "tags": ["example", "sample"], "content": "x"]
        let patch: JSONValue = ["title": "Hello!", "phoneNumber": "+01-123-456-7890", "author": ["familyName": .null], "tags": ["example"]]
        #expect(target.applyingMergePatch(patch) == ["title": "Hello!", "author": ["givenName": "John"], "tags": ["example"], "content": "x", "phoneNumber": "+01-123-456-7890"])
        #expect((["a": "b"] as JSONValue).applyingMergePatch(["a": "c"]) == ["a": "c"])
        #expect((["a": "b"] as JSONValue).applyingMergePatch(["a": .null]) == [:])
        #expect((["a": ["b": "c"]] as JSONValue).applyingMergePatch(["a": ["b": "d", "c": .null]]) == ["a": ["b": "d"]])
        #expect((["a": [1, 2]] as JSONValue).applyingMergePatch(["a": [3]]) == ["a": [3]])
        #expect(JSONValue.string("string").applyingMergePatch(["a": "b"]) == ["a": "b"])
    }

    @Test func everyOperation() throws {
        let doc: JSONValue = ["a": ["b": [1, 2, 3]], "c": "x", "d~e/f": 1]
        let result = try JSONPatch.apply([
            ["op": "add", "path": "/a/b/1", "value": 9],
            ["op": "add", "path": "/a/b/-", "value": 10],
            ["op": "remove", "path": "/c"],
            ["op": "replace", "path": "/d~0e~1f", "value": 2],
            ["op": "copy", "from": "/a/b/0", "path": "/first"],
            ["op": "move", "from": "/first", "path": "/moved"],
            ["op": "test", "path": "/moved", "value": 1],
        ], to: doc)
        #expect(result == ["a": ["b": [1, 9, 2, 3, 10]], "d~e/f": 2, "moved": 1])
    }

    @Test func failuresAreAllOrNothing() {
        let doc: JSONValue = ["a": 1]
        let failedTest = #expect(throws: JSONPatchError.self) { try JSONPatch.apply([["op": "test", "path": "/a", "value": 2]], to: doc) }
        #expect(failedTest?.isFailedTest == true)
        let missing = #expect(throws: JSONPatchError.self) { try JSONPatch.apply([["op": "replace", "path": "/nope", "value": 2]], to: doc) }
        #expect(missing?.isFailedTest == false)
        #expect(throws: JSONPatchError.self) { try JSONPatch.apply([["op": "jump", "path": "/a"]], to: doc) }
        #expect(throws: JSONPatchError.self) { try JSONPatch.apply(["not an op list"], to: doc) }
    }
}
