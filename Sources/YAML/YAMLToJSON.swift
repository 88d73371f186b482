import JSON

/// Converts a YAML node tree to JSON the way kubectl does: scalars typed per ``PlainScalarResolution``,
/// non-string keys written as their JSON text (`on:` becomes the key "true"), merge keys (`<<`) applied.
struct YAMLToJSONConverter {
    /// Guards against alias bombs ("billion laughs"): at most this many nodes are produced.
    static let maximumNodes = 1_000_000
    var produced = 0

    mutating func convert(_ node: YAMLNode) throws(YAMLError) -> JSONValue {
        produced += 1
        if produced > Self.maximumNodes {
            throw YAMLError("the document expands to more than \(Self.maximumNodes) nodes (aliases nested too deeply?)", at: node.mark)
        }
        switch node.content {
        case .scalar(let text, let style):
            return try scalar(text, style: style, tag: node.tag, mark: node.mark)
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

    private mutating func mapping(_ pairs: [(key: YAMLNode, value: YAMLNode)]) throws(YAMLError) -> JSONObject {
        var object = JSONObject()
        var explicitKeys: [String: YAMLMark] = [:]
        var merged: [JSONObject] = []
        for (keyNode, valueNode) in pairs {
            if case .scalar("<<", .plain) = keyNode.content, keyNode.tag == nil {
                merged.append(contentsOf: try mergeSources(valueNode))
                continue
            }
            let key = try keyText(keyNode)
            if let first = explicitKeys[key] {
                throw YAMLError("duplicate mapping key \"\(key)\" (first at line \(first.line))", at: keyNode.mark)
            }
            explicitKeys[key] = keyNode.mark
            object[key] = try convert(valueNode)
        }
        // Merge keys: explicit keys win; among merged maps the first listed wins.
        for source in merged {
            for (key, value) in source where object[key] == nil { object[key] = value }
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

    /// A key's JSON text: strings as they are, other scalars as their JSON form.
    private mutating func keyText(_ node: YAMLNode) throws(YAMLError) -> String {
        guard case .scalar = node.content else {
            throw YAMLError("a mapping key must be a scalar", at: node.mark)
        }
        switch try convert(node) {
        case .string(let s): return s
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .double(let d): return d.description
        default: return node.scalarText ?? ""
        }
    }

    private func scalar(_ text: String, style: YAMLScalarStyle, tag: String?, mark: YAMLMark) throws(YAMLError) -> JSONValue {
        switch tag {
        case "!!str", "!", "!!binary", "!!timestamp":
            return .string(text)
        case "!!map", "!!seq":
            if text.isEmpty { return tag == "!!map" ? .object(JSONObject()) : .array([]) }
            throw YAMLError("the tag \(tag ?? "") does not fit a scalar", at: mark)
        case nil:
            guard style == .plain else { return .string(text) }
            return try json(PlainScalarResolution.resolve(text), text: text, mark: mark)
        default:
            let resolved = PlainScalarResolution.resolve(text)
            let fits: Bool
            switch (tag, resolved) {
            case ("!!int", .integer), ("!!float", .integer), ("!!float", .double), ("!!bool", .bool), ("!!null", .null): fits = true
            default: fits = false
            }
            guard fits else { throw YAMLError("'\(text)' is not a valid \(tag?.dropFirst(2) ?? "")", at: mark) }
            return try json(resolved, text: text, mark: mark)
        }
    }

    private func json(_ resolved: PlainScalarResolution.Resolved, text: String, mark: YAMLMark) throws(YAMLError) -> JSONValue {
        switch resolved {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .integer(let i): return .integer(i)
        case .double(let d):
            guard d.isFinite else {
                throw YAMLError("'\(text)' (infinity or NaN) cannot be represented in JSON; quote it if it is meant as text", at: mark)
            }
            return .double(d)
        case .string: return .string(text)
        }
    }
}
