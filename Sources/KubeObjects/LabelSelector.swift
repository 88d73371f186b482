import JSON

/// A Kubernetes label selector (`matchLabels` and `matchExpressions`), as a Deployment's
/// `spec.selector` picks its pods.
public struct LabelSelector: Sendable, Hashable {
    /// Labels an object must carry with these values.
    public let matchLabels: [String: String]
    /// `(key, operator, values)`: In, NotIn, Exists, DoesNotExist.
    public let matchExpressions: [Requirement]

    /// One `matchExpressions` entry.
    public struct Requirement: Sendable, Hashable {
        /// The label.
        public let key: String
        /// `In`, `NotIn`, `Exists` or `DoesNotExist` (another matches nothing).
        public let op: String
        /// The values for `In` and `NotIn`.
        public let values: [String]
    }

    /// From a selector object; nil when there is none (an empty selector selects nothing here: a
    /// Deployment always has one, and scraping every pod of a namespace would be wrong).
    public init?(_ value: JSONValue?) {
        guard let object = value?.objectValue else { return nil }
        matchLabels = (object["matchLabels"]?.objectValue ?? [:]).reduce(into: [:]) { labels, member in
            if let text = member.value.stringValue { labels[member.key] = text }
        }
        matchExpressions = (object["matchExpressions"]?.arrayValue ?? []).compactMap { expression in
            guard let key = expression["key"]?.stringValue, let op = expression["operator"]?.stringValue else { return nil }
            return Requirement(key: key, op: op, values: (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        if matchLabels.isEmpty && matchExpressions.isEmpty { return nil }
    }

    /// From a selector as text, the form a `Scale`'s `status.selector` and `kubectl -l` use
    /// (`app=llm,tier in (gpu, cpu),!canary`: `=`/`==`, `!=`, `in`, `notin`, a bare key for exists,
    /// `!key` for does-not-exist; all must hold). Nil when the text is empty (no selector: nothing
    /// is selected) or not a selector.
    public init?(selector text: String) {
        var labels: [String: String] = [:]
        var expressions: [Requirement] = []
        var rest = Substring(text)
        func skipSpaces() { rest = rest.drop { $0 == " " } }
        func word() -> String {
            skipSpaces()
            let w = rest.prefix { !" ,=!()".contains($0) }
            rest = rest.dropFirst(w.count)
            return String(w)
        }
        while true {
            skipSpaces()
            if rest.isEmpty { break }
            if rest.first == "!" {
                rest = rest.dropFirst()
                let key = word()
                guard !key.isEmpty else { return nil }
                expressions.append(Requirement(key: key, op: "DoesNotExist", values: []))
            } else {
                let key = word()
                guard !key.isEmpty else { return nil }
                skipSpaces()
                if rest.hasPrefix("!=") {
                    rest = rest.dropFirst(2)
                    expressions.append(Requirement(key: key, op: "NotIn", values: [word()]))
                } else if rest.hasPrefix("=") {
                    rest = rest.dropFirst(rest.hasPrefix("==") ? 2 : 1)
                    labels[key] = word()
                } else if rest.hasPrefix("in ") || rest.hasPrefix("in(") || rest.hasPrefix("notin ") || rest.hasPrefix("notin(") {
                    let op = rest.hasPrefix("in") ? "In" : "NotIn"
                    rest = rest.dropFirst(op == "In" ? 2 : 5)
                    skipSpaces()
                    guard rest.first == "(", let close = rest.firstIndex(of: ")") else { return nil }
                    let values = rest[rest.index(after: rest.startIndex)..<close].split(separator: ",").map { String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
                    rest = rest[rest.index(after: close)...]
                    expressions.append(Requirement(key: key, op: op, values: values))
                } else {
                    expressions.append(Requirement(key: key, op: "Exists", values: []))
                }
            }
            skipSpaces()
            if rest.isEmpty { break }
            guard rest.first == "," else { return nil }
            rest = rest.dropFirst()
        }
        if labels.isEmpty && expressions.isEmpty { return nil }
        matchLabels = labels
        matchExpressions = expressions
    }

    /// Whether an object's labels satisfy the selector (an unknown operator matches nothing).
    public func matches(_ object: JSONValue) -> Bool {
        let labels = object["metadata"]?["labels"]?.objectValue ?? [:]
        for (key, value) in matchLabels where labels[key]?.stringValue != value { return false }
        for requirement in matchExpressions {
            let value = labels[requirement.key]?.stringValue
            switch requirement.op {
            case "In": if !(value.map(requirement.values.contains) ?? false) { return false }
            case "NotIn": if let value, requirement.values.contains(value) { return false }
            case "Exists": if value == nil { return false }
            case "DoesNotExist": if value != nil { return false }
            default: return false
            }
        }
        return true
    }
}

extension LabelSelector {
    /// What is wrong with a selector as text, as the API server's parser (apimachinery's
    /// `labels.Parse`) would refuse it; nil when it is a valid selector. Keys are qualified names
    /// (`[prefix/]name`: the name 1–63 characters of alphanumerics, `-`, `_`, `.`, starting and ending
    /// alphanumeric; the prefix a lowercase DNS subdomain of at most 253), values at most 63 of the
    /// same characters (or empty), `in`/`notin` at least one value.
    /// - Returns: `unable to parse requirement: invalid label key "Shard!"`, …
    public static func problem(in text: String) -> String? {
        guard let selector = LabelSelector(selector: text) else {
            return "'\(text)' is not a label selector (expected key=value, key!=value, key in (a,b), key notin (a), key or !key, joined by commas)"
        }
        for key in selector.matchLabels.keys.sorted() + selector.matchExpressions.map(\.key) where !isQualifiedName(key) {
            return "invalid label key \"\(key)\": a qualified name is 1-63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric, with an optional DNS-subdomain prefix and '/'"
        }
        for value in selector.matchLabels.values.sorted() + selector.matchExpressions.flatMap(\.values) where !isLabelValue(value) {
            return "invalid label value \"\(value)\": at most 63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
        }
        if let empty = selector.matchExpressions.first(where: { ($0.op == "In" || $0.op == "NotIn") && $0.values.isEmpty }) {
            return "for '\(empty.op == "In" ? "in" : "notin")' on \"\(empty.key)\", at least one value is required"
        }
        return nil
    }

    /// `[prefix/]name`, as a label key.
    static func isQualifiedName(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last, isLabelValue(String(name)), !name.isEmpty else { return false }
        guard parts.count == 2 else { return true }
        let prefix = parts[0]
        return !prefix.isEmpty && prefix.count <= 253 && prefix.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
                && label.first != "-" && label.last != "-"
        }
    }

    /// Empty, or 1–63 alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
    static func isLabelValue(_ value: String) -> Bool {
        guard !value.isEmpty else { return true }
        let alphanumeric: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber) }
        guard value.count <= 63, let first = value.first, let last = value.last, alphanumeric(first), alphanumeric(last) else { return false }
        return value.allSatisfy { alphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }
}
