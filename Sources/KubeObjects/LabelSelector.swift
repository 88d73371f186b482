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
