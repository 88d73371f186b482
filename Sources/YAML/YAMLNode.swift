import JSON

/// A position in YAML text: 1-based line and column (columns count Unicode scalars).
public struct YAMLMark: Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// An error in YAML text, or a construct the reader does not support, with where it is.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let mark: YAMLMark
    public let message: String

    public init(_ message: String, at mark: YAMLMark) {
        self.mark = mark
        self.message = message
    }

    public var description: String { "line \(mark.line), column \(mark.column): \(message)" }
}

/// How a scalar was written; quoted and block scalars are always strings.
public enum YAMLScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// One node of a YAML document, with the position it was written at.
/// Aliases are already replaced by (copies of) the nodes they name.
public struct YAMLNode: Sendable {
    /// What the node holds.
    public enum Content: Sendable {
        case scalar(String, YAMLScalarStyle)
        case sequence([YAMLNode])
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public var content: Content {
        didSet { height = Self.height(of: content) }
    }
    /// Where the node's content starts (the quote of a quoted scalar, the first key of a mapping, …).
    public var mark: YAMLMark
    /// An explicit tag such as `!!str`, if one was written.
    public var tag: String?
    /// Levels of nodes from this one down to its deepest scalar (1 for a scalar), aliases expanded.
    /// The reader keeps it under its depth limit, so that nothing walking the tree (the JSON
    /// conversion, releasing it) recurses deeper than that, however aliases nest.
    private(set) var height: Int

    public init(_ content: Content, at mark: YAMLMark, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
        self.height = Self.height(of: content)
    }

    private static func height(of content: Content) -> Int {
        switch content {
        case .scalar: return 1
        case .sequence(let items): return 1 + (items.map(\.height).max() ?? 0)
        case .mapping(let pairs): return 1 + (pairs.map { max($0.key.height, $0.value.height) }.max() ?? 0)
        }
    }

    /// The scalar's text when this node is a scalar.
    public var scalarText: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// The column where a scalar's text itself starts: past the opening quote of a quoted scalar.
    /// Block scalars answer their indicator's column.
    public var textColumn: Int {
        if case .scalar(_, let style) = content, style == .singleQuoted || style == .doubleQuoted {
            return mark.column + 1
        }
        return mark.column
    }
}

/// One step of a path into a document: a mapping key or a sequence index.
public enum YAMLPathComponent: Sendable, Hashable {
    case key(String)
    case index(Int)
}

extension YAMLNode {
    /// The node at `path`, or nil when the path leaves the document. Keys compare by their text.
    public func node(at path: [YAMLPathComponent]) -> YAMLNode? {
        var current = self
        for component in path {
            switch (component, current.content) {
            case (.key(let key), .mapping(let pairs)):
                guard let pair = pairs.last(where: { $0.key.scalarText == key }) else { return nil }
                current = pair.value
            case (.index(let index), .sequence(let items)):
                guard items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The mark of the deepest node along `path` that exists (the document root at worst).
    public func closestMark(to path: [YAMLPathComponent]) -> YAMLMark {
        var best = mark
        for length in stride(from: path.count, through: 1, by: -1) {
            if let node = node(at: Array(path.prefix(length))) {
                best = node.mark
                break
            }
        }
        return best
    }
}

/// One document of a YAML stream.
public struct YAMLDocument: Sendable {
    /// The document's root node (an empty plain scalar for an empty document).
    public let root: YAMLNode

    /// The document as a JSON value, with scalars typed as kubectl types them.
    public func jsonValue() throws(YAMLError) -> JSONValue {
        var converter = YAMLToJSONConverter()
        return try converter.convert(root)
    }
}

/// Entry point: reads YAML streams.
public enum YAMLReader {
    /// Reads every document of a YAML (or JSON) stream. Documents that hold nothing
    /// (comments only) are dropped, as kubectl drops them.
    public static func documents(in text: String) throws(YAMLError) -> [YAMLDocument] {
        var parser = YAMLParser(text)
        return try parser.parseStream()
    }

    /// Reads a stream and converts each document to JSON.
    public static func jsonValues(in text: String) throws(YAMLError) -> [JSONValue] {
        var values: [JSONValue] = []
        for document in try documents(in: text) { values.append(try document.jsonValue()) }
        return values
    }
}
