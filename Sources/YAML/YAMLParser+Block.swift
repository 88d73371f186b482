/// Block collections: mappings (`key: value`, `? key`) and sequences (`- item`), by indentation.
extension YAMLParser {
    mutating func parseBlockMapping(indent: Int) throws(YAMLError) -> YAMLNode {
        let start = mark
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var seen: [String: YAMLMark] = [:]
        while true {
            let keyMark = mark
            if atSequenceEntry() { throw error("expected a mapping key, found a sequence entry '- '") }
            let key: YAMLNode
            let value: YAMLNode
            if peek() == "?" && isBlankOrEnd(1) {
                (key, value) = try parseExplicitEntry(indent: indent)
            } else {
                guard implicitKeyAhead() else {
                    throw error("expected a mapping key ('key: value') at this indentation")
                }
                let keyStart = index
                key = try parseImplicitKey()
                skipSpacesInLine()
                guard peek() == ":" else { throw error("expected ':' after the mapping key") }
                if index - keyStart > Self.maximumImplicitKeyLength {
                    throw error("a mapping key longer than \(Self.maximumImplicitKeyLength) characters, which kubectl cannot read; write it as an explicit key ('? key')", at: keyMark)
                }
                advance()
                value = try parseNode(parent: indent, mappingOnThisLine: false, sequenceAtParent: true)
            }
            if let keyText = key.scalarText {
                if let first = seen[keyText], keyText != "<<" {
                    throw error("duplicate mapping key \"\(keyText)\" (first at line \(first.line))", at: keyMark)
                }
                seen[keyText] = keyMark
            }
            pairs.append((key, value))
            try skipToContent()
            if atEnd || atDocumentMarker() || column < indent { break }
            if column > indent { throw error("unexpected indentation: expected a key at column \(indent + 1)") }
        }
        return try collection(.mapping(pairs), at: start)
    }

    /// `? key` then, on a line of its own at the same indentation, `: value` (or nothing: a null value).
    /// The key must be a scalar: kubectl refuses collections as keys (`invalid map key`).
    private mutating func parseExplicitEntry(indent: Int) throws(YAMLError) -> (key: YAMLNode, value: YAMLNode) {
        advance()  // '?'
        let key = try parseNode(parent: indent, mappingOnThisLine: true, sequenceAtParent: false)
        guard case .scalar = key.content else { throw error("a mapping key must be a scalar, not a collection", at: key.mark) }
        try skipToContent()
        guard !atEnd, !atDocumentMarker(), column == indent, peek() == ":", isBlankOrEnd(1) else {
            return (key, YAMLNode(.scalar("", .plain), at: mark))
        }
        advance()
        // After an explicit key's `: ` a compact collection may follow on the same line (`: - a`, `: b: 1`).
        let value = try parseNode(parent: indent, mappingOnThisLine: true, sequenceAtParent: true)
        return (key, value)
    }

    /// One implicit key of a block mapping, read the same way wherever it stands: properties,
    /// then an alias (of a scalar), a quoted scalar or a plain one. Anything else is refused here,
    /// with its position, as kubectl refuses it.
    private mutating func parseImplicitKey() throws(YAMLError) -> YAMLNode {
        let start = mark
        var anchor: String?
        var tag: String?
        while let c = peek(), c == "&" || c == "!" {
            try parseProperty(anchor: &anchor, tag: &tag)
            skipSpacesInLine()
        }
        let contentMark = mark
        var key: YAMLNode
        switch peek() {
        case "*":
            if anchor != nil || tag != nil { throw error("an alias cannot have an anchor or a tag", at: start) }
            let name = try parseAliasName()
            guard let target = anchors[name] else { throw error("unknown alias '*\(name)'", at: contentMark) }
            guard case .scalar = target.content else {
                throw error("the alias '*\(name)' names a collection, which cannot be a mapping key", at: contentMark)
            }
            key = target
            key.mark = contentMark
            return key
        case "\"", "'":
            key = try parseQuotedScalar()
        case "[", "{":
            throw error("a flow collection cannot be a mapping key", at: contentMark)
        case "|", ">":
            throw error("a block scalar cannot be an implicit mapping key; use an explicit key ('? ')", at: contentMark)
        case ":" where isBlankOrEnd(1):
            guard anchor != nil || tag != nil else { throw error("expected a mapping key before ':'") }
            key = YAMLNode(.scalar("", .plain), at: contentMark)  // `!!str : v` is the key ""
        default:
            try checkPlainScalarStart(inFlow: false)
            key = parsePlainKey()
        }
        if let tag { key.tag = tag }
        if let anchor { anchors[anchor] = key }
        return key
    }

    /// A sequence or mapping node, refused when it nests deeper than ``maximumDepth`` once aliases
    /// are expanded (`&b [[[*a]]]` adds three levels to `*a` in one line).
    func collection(_ content: YAMLNode.Content, at start: YAMLMark) throws(YAMLError) -> YAMLNode {
        let node = YAMLNode(content, at: start)
        if node.height > Self.maximumDepth {
            throw YAMLError("nesting deeper than \(Self.maximumDepth) levels (aliases included)", at: start)
        }
        return node
    }

    mutating func parseBlockSequence(indent: Int) throws(YAMLError) -> YAMLNode {
        let start = mark
        var items: [YAMLNode] = []
        while true {
            advance()  // the '-'
            items.append(try parseNode(parent: indent, mappingOnThisLine: true, sequenceAtParent: false))
            try skipToContent()
            if atEnd || atDocumentMarker() || column < indent { break }
            if column == indent {
                if atSequenceEntry() { continue }
                break  // a key of the enclosing mapping, aligned with this sequence
            }
            throw error("unexpected indentation in a sequence: expected '- ' at column \(indent + 1)")
        }
        return try collection(.sequence(items), at: start)
    }
}
