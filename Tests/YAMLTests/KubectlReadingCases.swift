import JSON
@testable import YAML

/// What this reader makes of a document: a value, or a refusal whose message contains `message`,
/// at `line`:`column` of the document.
enum Reading: Sendable {
    case value(JSONValue)
    case refused(String, line: Int, column: Int)
}

/// How kubectl 1.37 (go-yaml v2 through sigs.k8s.io/yaml, as `kubectl label --local -f - -o json`
/// shows it) reads the same document.
enum KubectlReading: Sendable {
    /// The value we read, or a refusal where we refuse.
    case same
    /// A divergence we keep, listed in the README: kubectl reads this value where we refuse.
    case reads(JSONValue)
    /// A divergence we keep, listed in the README: kubectl refuses what we read.
    case refuses
    /// A divergence we keep: kubectl reads one of these, which one by chance (Go's map order).
    case readsOneOf([JSONValue])
}

/// One document, what we read from it, and what kubectl reads from it. Every case is checked
/// against our reader; when kubectl is installed, against kubectl too (``KubectlReadingTests``).
struct ReadingCase: Sendable, CustomStringConvertible {
    let name: String
    let yaml: String
    let reading: Reading
    var kubectl: KubectlReading = .same
    /// Where the kubectl check puts the object's `apiVersion`/`kind`/`metadata`: before the case
    /// (the default), or after it when the case must start the file (a directive).
    var envelopeAfter = false

    var description: String { name }
}

/// The cases, by the items.
enum ReadingCases {
    /// Item 1: every key of a block mapping is read alike, the first or a later one.
    static let keys: [ReadingCase] = [
        ReadingCase(name: "a tagged key after the first", yaml: "a: \"1\"\n!!str b: \"2\"\n", reading: .value(["a": "1", "b": "2"])),
        ReadingCase(name: "a tagged first key", yaml: "!!str b: \"2\"\na: 1\n", reading: .value(["b": "2", "a": 1])),
        ReadingCase(name: "a tag that types a later key", yaml: "a: 1\n!!int 0x10: 2\n", reading: .value(["a": 1, "16": 2])),
        ReadingCase(name: "a later key's tag checks its text", yaml: "a: 1\n!!int x: 2\n",
                    reading: .refused("'x' is not a valid int", line: 2, column: 7)),
        ReadingCase(name: "the non-specific tag on a later key", yaml: "a: 1\n! b: 2\n", reading: .value(["a": 1, "b": 2])),
        ReadingCase(name: "an alias as a later key", yaml: "a: &n x\n*n : \"1\"\n", reading: .value(["a": "x", "x": "1"])),
        ReadingCase(name: "an alias key ended by ':'", yaml: "a: &n x\n*n: \"1\"\n", reading: .value(["a": "x", "x": "1"])),
        ReadingCase(name: "an anchor on the first key", yaml: "&k a: 1\nb: *k\n", reading: .value(["a": 1, "b": "a"])),
        ReadingCase(name: "an anchor on a later key", yaml: "a: 1\n&k b: 2\nc: *k\n", reading: .value(["a": 1, "b": 2, "c": "b"])),
        ReadingCase(name: "an anchor and a tag on a later key", yaml: "a: 1\n&k !!str 5: 2\nc: *k\n", reading: .value(["a": 1, "5": 2, "c": "5"])),
        ReadingCase(name: "an anchored first key in a sequence item", yaml: "s:\n- &k b: 2\n  c: *k\n", reading: .value(["s": [["b": 2, "c": "b"]]])),
        ReadingCase(name: "quoted later keys", yaml: "a: 1\n\"b\" : 2\n'c': 3\n", reading: .value(["a": 1, "b": 2, "c": 3])),
        ReadingCase(name: "a flow sequence as a later key", yaml: "a: 1\n[x, y]: 2\n",
                    reading: .refused("a flow collection cannot be a mapping key", line: 2, column: 1)),
        ReadingCase(name: "a flow sequence as the first key", yaml: "[x, y]: 2\n",
                    reading: .refused("a flow collection cannot be a mapping key", line: 1, column: 1)),
        ReadingCase(name: "a flow mapping as a later key", yaml: "a: 1\n{x: 1}: 2\n",
                    reading: .refused("a flow collection cannot be a mapping key", line: 2, column: 1)),
        ReadingCase(name: "an alias of a mapping as a key", yaml: "a: &m {c: 1}\n*m : 2\n",
                    reading: .refused("names a collection, which cannot be a mapping key", line: 2, column: 1)),
        ReadingCase(name: "'@' starting a later key", yaml: "a: 1\n@b: 2\n", reading: .refused("cannot start with '@'", line: 2, column: 1)),
        ReadingCase(name: "'@' starting the first key", yaml: "@b: 2\n", reading: .refused("cannot start with '@'", line: 1, column: 1)),
        ReadingCase(name: "'`' starting a later key", yaml: "a: 1\n`b: 2\n", reading: .refused("cannot start with '`'", line: 2, column: 1)),
        ReadingCase(name: "'%' starting a later key", yaml: "a: 1\n%b: 2\n", reading: .refused("cannot start with '%'", line: 2, column: 1)),
        ReadingCase(name: "'%' starting a nested key", yaml: "a:\n  %b: 2\n", reading: .refused("cannot start with '%'", line: 2, column: 3)),
        ReadingCase(name: "',' starting a later key", yaml: "a: 1\n,b: 2\n", reading: .refused("cannot start with ','", line: 2, column: 1)),
        ReadingCase(name: "']' starting a later key", yaml: "a: 1\n]b: 2\n", reading: .refused("cannot start with ']'", line: 2, column: 1)),
        ReadingCase(name: "'|' as a later key", yaml: "a: 1\n|: 2\n", reading: .refused("a block scalar cannot be an implicit mapping key", line: 2, column: 1)),
        ReadingCase(name: "indicators inside a key", yaml: "a]: 1\n-b: 2\n?c: 3\n:d: 4\ne:f: 5\ng,h: 6\n",
                    reading: .value(["a]": 1, "-b": 2, "?c": 3, ":d": 4, "e:f": 5, "g,h": 6])),
        ReadingCase(name: "no key before ':'", yaml: "a: 1\n: 2\n", reading: .refused("expected a mapping key before ':'", line: 2, column: 1)),
        ReadingCase(name: "an empty key tagged !!str", yaml: "a: 1\n!!str : 2\n", reading: .value(["a": 1, "": 2])),
        ReadingCase(name: "an anchored empty key is null", yaml: "a: 1\n&k : 2\n", reading: .refused("is null", line: 2, column: 4)),
        ReadingCase(name: "a key of 1,024 characters", yaml: String(repeating: "k", count: 1024) + ": 1\n",
                    reading: .value([String(repeating: "k", count: 1024): 1])),
        ReadingCase(name: "a key of 1,025 characters", yaml: "a: 1\n" + String(repeating: "k", count: 1025) + ": 1\n",
                    reading: .refused("a mapping key longer than 1024 characters", line: 2, column: 1)),
        ReadingCase(name: "a key of 1,024 characters with its anchor", yaml: "&a " + String(repeating: "k", count: 1021) + ": 1\n",
                    reading: .value([String(repeating: "k", count: 1021): 1])),
        ReadingCase(name: "a key of 1,025 characters with its anchor", yaml: "&a " + String(repeating: "k", count: 1022) + ": 1\n",
                    reading: .refused("a mapping key longer than 1024 characters", line: 1, column: 1)),
        ReadingCase(name: "explicit keys", yaml: "? a\n: 1\n? b\n? \"c d\"\n:\n  e: 1\nf: 2\n",
                    reading: .value(["a": 1, "b": .null, "c d": ["e": 1], "f": 2])),
        ReadingCase(name: "an explicit key over 1,024 characters", yaml: "? " + String(repeating: "k", count: 1100) + "\n: 1\n",
                    reading: .value([String(repeating: "k", count: 1100): 1])),
        ReadingCase(name: "an explicit key in a sequence item, compact values", yaml: "s:\n- ? a\n  : - 1\n- ? b\n  : c: 2\n",
                    reading: .value(["s": [["a": [1]], ["b": ["c": 2]]]])),
        ReadingCase(name: "an explicit block-scalar key", yaml: "? |\n  block\n: 1\n", reading: .value(["block\n": 1])),
        ReadingCase(name: "a collection as an explicit key", yaml: "? [a]\n: 1\n",
                    reading: .refused("a mapping key must be a scalar", line: 1, column: 3)),
        ReadingCase(name: "an explicit key after a value on its line", yaml: "a: ? b\n",
                    reading: .refused("an explicit key ('? ') must start its own line", line: 1, column: 4)),
        ReadingCase(name: "anchor names as libyaml scans them", yaml: "a: &a1-_ 1\nb: *a1-_\n", reading: .value(["a": 1, "b": 1])),
        ReadingCase(name: "an anchor name with a dot", yaml: "a: &a.b 1\n", reading: .refused("takes only letters, digits", line: 1, column: 6)),
    ]

    /// Item 2: block scalars that end the file without a final line break.
    static let blockScalarsAtTheEnd: [ReadingCase] = [
        ReadingCase(name: "literal, clip, no final newline", yaml: "key: |\n  text", reading: .value(["key": "text\n"])),
        ReadingCase(name: "literal, keep, no final newline", yaml: "key: |+\n  text", reading: .value(["key": "text\n"])),
        ReadingCase(name: "literal, strip, no final newline", yaml: "key: |-\n  text", reading: .value(["key": "text"])),
        ReadingCase(name: "folded, clip, no final newline", yaml: "key: >\n  a\n  b", reading: .value(["key": "a b\n"])),
        ReadingCase(name: "folded, keep, no final newline", yaml: "key: >+\n  text", reading: .value(["key": "text\n"])),
        ReadingCase(name: "literal, clip, trailing spaces only", yaml: "key: |\n  a\n\n  ", reading: .value(["key": "a\n"])),
        ReadingCase(name: "an empty block scalar at the end", yaml: "key: |", reading: .value(["key": ""])),
        ReadingCase(name: "literal, keep, empty lines at the end", yaml: "key: |+\n  text\n\n", reading: .value(["key": "text\n\n"])),
    ]

    /// Item 5: what stays different from kubectl, and where we follow kubectl over the YAML drafts.
    static let divergences: [ReadingCase] = [
        // Duplicate keys: kubectl's schema validation refuses them; its plain reading keeps the last.
        ReadingCase(name: "a duplicate key", yaml: "a: 1\na: 2\n", reading: .refused("duplicate mapping key \"a\" (first at line 1)", line: 2, column: 1),
                    kubectl: .reads(["a": 2])),
        ReadingCase(name: "a duplicate key written differently", yaml: "a: 1\n\"a\": 2\n",
                    reading: .refused("duplicate mapping key \"a\"", line: 2, column: 1), kubectl: .reads(["a": 2])),
        ReadingCase(name: "keys that become the same JSON key", yaml: "on: a\ntrue: b\n",
                    reading: .refused("duplicate mapping key \"true\"", line: 2, column: 1), kubectl: .reads(["true": "b"])),
        ReadingCase(name: "an integer key and its string", yaml: "1: a\n\"1\": b\n",
                    reading: .refused("duplicate mapping key \"1\"", line: 2, column: 1), kubectl: .readsOneOf([["1": "a"], ["1": "b"]])),
        // Merge keys: written order decides, as go-yaml v2 sets them into one map.
        ReadingCase(name: "a key written after a merge wins", yaml: "d: &d {a: 1, b: 2}\nx:\n  <<: *d\n  b: 3\n",
                    reading: .value(["d": ["a": 1, "b": 2], "x": ["a": 1, "b": 3]])),
        ReadingCase(name: "a merge written after a key wins", yaml: "d: &d {a: 1, b: 2}\nx:\n  b: 3\n  <<: *d\n",
                    reading: .value(["d": ["a": 1, "b": 2], "x": ["b": 2, "a": 1]])),
        ReadingCase(name: "the first of several merged maps wins", yaml: "p: &p {a: 1}\nq: &q {a: 2, b: 2}\nx:\n  <<: [*p, *q]\n",
                    reading: .value(["p": ["a": 1], "q": ["a": 2, "b": 2], "x": ["a": 1, "b": 2]])),
        ReadingCase(name: "a merge of a scalar", yaml: "x:\n  <<: 1\n", reading: .refused("a merge key ('<<') takes a mapping", line: 2, column: 7)),
        // !!binary: base64 decoded into the string, as kubectl does; non-UTF-8 bytes refused.
        ReadingCase(name: "!!binary", yaml: "x: !!binary aGVsbG8=\n", reading: .value(["x": "hello"])),
        ReadingCase(name: "!!binary over lines", yaml: "x: !!binary |\n  aGVs\n  bG8=\n", reading: .value(["x": "hello"])),
        ReadingCase(name: "!!binary, empty", yaml: "x: !!binary \"\"\n", reading: .value(["x": ""])),
        ReadingCase(name: "!!binary as a key", yaml: "!!binary aGVsbG8=: 1\n", reading: .value(["hello": 1])),
        ReadingCase(name: "!!binary with a space", yaml: "x: !!binary \"aGVs bG8=\"\n", reading: .refused("not valid base64", line: 1, column: 13)),
        ReadingCase(name: "!!binary without padding", yaml: "x: !!binary aGVsbG8\n", reading: .refused("not valid base64", line: 1, column: 13)),
        ReadingCase(name: "!!binary of bytes that are not UTF-8", yaml: "x: !!binary //79\n",
                    reading: .refused("not UTF-8 text", line: 1, column: 13), kubectl: .reads(["x": "\u{FFFD}\u{FFFD}\u{FFFD}"])),
        // Float keys: Go's 32-bit shortest text.
        ReadingCase(name: "float keys", yaml: "1.5: a\n2.0: b\n1e3: c\n0.1: d\n1000000.0: e\n0.00001: f\n0.0001: g\n-1.5e-7: h\n1e21: i\n-0.0: j\n",
                    reading: .value(["1.5": "a", "2": "b", "1000": "c", "0.1": "d", "1e+06": "e", "1e-05": "f", "0.0001": "g", "-1.5e-07": "h", "1e+21": "i", "-0": "j"])),
        ReadingCase(name: "float keys past 32-bit precision", yaml: "123456789.0: a\n1.0000001: b\n0.30000000000000004: c\n1e39: d\n",
                    reading: .value(["1.2345679e+08": "a", "1.0000001": "b", "0.3": "c", ".inf": "d"])),
        ReadingCase(name: "infinity and NaN keys", yaml: ".inf: a\n-.Inf: b\n.nan: c\n", reading: .value([".inf": "a", "-.inf": "b", ".nan": "c"])),
        ReadingCase(name: "a !!float key", yaml: "!!float 1000000: a\n", reading: .value(["1e+06": "a"])),
        ReadingCase(name: "integer and boolean keys", yaml: "0x10: a\n0755: b\nyes: c\n9223372036854775807: d\n",
                    reading: .value(["16": "a", "493": "b", "true": "c", "9223372036854775807": "d"])),
        ReadingCase(name: "an integer key above 2^63-1", yaml: "18446744073709551615: a\n", reading: .refused("above 2^63-1", line: 1, column: 1)),
        // Null keys: refused, as kubectl refuses them.
        ReadingCase(name: "a null key", yaml: "null: a\n", reading: .refused("the key 'null' is null", line: 1, column: 1)),
        ReadingCase(name: "a ~ key", yaml: "~: a\n", reading: .refused("the key '~' is null", line: 1, column: 1)),
        ReadingCase(name: "a null key in a flow mapping", yaml: "x: {null: a}\n", reading: .refused("is null", line: 1, column: 5)),
        ReadingCase(name: "a missing key in a flow mapping", yaml: "x: {: a}\n", reading: .refused("is null", line: 1, column: 5)),
        // Directives: kubectl cannot read a file with one.
        ReadingCase(name: "%YAML 1.1", yaml: "%YAML 1.1\n---\na: 1\n", reading: .refused("the directive %YAML is not supported", line: 1, column: 1), envelopeAfter: true),
        ReadingCase(name: "%YAML 1.2", yaml: "%YAML 1.2\n---\na: 1\n", reading: .refused("the directive %YAML is not supported", line: 1, column: 1), envelopeAfter: true),
        ReadingCase(name: "%TAG", yaml: "%TAG ! tag:example.com,2000:\n---\na: 1\n", reading: .refused("the directive %TAG is not supported", line: 1, column: 1), envelopeAfter: true),
        // Tags kubectl reads in its own way.
        ReadingCase(name: "!!map on an empty node", yaml: "x: !!map\n", reading: .refused("the tag !!map does not fit a scalar", line: 1, column: 4), kubectl: .reads(["x": ""])),
        ReadingCase(name: "!!str on a sequence", yaml: "x: !!str [a]\n", reading: .refused("the tag !!str does not fit a sequence", line: 1, column: 10), kubectl: .reads(["x": ["a"]])),
        ReadingCase(name: "a custom tag", yaml: "x: !a b\n", reading: .refused("the tag !a is not supported", line: 1, column: 4), kubectl: .reads(["x": "b"])),
        ReadingCase(name: "!!timestamp", yaml: "a: !!timestamp 2001-12-14\nb: !!timestamp 2001-12-14t21:59:43.10-05:00\nc: !!timestamp 2001-2-3 4:05:06\n",
                    reading: .value(["a": "2001-12-14", "b": "2001-12-14t21:59:43.10-05:00", "c": "2001-2-3 4:05:06"])),
        ReadingCase(name: "!!timestamp that is not one", yaml: "x: !!timestamp 2001-2-30\n", reading: .refused("not a valid timestamp", line: 1, column: 16)),
        ReadingCase(name: "!!float on an integer", yaml: "x: !!float 1\n", reading: .value(["x": 1])),
        ReadingCase(name: "!!int on a float", yaml: "x: !!int 1e3\n", reading: .refused("'1e3' is not a valid int", line: 1, column: 10)),
        // Explicit keys in flow collections.
        ReadingCase(name: "an explicit key in a flow mapping", yaml: "x: {? a : 1}\n",
                    reading: .refused("explicit keys ('?') are not supported in flow collections", line: 1, column: 5), kubectl: .reads(["x": ["a": 1]])),
        // Scalars.
        ReadingCase(name: "the JSON escape \\/ in YAML", yaml: "x: \"a\\/b\"\n", reading: .value(["x": "a/b"]), kubectl: .refuses),
        ReadingCase(name: "a flow mapping key over 1,024 characters", yaml: "x: {" + String(repeating: "k", count: 1100) + ": 1}\n",
                    reading: .value(["x": [String(repeating: "k", count: 1100): 1]]), kubectl: .refuses),
        ReadingCase(name: "a float out of range is a string", yaml: "x: 1e400\n", reading: .value(["x": "1e400"])),
        ReadingCase(name: "an integer above 2^63-1", yaml: "x: 0xFFFFFFFFFFFFFFFF\n", reading: .value(["x": .double(18446744073709551615)])),
        ReadingCase(name: "a plain scalar starting with '%'", yaml: "x: %a\n", reading: .refused("cannot start with '%'", line: 1, column: 4)),
        ReadingCase(name: "a plain scalar starting with ','", yaml: "x: ,a\n", reading: .refused("cannot start with ','", line: 1, column: 4)),
        ReadingCase(name: "a plain scalar starting with ']'", yaml: "x: ]\n", reading: .refused("cannot start with ']'", line: 1, column: 4)),
        ReadingCase(name: "an empty flow entry", yaml: "x: [a, , b]\n", reading: .refused("an empty entry in a flow sequence", line: 1, column: 8)),
        ReadingCase(name: "an empty flow mapping entry", yaml: "x: {a: 1, , b: 2}\n", reading: .refused("an empty entry in a flow mapping", line: 1, column: 11)),
        ReadingCase(name: "':' at the end of a flow scalar", yaml: "x: [a:, {b:}]\n", reading: .value(["x": ["a:", ["b:": .null]]])),
        ReadingCase(name: "'-' alone in a flow sequence", yaml: "x: [a, -]\n", reading: .value(["x": ["a", "-"]])),
        ReadingCase(name: "a control character", yaml: "x: a\u{01}b\n", reading: .refused("the character U+0001 is not allowed", line: 1, column: 5)),
        ReadingCase(name: "DEL", yaml: "x: a\u{7F}b\n", reading: .refused("the character U+007F is not allowed", line: 1, column: 5)),
        ReadingCase(name: "a C1 control", yaml: "x: a\u{9F}b\n", reading: .refused("the character U+009F is not allowed", line: 1, column: 5)),
        ReadingCase(name: "U+FFFE", yaml: "x: a\u{FFFE}b\n", reading: .refused("the character U+FFFE is not allowed", line: 1, column: 5)),
        ReadingCase(name: "NEL folds in a quoted scalar", yaml: "x: \"a\u{85}b\"\n", reading: .value(["x": "a b"])),
        ReadingCase(name: "NEL ends a plain scalar's line", yaml: "x: a\u{85}b\n", reading: .refused("expected a mapping key", line: 2, column: 1)),
        ReadingCase(name: "NEL folds a plain scalar", yaml: "x: a\u{85}  b\n", reading: .value(["x": "a b"])),
        ReadingCase(name: "U+2028 in a quoted scalar", yaml: "x: \"a\u{2028}b\"\n", reading: .refused("the character U+2028 is not allowed", line: 1, column: 6),
                    kubectl: .reads(["x": "a\u{2028}b"])),
        ReadingCase(name: "U+2028 in a plain scalar", yaml: "x: a\u{2028}b\n", reading: .refused("the character U+2028 is not allowed", line: 1, column: 5)),
        ReadingCase(name: "a BOM inside a scalar", yaml: "x: a\u{FEFF}b\n", reading: .value(["x": "a\u{FEFF}b"])),
    ]

    static let all = keys + blockScalarsAtTheEnd + divergences
}
