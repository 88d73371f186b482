import HTTPKit
import JSON

/// A label selector as the API server parses it: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`,
/// `a`, `!a`, requirements joined by commas (all must hold).
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String), notEquals(String, String), isIn(String, Set<String>), notIn(String, Set<String>)
        case exists(String), doesNotExist(String)
    }

    let requirements: [Requirement]
    static let everything = LabelSelector(requirements: [])

    static func parse(_ text: String?) throws(APIError) -> LabelSelector {
        guard let text, !text.trimmingSpaces().isEmpty else { return .everything }
        var requirements: [Requirement] = []
        // Split on commas outside parentheses.
        var parts: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
            if c == "," && depth == 0 { parts.append(current); current = "" } else { current.append(c) }
        }
        parts.append(current)
        for raw in parts {
            let part = raw.trimmingSpaces()
            func fail() -> APIError { .badRequest("unable to parse requirement: found '\(part)', invalid label selector") }
            if let range = part.range(of: " notin ") ?? part.range(of: " in ") {
                let key = String(part[..<range.lowerBound]).trimmingSpaces()
                let isNot = part[range].contains("notin")
                var set = String(part[range.upperBound...]).trimmingSpaces()
                guard set.hasPrefix("("), set.hasSuffix(")"), !key.isEmpty else { throw fail() }
                set = String(set.dropFirst().dropLast())
                let values = Set(set.split(separator: ",").map { $0.trimmingSpaces() })
                requirements.append(isNot ? .notIn(key, values) : .isIn(key, values))
            } else if let range = part.range(of: "!=") {
                requirements.append(.notEquals(String(part[..<range.lowerBound]).trimmingSpaces(), String(part[range.upperBound...]).trimmingSpaces()))
            } else if let range = part.range(of: "==") ?? part.range(of: "=") {
                let key = String(part[..<range.lowerBound]).trimmingSpaces()
                guard !key.isEmpty else { throw fail() }
                requirements.append(.equals(key, String(part[range.upperBound...]).trimmingSpaces()))
            } else if part.hasPrefix("!") {
                requirements.append(.doesNotExist(String(part.dropFirst()).trimmingSpaces()))
            } else if !part.isEmpty, !part.contains(" ") {
                requirements.append(.exists(part))
            } else {
                throw fail()
            }
        }
        return LabelSelector(requirements: requirements)
    }

    func matches(_ object: JSONObject) -> Bool {
        guard !requirements.isEmpty else { return true }
        let labels = object["metadata"]?["labels"]?.objectValue ?? [:]
        func label(_ key: String) -> String? { labels[key]?.stringValue }
        return requirements.allSatisfy { r in
            switch r {
            case .equals(let k, let v): return label(k) == v
            case .notEquals(let k, let v): return label(k) != v
            case .isIn(let k, let vs): return label(k).map(vs.contains) ?? false
            case .notIn(let k, let vs): return !(label(k).map(vs.contains) ?? false)
            case .exists(let k): return label(k) != nil
            case .doesNotExist(let k): return label(k) == nil
            }
        }
    }
}

/// A field selector: `field=value`, `field==value`, `field!=value`, comma-joined. Each type supports
/// `metadata.name` and `metadata.namespace`, plus a few of its own (pods: `status.phase`,
/// `spec.nodeName`; events: `involvedObject.*`, `reason`, `type`); others are rejected, as the real server does.
struct FieldSelector: Sendable {
    let requirements: [(path: [String], value: String, equal: Bool)]
    static let everything = FieldSelector(requirements: [])

    static func supported(_ type: ResourceType) -> Set<String> {
        var fields: Set<String> = ["metadata.name", "metadata.namespace"]
        if type.plural == "pods" { fields.formUnion(["status.phase", "spec.nodeName"]) }
        if type.plural == "events" {
            fields.formUnion(["involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "involvedObject.uid", "reason", "type"])
        }
        return fields
    }

    static func parse(_ text: String?, for type: ResourceType) throws(APIError) -> FieldSelector {
        guard let text, !text.trimmingSpaces().isEmpty else { return .everything }
        var requirements: [(path: [String], value: String, equal: Bool)] = []
        for raw in text.split(separator: ",") {
            let part = String(raw).trimmingSpaces()
            let equal = !part.contains("!=")
            let separator = part.contains("!=") ? "!=" : part.contains("==") ? "==" : "="
            guard let range = part.range(of: separator) else {
                throw APIError.badRequest("invalid field selector: '\(part)'")
            }
            let field = String(part[..<range.lowerBound]).trimmingSpaces()
            guard supported(type).contains(field) else {
                throw APIError.badRequest("field label not supported: \(field)")
            }
            requirements.append((field.split(separator: ".").map(String.init), String(part[range.upperBound...]).trimmingSpaces(), equal))
        }
        return FieldSelector(requirements: requirements)
    }

    func matches(_ object: JSONObject) -> Bool {
        requirements.allSatisfy { r in
            var value: JSONValue? = .object(object)
            for component in r.path { value = value?[component] }
            let actual = value?.stringValue ?? ""
            return (actual == r.value) == r.equal
        }
    }
}
