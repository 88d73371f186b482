/// A path to a field of an object, written as Kubernetes writes it: `spec.warmupStrategy.initContainers[0].name`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    /// One step: a member name or an array index.
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    /// The steps from the object's root, outermost first.
    public var components: [Component]

    /// A path of `components` (none: the object itself).
    public init(_ components: [Component] = []) { self.components = components }

    /// A path of object keys from its dotted form: `spec.behavior.scaleUp` (no list indices).
    public init(_ dotted: String) {
        components = dotted.split(separator: ".").map { .key(String($0)) }
    }

    /// The path one object key deeper.
    public func appending(_ key: String) -> FieldPath { FieldPath(components + [.key(key)]) }
    /// The path one list element deeper (0-based).
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
    /// An error makes the pool invalid; a warning (a lint) does not.
    public enum Severity: String, Sendable, Hashable { case error, warning }

    /// Error or warning.
    public var severity: Severity
    /// The field the issue is about: `spec.scaleUpThreshold`.
    public var path: FieldPath
    /// What is wrong, in a sentence without the field's name (the description adds it).
    public var message: String
    /// For a problem inside a string value (a threshold expression): the 1-based column in that string.
    public var columnInValue: Int?

    /// An issue with `path`; `columnInValue` is the 1-based column inside a string value (an expression) when the issue is at one.
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
