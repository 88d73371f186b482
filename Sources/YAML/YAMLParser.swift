/// A recursive-descent YAML reader over Unicode scalars. This file holds the stream,
/// document and block-collection structure; scalars and flow collections are in their own files.
///
/// Supported: block and flow collections; plain, quoted and block scalars; comments;
/// several documents; anchors, aliases and merge keys; the core tags (`!!str`, `!!int`, …).
/// Rejected with an error: complex (`?`) keys, collections as keys, `%TAG` directives,
/// custom tags, tabs used as indentation.
struct YAMLParser {
    let text: [Unicode.Scalar]
    var index = 0
    var line = 1
    var lineStart = 0
    var anchors: [String: YAMLNode] = [:]
    var depth = 0
    static let maximumDepth = 256

    init(_ source: String) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(source.unicodeScalars.count)
        var previousWasCR = false
        for scalar in source.unicodeScalars {
            // Normalise CRLF and CR line breaks to LF.
            if scalar == "\r" { scalars.append("\n"); previousWasCR = true; continue }
            if scalar == "\n" && previousWasCR { previousWasCR = false; continue }
            previousWasCR = false
            scalars.append(scalar)
        }
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        text = scalars
    }

    // MARK: Position

    /// 0-based column of the cursor.
    var column: Int { index - lineStart }
    var mark: YAMLMark { YAMLMark(line: line, column: column + 1) }
    var atEnd: Bool { index >= text.count }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let i = index + offset
        return i < text.count ? text[i] : nil
    }

    /// True when the scalar at `offset` is a space, tab, line break or the end of input.
    func isBlankOrEnd(_ offset: Int = 0) -> Bool {
        guard let c = peek(offset) else { return true }
        return c == " " || c == "\t" || c == "\n"
    }

    mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where index < text.count {
            if text[index] == "\n" {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
    }

    func error(_ message: String, at mark: YAMLMark? = nil) -> YAMLError {
        YAMLError(message, at: mark ?? self.mark)
    }

    /// `---` or `...` at the start of a line, followed by a blank.
    func atDocumentMarker(_ marker: String? = nil) -> Bool {
        guard column == 0, let c = peek(), c == "-" || c == "." else { return false }
        guard peek(1) == c, peek(2) == c, isBlankOrEnd(3) else { return false }
        if let marker { return marker.unicodeScalars.first == c }
        return true
    }

    // MARK: Whitespace and comments

    /// Skips spaces and tabs on the current line.
    mutating func skipSpacesInLine() {
        while let c = peek(), c == " " || c == "\t" { advance() }
    }

    /// Skips a comment, if the cursor is on one, up to (not past) the line break.
    mutating func skipComment() {
        guard peek() == "#" else { return }
        while let c = peek(), c != "\n" { advance() }
    }

    /// True when the rest of the line is blank or a comment.
    func atLineEnd() -> Bool {
        guard let c = peek() else { return true }
        return c == "\n" || c == "#"
    }

    /// Moves to the next content: past spaces, comments and empty lines. Rejects tabs used as indentation.
    mutating func skipToContent() throws(YAMLError) {
        while !atEnd {
            skipSpacesInLine()
            skipComment()
            guard peek() == "\n" else { return }
            advance()
            // Indentation of the next line: spaces only.
            var offset = 0
            while peek(offset) == " " { offset += 1 }
            if peek(offset) == "\t" {
                var probe = offset
                while let c = peek(probe), c == " " || c == "\t" { probe += 1 }
                if let c = peek(probe), c != "\n", c != "#" {
                    advance(offset)
                    throw error("a tab character is not allowed in indentation; indent with spaces")
                }
            }
        }
    }

    mutating func enter() throws(YAMLError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("nesting deeper than \(Self.maximumDepth) levels") }
    }

    // MARK: Stream and documents

    mutating func parseStream() throws(YAMLError) -> [YAMLDocument] {
        var documents: [YAMLDocument] = []
        while true {
            try skipToContent()
            if atEnd { break }
            if column == 0, peek() == "%" {
                try parseDirective()
                continue
            }
            var explicitStart = false
            if atDocumentMarker("---") {
                advance(3)
                explicitStart = true
            }
            anchors = [:]
            let root = try parseNode(parent: -1, mappingOnThisLine: !explicitStart, sequenceAtParent: false)
            try skipToContent()
            if atDocumentMarker("...") {
                advance(3)
                skipSpacesInLine()
                guard atLineEnd() else { throw error("unexpected text after the document end marker '...'") }
            } else if !atEnd && !atDocumentMarker("---") {
                throw error(column > 0
                    ? "unexpected indentation: this line does not belong to the structure above it"
                    : "unexpected content after the end of the document (a key at the wrong indentation?)")
            }
            documents.append(YAMLDocument(root: root))
        }
        // Empty documents (a lone `---`, comments only) are dropped, as kubectl drops them.
        return documents.filter {
            if case .scalar("", .plain) = $0.root.content, $0.root.tag == nil { return false }
            return true
        }
    }

    mutating func parseDirective() throws(YAMLError) {
        let start = mark
        var name = ""
        while let c = peek(), c != " ", c != "\t", c != "\n" { name.unicodeScalars.append(c); advance() }
        guard name == "%YAML" else {
            throw error("the directive \(name) is not supported (only %YAML)", at: start)
        }
        while let c = peek(), c != "\n" { advance() }
    }

    // MARK: Nodes

    /// Parses the node that starts at (or after) the cursor and belongs to a parent indented `parent`
    /// columns. Its content on a later line must be indented more than the parent, except that a
    /// mapping's value may be a sequence at the parent's own indentation (`sequenceAtParent`).
    /// `mappingOnThisLine` allows a block mapping to start on the cursor's line (after `- `).
    mutating func parseNode(parent: Int, mappingOnThisLine: Bool, sequenceAtParent: Bool) throws(YAMLError) -> YAMLNode {
        try enter()
        defer { depth -= 1 }
        skipSpacesInLine()
        var onNewLine = false
        let emptyMark = mark

        if atLineEnd() {
            try skipToContent()
            onNewLine = true
            guard continuesNode(parent: parent, sequenceAtParent: sequenceAtParent) else { return YAMLNode(.scalar("", .plain), at: emptyMark) }
        }

        // Properties: an anchor and/or a tag, in either order.
        var anchor: String?
        var tag: String?
        while let c = peek(), c == "&" || c == "!" {
            if c == "&" {
                if anchor != nil { throw error("a node may have only one anchor") }
                anchor = try parseAnchorName()
            } else {
                if tag != nil { throw error("a node may have only one tag") }
                tag = try parseTag()
            }
            skipSpacesInLine()
            if atLineEnd() {
                try skipToContent()
                onNewLine = true
                guard continuesNode(parent: parent, sequenceAtParent: sequenceAtParent) else {
                    let node = YAMLNode(.scalar("", .plain), at: emptyMark, tag: tag)
                    if let anchor { anchors[anchor] = node }
                    return node
                }
            }
        }

        var node = try parseContent(parent: parent, mappingAllowed: onNewLine || mappingOnThisLine)
        if let tag { node.tag = tag }
        if let anchor { anchors[anchor] = node }
        return node
    }

    /// After a line break: true when the cursor's content still belongs to the node being parsed.
    func continuesNode(parent: Int, sequenceAtParent: Bool) -> Bool {
        if atEnd || atDocumentMarker() { return false }
        if column > parent { return true }
        return sequenceAtParent && column == parent && atSequenceEntry()
    }

    /// True at `- ` (or `-` at the end of a line): a block sequence entry.
    func atSequenceEntry() -> Bool { peek() == "-" && isBlankOrEnd(1) }

    private mutating func parseContent(parent: Int, mappingAllowed: Bool) throws(YAMLError) -> YAMLNode {
        let start = mark
        guard let c = peek() else { return YAMLNode(.scalar("", .plain), at: start) }
        if atSequenceEntry() {
            guard mappingAllowed else {
                throw error("a block sequence cannot start on the same line as its mapping key; start it on the next line")
            }
            return try parseBlockSequence(indent: column)
        }
        switch c {
        case "?" where isBlankOrEnd(1):
            throw error("complex mapping keys ('? ') are not supported")
        case "|", ">":
            return try parseBlockScalar(parent: parent)
        case "*":
            let name = try parseAliasName()
            guard let target = anchors[name] else { throw error("unknown alias '*\(name)'", at: start) }
            skipSpacesInLine()
            if peek() == ":" && isBlankOrEnd(1) { throw error("aliases as mapping keys are not supported", at: start) }
            var node = target
            node.mark = start
            return node
        case "[", "{":
            let node = try parseFlowCollection()
            skipSpacesInLine()
            if peek() == ":" && isBlankOrEnd(1) {
                throw error("a flow collection cannot be a mapping key", at: start)
            }
            return node
        case "@", "`":
            throw error("a plain scalar cannot start with '\(c)'; quote the value")
        case "%" where column == 0:
            throw error("a directive ('%') is only allowed before a document starts")
        default:
            break
        }
        if mappingAllowed, implicitKeyAhead() {
            return try parseBlockMapping(indent: column)
        }
        let node: YAMLNode
        if c == "\"" || c == "'" {
            node = try parseQuotedScalar()
        } else {
            node = try parsePlainScalar(parent: parent, inFlow: false)
        }
        skipSpacesInLine()
        if peek() == ":" && isBlankOrEnd(1) {
            throw error("a mapping cannot start on the same line as another key; put it on its own line, indented", at: start)
        }
        return node
    }

    /// True when the cursor's line starts an implicit key: `key: …` or `"key": …`.
    func implicitKeyAhead() -> Bool {
        var offset = 0
        guard let first = peek() else { return false }
        if first == "\"" || first == "'" {
            offset = 1
            while let c = peek(offset), c != "\n" {
                if first == "\"" && c == "\\" { offset += 2; continue }
                if c == first {
                    if first == "'" && peek(offset + 1) == "'" { offset += 2; continue }
                    offset += 1
                    while let s = peek(offset), s == " " || s == "\t" { offset += 1 }
                    return peek(offset) == ":" && isBlankOrEnd(offset + 1)
                }
                offset += 1
            }
            return false
        }
        while let c = peek(offset), c != "\n" {
            if c == ":" && isBlankOrEnd(offset + 1) { return true }
            if c == "#" && offset > 0, let p = peek(offset - 1), p == " " || p == "\t" { return false }
            offset += 1
        }
        return false
    }

    // MARK: Block collections

    mutating func parseBlockMapping(indent: Int) throws(YAMLError) -> YAMLNode {
        let start = mark
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var seen: [String: YAMLMark] = [:]
        while true {
            let keyMark = mark
            if atSequenceEntry() { throw error("expected a mapping key, found a sequence entry '- '") }
            guard implicitKeyAhead() else {
                throw error("expected a mapping key ('key: value') at this indentation")
            }
            let key: YAMLNode
            if let c = peek(), c == "\"" || c == "'" {
                key = try parseQuotedScalar()
            } else {
                key = try parsePlainKey()
            }
            skipSpacesInLine()
            guard peek() == ":" else { throw error("expected ':' after the mapping key") }
            advance()
            if let keyText = key.scalarText {
                if let first = seen[keyText], keyText != "<<" {
                    throw error("duplicate mapping key \"\(keyText)\" (first at line \(first.line))", at: keyMark)
                }
                seen[keyText] = keyMark
            }
            let value = try parseNode(parent: indent, mappingOnThisLine: false, sequenceAtParent: true)
            pairs.append((key, value))
            try skipToContent()
            if atEnd || atDocumentMarker() || column < indent { break }
            if column > indent { throw error("unexpected indentation: expected a key at column \(indent + 1)") }
        }
        return YAMLNode(.mapping(pairs), at: start)
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
        return YAMLNode(.sequence(items), at: start)
    }

    // MARK: Properties

    mutating func parseAnchorName() throws(YAMLError) -> String {
        advance()  // '&'
        let name = scanName()
        if name.isEmpty { throw error("expected an anchor name after '&'") }
        return name
    }

    mutating func parseAliasName() throws(YAMLError) -> String {
        advance()  // '*'
        let name = scanName()
        if name.isEmpty { throw error("expected an alias name after '*'") }
        return name
    }

    private mutating func scanName() -> String {
        var name = ""
        while let c = peek(), c != " ", c != "\t", c != "\n", c != ",", c != "[", c != "]", c != "{", c != "}" {
            name.unicodeScalars.append(c)
            advance()
        }
        return name
    }

    static let supportedTags: Set<String> = ["!", "!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq", "!!binary", "!!timestamp"]

    mutating func parseTag() throws(YAMLError) -> String {
        let start = mark
        var tag = ""
        while let c = peek(), c != " ", c != "\t", c != "\n" { tag.unicodeScalars.append(c); advance() }
        if tag.hasPrefix("!<tag:yaml.org,2002:"), tag.hasSuffix(">") {
            tag = "!!" + tag.dropFirst("!<tag:yaml.org,2002:".count).dropLast()
        }
        guard Self.supportedTags.contains(tag) else {
            throw error("the tag \(tag) is not supported (only the core tags such as !!str and !!int)", at: start)
        }
        return tag
    }
}
