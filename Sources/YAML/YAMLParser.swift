/// A recursive-descent YAML reader over Unicode scalars. This file holds the stream, documents,
/// nodes and their properties; block collections, flow collections and scalars have their own files.
///
/// Supported: block and flow collections; plain, quoted and block scalars; comments;
/// several documents; anchors, aliases and merge keys; explicit (`? `) scalar keys in block
/// mappings; the core tags (`!!str`, `!!int`, `!!binary`, …).
/// Rejected with an error and its position: collections as keys, `? ` in flow collections,
/// directives (`%YAML`, `%TAG`), custom tags, tabs used as indentation, and what kubectl's
/// parser (go-yaml v2) rejects too. The README's YAML section lists every case.
struct YAMLParser {
    let text: [Unicode.Scalar]
    var index = 0
    var line = 1
    var lineStart = 0
    var anchors: [String: YAMLNode] = [:]
    var depth = 0
    /// Nesting limit, for the parser's recursion and for the tree once aliases are expanded.
    static let maximumDepth = 256
    /// go-yaml (libyaml) gives up on an implicit key whose `:` is more than 1,024 characters from
    /// where the key starts (`could not find expected ':'`); so do we, rather than accept a file kubectl refuses.
    static let maximumImplicitKeyLength = 1024

    init(_ source: String) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(source.unicodeScalars.count)
        var previousWasCR = false
        for scalar in source.unicodeScalars {
            // Normalise CRLF, CR and NEL line breaks to LF (libyaml reads NEL as a line break too).
            if scalar == "\r" { scalars.append("\n"); previousWasCR = true; continue }
            if scalar == "\n" && previousWasCR { previousWasCR = false; continue }
            previousWasCR = false
            scalars.append(scalar == "\u{85}" ? "\n" : scalar)
        }
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        text = scalars
    }

    /// True for what may appear unescaped in a YAML stream, as libyaml's reader allows it: tab,
    /// line breaks and the printable characters. Not C0/C1 controls, DEL, U+FFFE or U+FFFF; nor
    /// U+2028/U+2029, which libyaml reads as line breaks and we do not (write `\L` or `\P`).
    static func isAllowed(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09, 0x0A, 0x20...0x7E: return true
        case 0x2028, 0x2029: return false
        case 0xA0...0xD7FF: return true
        case 0xE000...0xFFFD: return true
        case 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// Refuses the first character no YAML reader may take raw, at its position.
    mutating func checkCharacters() throws(YAMLError) {
        guard let bad = text.firstIndex(where: { !Self.isAllowed($0) }) else { return }
        while index < bad { advance() }
        let code = String(text[bad].value, radix: 16, uppercase: true)
        throw error("the character U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code) is not allowed in YAML; write it as an escape in a double-quoted string")
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
        try checkCharacters()
        var documents: [YAMLDocument] = []
        while true {
            try skipToContent()
            if atEnd { break }
            if column == 0, peek() == "%" {
                try refuseDirective()
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

    /// Directives are refused, `%YAML` included: kubectl splits a file into documents at its `---`
    /// lines before it parses them, which leaves a directive without the document it introduces
    /// (`did not find expected <document start>`), so no file with one can be applied.
    mutating func refuseDirective() throws(YAMLError) {
        var name = ""
        var offset = 0
        while let c = peek(offset), c != " ", c != "\t", c != "\n" { name.unicodeScalars.append(c); offset += 1 }
        throw error("the directive \(name) is not supported: kubectl cannot read a file with a directive (it splits documents at '---' before parsing); remove it")
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

        // A block mapping whose first key is on this line. Properties written before that key
        // (`&a key: value`) are the key's, so the mapping starts here and reads every key alike.
        if onNewLine || mappingOnThisLine, startsBlockMappingEntry() {
            return try parseBlockMapping(indent: column)
        }

        // Properties: an anchor and/or a tag, in either order.
        var anchor: String?
        var tag: String?
        while let c = peek(), c == "&" || c == "!" {
            try parseProperty(anchor: &anchor, tag: &tag)
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
        if mappingAllowed, startsBlockMappingEntry() {
            return try parseBlockMapping(indent: column)
        }
        switch c {
        case "?" where isBlankOrEnd(1):
            throw error("an explicit key ('? ') must start its own line")
        case "|", ">":
            return try parseBlockScalar(parent: parent)
        case "*":
            let name = try parseAliasName()
            guard let target = anchors[name] else { throw error("unknown alias '*\(name)'", at: start) }
            skipSpacesInLine()
            if peek() == ":" && isBlankOrEnd(1) {
                throw error("a mapping cannot start on the same line as another key; put it on its own line, indented", at: start)
            }
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
        default:
            break
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

    /// True when the cursor starts an entry of a block mapping: an explicit key (`? `) or an implicit
    /// one (`key: …`, `"key": …`, `&a !!str key: …`). A sequence entry or a flow collection is not
    /// one, even when a `: ` follows (`- a: 1`, `[a: 1]`); a flow collection used as a key is refused
    /// where it is read.
    func startsBlockMappingEntry() -> Bool {
        guard let c = peek(), !atSequenceEntry() else { return false }
        if c == "?" && isBlankOrEnd(1) { return true }
        if c == "[" || c == "{" { return false }
        return implicitKeyAhead()
    }

    /// True when the cursor's line starts an implicit key: `key: …` or `"key": …`, after any
    /// properties (`&anchor`, `!tag`).
    func implicitKeyAhead() -> Bool {
        var offset = 0
        while let c = peek(offset), c == "&" || c == "!" {
            while let s = peek(offset), s != " ", s != "\t", s != "\n" { offset += 1 }
            while let s = peek(offset), s == " " || s == "\t" { offset += 1 }
        }
        guard let first = peek(offset) else { return false }
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
        let start = offset
        while let c = peek(offset), c != "\n" {
            if c == ":" && isBlankOrEnd(offset + 1) { return true }
            if c == "#" && offset > start, let p = peek(offset - 1), p == " " || p == "\t" { return false }
            offset += 1
        }
        return false
    }

    // MARK: Properties

    /// Reads the property at the cursor, `&anchor` or `!tag`; a node's second anchor or tag is an error.
    mutating func parseProperty(anchor: inout String?, tag: inout String?) throws(YAMLError) {
        if peek() == "&" {
            if anchor != nil { throw error("a node may have only one anchor") }
            anchor = try parseAnchorName()
        } else {
            if tag != nil { throw error("a node may have only one tag") }
            tag = try parseTag()
        }
    }

    mutating func parseAnchorName() throws(YAMLError) -> String {
        advance()  // '&'
        let name = try scanName()
        if name.isEmpty { throw error("expected an anchor name after '&'") }
        return name
    }

    mutating func parseAliasName() throws(YAMLError) -> String {
        advance()  // '*'
        let name = try scanName()
        if name.isEmpty { throw error("expected an alias name after '*'") }
        return name
    }

    /// An anchor or alias name as libyaml scans it: ASCII letters, digits, `-` and `_`, ended by a
    /// blank or one of `?:,]}%@`` ` (so `*a: 1` is the alias `a` used as a key).
    private mutating func scanName() throws(YAMLError) -> String {
        var name = ""
        while let c = peek(), c.isASCII, ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_" {
            name.unicodeScalars.append(c)
            advance()
        }
        if !isBlankOrEnd(), let c = peek(), !"?:,]}%@`".unicodeScalars.contains(c) {
            throw error("an anchor or alias name takes only letters, digits, '-' and '_', not '\(c)'")
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
