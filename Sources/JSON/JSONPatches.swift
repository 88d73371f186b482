/// JSON Merge Patch (RFC 7386): objects merge member by member, `null` removes a member, and any
/// other value (arrays included) replaces the target's value whole.
extension JSONValue {
    public func applyingMergePatch(_ patch: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var result = objectValue ?? JSONObject()
        for (key, value) in patchObject {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = (result[key] ?? .null).applyingMergePatch(value)
            }
        }
        return .object(result)
    }
}

/// Why a JSON Patch (RFC 6902) could not be applied.
public struct JSONPatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `test` operation found a different value (the API server answers 422 for this).
    public let isFailedTest: Bool
    public let message: String

    public var description: String { message }
}

/// JSON Patch (RFC 6902): a list of `add`, `remove`, `replace`, `move`, `copy` and `test` operations
/// on JSON Pointer (RFC 6901) paths, applied in order, all or nothing.
public enum JSONPatch {
    public static func apply(_ operations: JSONValue, to document: JSONValue) throws(JSONPatchError) -> JSONValue {
        guard let list = operations.arrayValue else { throw JSONPatchError(isFailedTest: false, message: "a JSON patch must be a list of operations") }
        var doc = document
        for (i, operation) in list.enumerated() {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw JSONPatchError(isFailedTest: false, message: "operation \(i): needs \"op\" and \"path\"")
            }
            let tokens = try pointer(path)
            switch op {
            case "add":
                doc = try set(doc, tokens[...], try value(operation, i), inserting: true)
            case "remove":
                _ = try get(doc, tokens[...])
                doc = try remove(doc, tokens[...])
            case "replace":
                _ = try get(doc, tokens[...])
                doc = try set(doc, tokens[...], try value(operation, i), inserting: false)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else { throw JSONPatchError(isFailedTest: false, message: "operation \(i): \(op) needs \"from\"") }
                let fromTokens = try pointer(from)
                let moved = try get(doc, fromTokens[...])
                if op == "move" { doc = try remove(doc, fromTokens[...]) }
                doc = try set(doc, tokens[...], moved, inserting: true)
            case "test":
                let expected = try value(operation, i)
                let actual = try? get(doc, tokens[...])
                guard actual == expected else {
                    throw JSONPatchError(isFailedTest: true, message: "testing value \(path) failed")
                }
            default:
                throw JSONPatchError(isFailedTest: false, message: "operation \(i): unknown op \"\(op)\"")
            }
        }
        return doc
    }

    private static func value(_ operation: JSONValue, _ i: Int) throws(JSONPatchError) -> JSONValue {
        guard let v = operation["value"] else { throw JSONPatchError(isFailedTest: false, message: "operation \(i): needs \"value\"") }
        return v
    }

    /// The reference tokens of a JSON Pointer, `~1` and `~0` unescaped.
    static func pointer(_ path: String) throws(JSONPatchError) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw JSONPatchError(isFailedTest: false, message: "invalid JSON pointer \"\(path)\"") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            unescape(String($0))
        }
    }

    /// `~1` → `/`, then `~0` → `~` (in that order, as RFC 6901 requires).
    private static func unescape(_ token: String) -> String {
        guard token.contains("~") else { return token }
        var out = ""
        var chars = token.makeIterator()
        while let c = chars.next() {
            if c == "~", let n = chars.next() { out.append(n == "1" ? "/" : n == "0" ? "~" : n) } else { out.append(c) }
        }
        return out
    }

    private static func missing(_ token: String) -> JSONPatchError {
        JSONPatchError(isFailedTest: false, message: "path component \"\(token)\" does not exist")
    }

    static func get(_ doc: JSONValue, _ tokens: ArraySlice<String>) throws(JSONPatchError) -> JSONValue {
        guard let token = tokens.first else { return doc }
        switch doc {
        case .object(let o):
            guard let child = o[token] else { throw missing(token) }
            return try get(child, tokens.dropFirst())
        case .array(let a):
            guard let i = Int(token), a.indices.contains(i) else { throw missing(token) }
            return try get(a[i], tokens.dropFirst())
        default:
            throw missing(token)
        }
    }

    private static func set(_ doc: JSONValue, _ tokens: ArraySlice<String>, _ value: JSONValue, inserting: Bool) throws(JSONPatchError) -> JSONValue {
        guard let token = tokens.first else { return value }
        let last = tokens.count == 1
        switch doc {
        case .object(var o):
            if last {
                o[token] = value
            } else {
                guard let child = o[token] else { throw missing(token) }
                o[token] = try set(child, tokens.dropFirst(), value, inserting: inserting)
            }
            return .object(o)
        case .array(var a):
            if last && inserting {
                if token == "-" { a.append(value); return .array(a) }
                guard let i = Int(token), i >= 0, i <= a.count else { throw missing(token) }
                a.insert(value, at: i)
                return .array(a)
            }
            guard let i = Int(token), a.indices.contains(i) else { throw missing(token) }
            a[i] = last ? value : try set(a[i], tokens.dropFirst(), value, inserting: inserting)
            return .array(a)
        default:
            throw missing(token)
        }
    }

    private static func remove(_ doc: JSONValue, _ tokens: ArraySlice<String>) throws(JSONPatchError) -> JSONValue {
        guard let token = tokens.first else { return .null }
        let last = tokens.count == 1
        switch doc {
        case .object(var o):
            guard let child = o[token] else { throw missing(token) }
            if last {
                o[token] = nil
            } else {
                o[token] = try remove(child, tokens.dropFirst())
            }
            return .object(o)
        case .array(var a):
            guard let i = Int(token), a.indices.contains(i) else { throw missing(token) }
            if last { a.remove(at: i) } else { a[i] = try remove(a[i], tokens.dropFirst()) }
            return .array(a)
        default:
            throw missing(token)
        }
    }
}
