/// A path to a field of an object, written as Kubernetes writes it: `spec.warmupStrategy.initContainers[0].name`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    /// One step: a member name or an array index.
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    public init(_ dotted: String) {
        components = dotted.split(separator: ".").map { .key(String($0)) }
    }

    public func appending(_ key: String) -> FieldPath { FieldPath(components + [.key(key)]) }
    public func appending(index: Int) -> FieldPath { FieldPath(components + [.index(index)]) }

    public var description: String {
        var out = ""
        for component in components {
            switch component {
            case .key(let k): out += out.isEmpty ? k : "." + k
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}

/// A problem found in an object: an error makes it invalid; a warning is advice and never rejects.
public struct FieldIssue: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning }

    public var severity: Severity
    public var path: FieldPath
    public var message: String
    /// For a problem inside a string value (a threshold expression): the 1-based column in that string.
    public var columnInValue: Int?

    public init(_ severity: Severity, _ path: FieldPath, _ message: String, columnInValue: Int? = nil) {
        self.severity = severity
        self.path = path
        self.message = message
        self.columnInValue = columnInValue
    }

    /// `spec.scaleUpThreshold: column 9: expected a quantity after '>'`.
    public var description: String {
        if let columnInValue { return "\(path): column \(columnInValue): \(message)" }
        return "\(path): \(message)"
    }
}
