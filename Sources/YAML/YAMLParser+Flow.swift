/// Flow collections: `[a, b]` and `{k: v}`, which may span lines; JSON is read through here too.
extension YAMLParser {
    mutating func parseFlowCollection() throws(YAMLError) -> YAMLNode {
        try enter()
        defer { depth -= 1 }
        return peek() == "[" ? try parseFlowSequence() : try parseFlowMapping()
    }

    /// Skips spaces, tabs, line breaks and comments inside a flow collection.
    private mutating func skipFlowSpace() throws(YAMLError) {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" {
                advance()
            } else if c == "#" {
                skipComment()
            } else {
                break
            }
        }
        if atDocumentMarker() { throw error("a document marker inside a flow collection; is a ']' or '}' missing?") }
    }

    private mutating func parseFlowSequence() throws(YAMLError) -> YAMLNode {
        let start = mark
        advance()  // '['
        var items: [YAMLNode] = []
        while true {
            try skipFlowSpace()
            guard let c = peek() else { throw error("unterminated flow sequence (opened at line \(start.line), column \(start.column)); expected ']'") }
            if c == "]" { advance(); break }
            if c == "," { throw error("an empty entry in a flow sequence; remove the extra ','") }
            let itemMark = mark
            let item = try parseFlowNode()
            try skipFlowSpace()
            if peek() == ":" {
                // A single-pair mapping inside a sequence: [a: 1].
                advance()
                try skipFlowSpace()
                let value = (peek() == "," || peek() == "]") ? YAMLNode(.scalar("", .plain), at: mark) : try parseFlowNode()
                guard case .scalar = item.content else { throw error("a mapping key must be a scalar", at: itemMark) }
                items.append(try collection(.mapping([(item, value)]), at: itemMark))
                try skipFlowSpace()
            } else {
                items.append(item)
            }
            guard let next = peek() else { continue }
            if next == "," { advance(); continue }
            if next == "]" { advance(); break }
            throw error("expected ',' or ']' in a flow sequence")
        }
        return try collection(.sequence(items), at: start)
    }

    private mutating func parseFlowMapping() throws(YAMLError) -> YAMLNode {
        let start = mark
        advance()  // '{'
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var seen: Set<String> = []
        while true {
            try skipFlowSpace()
            guard let c = peek() else { throw error("unterminated flow mapping (opened at line \(start.line), column \(start.column)); expected '}'") }
            if c == "}" { advance(); break }
            if c == "," { throw error("an empty entry in a flow mapping; remove the extra ','") }
            let keyMark = mark
            let key = try parseFlowNode()
            guard case .scalar(let keyText, _) = key.content else { throw error("a mapping key must be a scalar", at: keyMark) }
            if !seen.insert(keyText).inserted, keyText != "<<" {
                throw error("duplicate mapping key \"\(keyText)\"", at: keyMark)
            }
            try skipFlowSpace()
            var value = YAMLNode(.scalar("", .plain), at: mark)
            if peek() == ":" {
                advance()
                try skipFlowSpace()
                if peek() != "," && peek() != "}" { value = try parseFlowNode() }
                try skipFlowSpace()
            }
            pairs.append((key, value))
            guard let next = peek() else { continue }
            if next == "," { advance(); continue }
            if next == "}" { advance(); break }
            throw error("expected ',' or '}' in a flow mapping")
        }
        return try collection(.mapping(pairs), at: start)
    }

    /// One node inside a flow collection.
    private mutating func parseFlowNode() throws(YAMLError) -> YAMLNode {
        var anchor: String?
        var tag: String?
        while let c = peek(), c == "&" || c == "!" {
            try parseProperty(anchor: &anchor, tag: &tag)
            try skipFlowSpace()
        }
        let start = mark
        var node: YAMLNode
        switch peek() {
        case "[", "{":
            node = try parseFlowCollection()
        case "\"", "'":
            node = try parseQuotedScalar()
        case "*":
            let name = try parseAliasName()
            guard let target = anchors[name] else { throw error("unknown alias '*\(name)'", at: start) }
            node = target
            node.mark = start
        case ",", "]", "}", ":":
            node = YAMLNode(.scalar("", .plain), at: start)
        default:
            node = try parsePlainScalar(parent: -1, inFlow: true)
        }
        if let tag { node.tag = tag }
        if let anchor { anchors[anchor] = node }
        return node
    }
}
