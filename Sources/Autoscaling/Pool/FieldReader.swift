import JSON
import NameSuggestion

/// Reads typed fields out of JSON objects, collecting a ``FieldIssue`` for each one that is missing,
/// mistyped, out of range or unknown, instead of stopping at the first.
struct FieldReader {
    var issues: [FieldIssue] = []

    mutating func error(_ path: FieldPath, _ message: String, column: Int? = nil) {
        issues.append(FieldIssue(.error, path, message, columnInValue: column))
    }

    mutating func warning(_ path: FieldPath, _ message: String, column: Int? = nil) {
        issues.append(FieldIssue(.warning, path, message, columnInValue: column))
    }

    /// Errors for members not in `known`, suggesting the closest known name.
    mutating func rejectUnknownFields(_ object: JSONObject, known: [String], at path: FieldPath) {
        for key in object.keys where !known.contains(key) {
            var message = "unknown field \"\(key)\""
            if let guess = NameSuggestion.closest(to: key, in: known) { message += "; did you mean \"\(guess)\"?" }
            error(path.appending(key), message)
        }
    }

    mutating func object(_ value: JSONValue?, at path: FieldPath, required: Bool = false) -> JSONObject? {
        guard let value, !value.isNull else {
            if required { error(path, "required value") }
            return nil
        }
        guard let object = value.objectValue else {
            error(path, "expected an object, found \(value.typeName)")
            return nil
        }
        return object
    }

    mutating func array(_ value: JSONValue?, at path: FieldPath) -> [JSONValue]? {
        guard let value, !value.isNull else { return nil }
        guard let array = value.arrayValue else {
            error(path, "expected a list, found \(value.typeName)")
            return nil
        }
        return array
    }

    mutating func string(_ object: JSONObject?, _ key: String, at base: FieldPath, required: Bool = false) -> String? {
        let path = base.appending(key)
        guard let value = object?[key], !value.isNull else {
            if required { error(path, "required value") }
            return nil
        }
        guard let s = value.stringValue else {
            error(path, "expected a string, found \(value.typeName) \(value.compactText)")
            return nil
        }
        if required && s.isEmpty { error(path, "must not be empty") }
        return s
    }

    mutating func integer(_ object: JSONObject?, _ key: String, at base: FieldPath, default fallback: Int?,
                          range: ClosedRange<Int>) -> Int? {
        let path = base.appending(key)
        guard let value = object?[key], !value.isNull else {
            if fallback == nil { error(path, "required value") }
            return fallback
        }
        guard let i = value.intValue else {
            error(path, "expected an integer, found \(value.typeName) \(value.compactText)")
            return fallback
        }
        guard range.contains(i) else {
            error(path, "must be between \(range.lowerBound) and \(range.upperBound), not \(i)")
            return fallback
        }
        return i
    }

    mutating func bool(_ object: JSONObject?, _ key: String, at base: FieldPath, default fallback: Bool) -> Bool {
        guard let value = object?[key], !value.isNull else { return fallback }
        guard let b = value.boolValue else {
            error(base.appending(key), "expected true or false, found \(value.typeName) \(value.compactText)")
            return fallback
        }
        return b
    }

    mutating func stringList(_ object: JSONObject?, _ key: String, at base: FieldPath) -> [String]? {
        let path = base.appending(key)
        guard let items = array(object?[key], at: path) else { return nil }
        var strings: [String] = []
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue, !s.isEmpty else {
                error(path.appending(index: i), "expected a non-empty string, found \(item.typeName) \(item.compactText)")
                continue
            }
            strings.append(s)
        }
        return strings
    }
}

/// Kubernetes name rules (apimachinery's `validation.IsDNS1123Label` and `IsDNS1123Subdomain`).
enum KubernetesNames {
    static func isDNS1123Label(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        guard alnum(bytes[0]), let last = bytes.last, alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }

    static func isDNS1123Subdomain(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNS1123Label(String($0)) }
    }

    /// A kind: an upper-case ASCII letter, then letters and digits (`StatefulSet`).
    static func isKind(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, first >= 65, first <= 90, bytes.count <= 63 else { return false }
        return bytes.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) }
    }

    /// An apiVersion: `VERSION` (the core group) or `GROUP/VERSION`, the group a DNS subdomain and
    /// the version a DNS label (`apps/v1`, `leaderworkerset.x-k8s.io/v1`).
    static func isAPIVersion(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: return isDNS1123Label(parts[0])
        case 2: return isDNS1123Subdomain(parts[0]) && isDNS1123Label(parts[1])
        default: return false
        }
    }

    /// A container image reference: non-empty, no whitespace (the API server's own check).
    static func isImageReference(_ s: String) -> Bool {
        !s.isEmpty && !s.contains(where: { $0.isWhitespace })
    }
}

/// Go-style durations as Kubernetes writes them: `5s`, `500ms`, `1m30s`, `1h`.
enum DurationText {
    static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter || $0 == "µ" }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
        }
        return total
    }
}
