import JSON

/// Converts a YAML node tree to JSON the way kubectl does (go-yaml v2, then sigs.k8s.io/yaml):
/// scalars typed per ``PlainScalarResolution`` and their tags, non-string keys written as their
/// JSON text (`on:` becomes the key "true", `1e6:` the key "1e+06"), merge keys (`<<`) applied in
/// the order written. Whatever kubectl would refuse, or could only read by losing data, is an error.
struct YAMLToJSONConverter {
    /// Guards against alias bombs ("billion laughs"): at most this many nodes are produced.
    static let maximumNodes = 1_000_000
    var produced = 0

    /// A scalar once its tag (or, untagged and plain, its text) has decided its type.
    enum Scalar {
        case null, bool(Bool), integer(Int), unsigned(UInt64), float(Double), string(String)
    }

    mutating func convert(_ node: YAMLNode) throws(YAMLError) -> JSONValue {
        produced += 1
        if produced > Self.maximumNodes {
            throw YAMLError("the document expands to more than \(Self.maximumNodes) nodes (aliases nested too deeply?)", at: node.mark)
        }
        switch node.content {
        case .scalar:
            return try json(scalar(node), text: node.scalarText ?? "", mark: node.mark)
        case .sequence(let items):
            if let tag = node.tag, tag != "!!seq", tag != "!" {
                throw YAMLError("the tag \(tag) does not fit a sequence", at: node.mark)
            }
            var array: [JSONValue] = []
            array.reserveCapacity(items.count)
            for item in items { array.append(try convert(item)) }
            return .array(array)
        case .mapping(let pairs):
            if let tag = node.tag, tag != "!!map", tag != "!" {
                throw YAMLError("the tag \(tag) does not fit a mapping", at: node.mark)
            }
            return .object(try mapping(pairs))
        }
    }

    /// A mapping's pairs in the order written, as go-yaml v2 sets them into one map: a later entry
    /// replaces an earlier one, so `<<: *base` overrides the keys written above it and is overridden
    /// by those written below it; among the maps of `<<: [*a, *b]` the first listed wins. (The YAML
    /// merge-key draft says the mapping's own keys always win; kubectl does not, and what kubectl
    /// reads is what the cluster stores.) The same key written twice is refused, merged or not.
    private mutating func mapping(_ pairs: [(key: YAMLNode, value: YAMLNode)]) throws(YAMLError) -> JSONObject {
        var object = JSONObject()
        var explicitKeys: [String: YAMLMark] = [:]
        for (keyNode, valueNode) in pairs {
            if case .scalar("<<", .plain) = keyNode.content, keyNode.tag == nil {
                for source in try mergeSources(valueNode).reversed() {
                    for (key, value) in source { object[key] = value }
                }
                continue
            }
            let key = try keyText(keyNode)
            if let first = explicitKeys[key] {
                throw YAMLError("duplicate mapping key \"\(key)\" (first at line \(first.line))", at: keyNode.mark)
            }
            explicitKeys[key] = keyNode.mark
            object[key] = try convert(valueNode)
        }
        return object
    }

    private mutating func mergeSources(_ node: YAMLNode) throws(YAMLError) -> [JSONObject] {
        switch node.content {
        case .mapping:
            guard case .object(let o) = try convert(node) else { return [] }
            return [o]
        case .sequence(let items):
            var objects: [JSONObject] = []
            for item in items {
                guard case .mapping = item.content, case .object(let o) = try convert(item) else {
                    throw YAMLError("a merge key ('<<') takes a mapping or a list of mappings", at: item.mark)
                }
                objects.append(o)
            }
            return objects
        case .scalar:
            throw YAMLError("a merge key ('<<') takes a mapping or a list of mappings", at: node.mark)
        }
    }

    /// A key's JSON text, as sigs.k8s.io/yaml writes go-yaml's keys: strings as they are, integers
    /// in decimal, booleans as `true`/`false`, floats as ``GoKeyText/float(_:)``. A null key and an
    /// integer above `Int.max` have no text there (`unsupported map key of type`), so they are refused.
    private mutating func keyText(_ node: YAMLNode) throws(YAMLError) -> String {
        guard case .scalar(let text, _) = node.content else {
            throw YAMLError("a mapping key must be a scalar", at: node.mark)
        }
        switch try scalar(node) {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .float(let d): return GoKeyText.float(d)
        case .null:
            throw YAMLError("the key '\(text)' is null, which kubectl cannot use as a key; quote it if it is meant as text", at: node.mark)
        case .unsigned:
            throw YAMLError("the key '\(text)' is an integer above 2^63-1, which kubectl cannot use as a key; quote it", at: node.mark)
        }
    }

    /// What a scalar node means: its tag decides, else an untagged plain scalar is typed by its text
    /// and a quoted or block scalar is a string. Core tags check their text as go-yaml does
    /// (`cannot decode !!str \`x\` as a !!int`).
    private func scalar(_ node: YAMLNode) throws(YAMLError) -> Scalar {
        guard case .scalar(let text, let style) = node.content else { return .null }
        let mark = node.mark
        let resolved: Scalar
        switch PlainScalarResolution.resolve(text) {
        case .null: resolved = .null
        case .bool(let b): resolved = .bool(b)
        case .integer(let i): resolved = .integer(i)
        case .unsigned(let u): resolved = .unsigned(u)
        case .float(let d): resolved = .float(d)
        case .string: resolved = .string(text)
        }
        switch node.tag {
        case nil:
            return style == .plain ? resolved : .string(text)
        case "!", "!!str":
            return .string(text)
        case "!!binary":
            guard let bytes = ScalarTags.base64Decoded(text) else {
                throw YAMLError("the !!binary value is not valid base64", at: mark)
            }
            guard let decoded = String(validating: bytes, as: UTF8.self) else {
                throw YAMLError("the !!binary value decodes to bytes that are not UTF-8 text, which kubectl would replace with U+FFFD; put the base64 text in a Secret's data instead", at: mark)
            }
            return .string(decoded)
        case "!!timestamp":
            guard ScalarTags.isTimestamp(text) else { throw YAMLError("'\(text)' is not a valid timestamp", at: mark) }
            return .string(text)
        case "!!map", "!!seq":
            // go-yaml reads an empty `!!map` as the empty string; refuse rather than guess.
            throw YAMLError("the tag \(node.tag ?? "") does not fit a scalar; write \(node.tag == "!!map" ? "{}" : "[]") for an empty one", at: mark)
        default:
            switch (node.tag, resolved) {
            case ("!!int", .integer), ("!!int", .unsigned), ("!!float", .float), ("!!bool", .bool), ("!!null", .null):
                return resolved
            case ("!!float", .integer(let i)):
                return .float(Double(i))
            case ("!!float", .unsigned(let u)):
                return .float(Double(u))
            default:
                throw YAMLError("'\(text)' is not a valid \(node.tag?.dropFirst(2) ?? "")", at: mark)
            }
        }
    }

    private func json(_ scalar: Scalar, text: String, mark: YAMLMark) throws(YAMLError) -> JSONValue {
        switch scalar {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .integer(let i): return .integer(i)
        case .unsigned(let u): return .double(Double(u))
        case .float(let d):
            guard d.isFinite else {
                throw YAMLError("'\(text)' (infinity or NaN) cannot be represented in JSON; quote it if it is meant as text", at: mark)
            }
            // Go writes an integral float without a fraction, and kubectl reads that back as an integer.
            if d.rounded() == d, abs(d) < 9.2e18 { return .integer(Int(d)) }
            return .double(d)
        case .string(let s): return .string(s)
        }
    }
}
