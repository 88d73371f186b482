/// Scalars: quoted, plain (block and flow context) and block (`|`, `>`).
extension YAMLParser {
    // MARK: Quoted scalars

    /// A single- or double-quoted scalar, possibly over several lines (line breaks fold to spaces).
    mutating func parseQuotedScalar() throws(YAMLError) -> YAMLNode {
        let start = mark
        guard let quote = peek() else { throw error("expected a quoted scalar") }
        let isDouble = quote == "\""
        advance()
        var result = String.UnicodeScalarView()
        var pendingWhitespace = String.UnicodeScalarView()
        while true {
            guard let c = peek() else {
                throw error("unterminated \(isDouble ? "double" : "single")-quoted scalar (opened at line \(start.line), column \(start.column))")
            }
            if c == quote {
                if !isDouble && peek(1) == "'" {
                    result.append(contentsOf: pendingWhitespace); pendingWhitespace = .init()
                    result.append("'")
                    advance(2)
                    continue
                }
                advance()
                result.append(contentsOf: pendingWhitespace)
                return YAMLNode(.scalar(String(result), isDouble ? .doubleQuoted : .singleQuoted), at: start)
            }
            if c == " " || c == "\t" {
                pendingWhitespace.append(c)
                advance()
                continue
            }
            if c == "\n" {
                // Fold: trailing whitespace is dropped, one break is a space, each empty line a newline.
                pendingWhitespace = .init()
                try foldQuotedLineBreak(into: &result, start: start)
                continue
            }
            result.append(contentsOf: pendingWhitespace); pendingWhitespace = .init()
            if isDouble && c == "\\" {
                if peek(1) == "\n" {
                    // An escaped line break joins the lines with nothing between them.
                    advance(2)
                    while let s = peek(), s == " " || s == "\t" { advance() }
                    continue
                }
                try parseEscape(into: &result)
                continue
            }
            result.append(c)
            advance()
        }
    }

    private mutating func foldQuotedLineBreak(into result: inout String.UnicodeScalarView, start: YAMLMark) throws(YAMLError) {
        advance()  // the line break
        var emptyLines = 0
        while true {
            while let s = peek(), s == " " || s == "\t" { advance() }
            if atDocumentMarker() {
                throw error("a document marker inside a quoted scalar (opened at line \(start.line)); is a quote missing?")
            }
            guard peek() == "\n" else { break }
            emptyLines += 1
            advance()
        }
        if emptyLines == 0 {
            result.append(" ")
        } else {
            for _ in 0..<emptyLines { result.append("\n") }
        }
    }

    private mutating func parseEscape(into result: inout String.UnicodeScalarView) throws(YAMLError) {
        let escapeMark = mark
        advance()  // '\'
        guard let e = peek() else { throw error("unterminated escape sequence") }
        advance()
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "0": "\0", "a": "\u{07}", "b": "\u{08}", "t": "\t", "\t": "\t", "n": "\n", "v": "\u{0B}",
            "f": "\u{0C}", "r": "\r", "e": "\u{1B}", " ": " ", "\"": "\"", "/": "/", "\\": "\\",
            "N": "\u{85}", "_": "\u{A0}", "L": "\u{2028}", "P": "\u{2029}",
        ]
        if let s = simple[e] {
            result.append(s)
            return
        }
        let digits: Int
        switch e {
        case "x": digits = 2
        case "u": digits = 4
        case "U": digits = 8
        default: throw error("unknown escape '\\\(e)' in a double-quoted scalar", at: escapeMark)
        }
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let h = peek(), let v = hexValue(h) else {
                throw error("expected \(digits) hex digits after '\\\(e)'", at: escapeMark)
            }
            value = value * 16 + v
            advance()
        }
        guard let scalar = Unicode.Scalar(value) else { throw error("invalid Unicode code point in escape", at: escapeMark) }
        result.append(scalar)
    }

    private func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": return c.value - 48
        case "a"..."f": return c.value - 87
        case "A"..."F": return c.value - 55
        default: return nil
        }
    }

    // MARK: Plain scalars

    /// Refuses a plain scalar that starts with an indicator, as libyaml does (`found character that
    /// cannot start any token`): `@`, `` ` ``, `%`, `|`, `>` and the flow indicators, and `-`, `?`
    /// or `:` followed by a blank. In a flow collection `?` (an explicit key) is refused too.
    func checkPlainScalarStart(inFlow: Bool) throws(YAMLError) {
        guard let c = peek() else { return }
        if "@`%|>,[]{}#&*!'\"".unicodeScalars.contains(c) {
            throw error("a plain scalar cannot start with '\(c)'; quote the value")
        }
        if inFlow, c == "?" {
            throw error("explicit keys ('?') are not supported in flow collections; write {key: value}")
        }
        if "-?:".unicodeScalars.contains(c), isBlankOrEnd(1) {
            throw error("a plain scalar cannot start with '\(c)' followed by a space; quote the value")
        }
    }

    /// A plain mapping key: the text up to `: ` on this line (the caller has checked there is one).
    mutating func parsePlainKey() -> YAMLNode {
        let start = mark
        var key = String.UnicodeScalarView()
        while let c = peek(), c != "\n" {
            if c == ":" && isBlankOrEnd(1) { break }
            key.append(c)
            advance()
        }
        while let last = key.last, last == " " || last == "\t" { key.removeLast() }
        return YAMLNode(.scalar(String(key), .plain), at: start)
    }

    /// A plain scalar. In block context it may continue on following lines indented more than `parent`;
    /// in flow context it stops at `,[]{}` too.
    mutating func parsePlainScalar(parent: Int, inFlow: Bool) throws(YAMLError) -> YAMLNode {
        let start = mark
        try checkPlainScalarStart(inFlow: inFlow)
        var result = scanPlainLine(inFlow: inFlow).unicodeScalars
        // Continuation lines: fold a single break into a space, keep one newline per empty line.
        while true {
            let save = (index, line, lineStart)
            guard peek() == "\n" else { break }
            var emptyLines = 0
            advance()
            while true {
                while let s = peek(), s == " " || (s == "\t" && !inFlow) { advance() }
                guard peek() == "\n" else { break }
                emptyLines += 1
                advance()
            }
            let continues: Bool = {
                guard let c = peek(), c != "#" else { return false }
                if atDocumentMarker() { return false }
                if inFlow { return !isFlowIndicator(c) }
                return column > parent && !lineHasKeyIndicator()
            }()
            guard continues else {
                (index, line, lineStart) = save
                break
            }
            let more = scanPlainLine(inFlow: inFlow)
            if more.isEmpty {
                (index, line, lineStart) = save
                break
            }
            if emptyLines == 0 { result.append(" ") } else { for _ in 0..<emptyLines { result.append("\n") } }
            result.append(contentsOf: more.unicodeScalars)
        }
        return YAMLNode(.scalar(String(result), .plain), at: start)
    }

    /// True when the rest of the line holds `: ` outside quotes, i.e. it is a mapping entry.
    private func lineHasKeyIndicator() -> Bool {
        var offset = 0
        while let c = peek(offset), c != "\n" {
            if c == ":" && isBlankOrEnd(offset + 1) { return true }
            if c == "#", offset > 0, let p = peek(offset - 1), p == " " { return false }
            offset += 1
        }
        return false
    }

    func isFlowIndicator(_ c: Unicode.Scalar?) -> Bool {
        guard let c else { return false }
        return c == "," || c == "[" || c == "]" || c == "{" || c == "}"
    }

    /// The plain text on the current line, trimmed, stopping before `: `, ` #`, the line break,
    /// and in flow context before `,[]{}` (so `[a:]` is the string "a:", as go-yaml v2 reads it).
    private mutating func scanPlainLine(inFlow: Bool) -> String {
        var text = String.UnicodeScalarView()
        while let c = peek(), c != "\n" {
            if c == ":" && isBlankOrEnd(1) { break }
            if c == "#", let last = text.last, last == " " || last == "\t" { break }
            if inFlow && isFlowIndicator(c) { break }
            text.append(c)
            advance()
        }
        // Put back trailing blanks so a following comment or ':' is seen by the caller.
        while let last = text.last, last == " " || last == "\t" {
            text.removeLast()
            index -= 1
        }
        return String(text)
    }

    // MARK: Block scalars

    /// A literal (`|`) or folded (`>`) block scalar with optional chomping (`+`, `-`) and indentation indicators.
    mutating func parseBlockScalar(parent: Int) throws(YAMLError) -> YAMLNode {
        let start = mark
        let folded = peek() == ">"
        advance()
        var chomping: Unicode.Scalar = "c"  // 'c' clip (default), '+' keep, '-' strip
        var increment: Int?
        for _ in 0..<2 {
            guard let c = peek() else { break }
            if c == "+" || c == "-" {
                chomping = c
                advance()
            } else if let d = Int(String(c)), (1...9).contains(d), increment == nil {
                increment = d
                advance()
            } else {
                break
            }
        }
        skipSpacesInLine()
        skipComment()
        guard atEnd || peek() == "\n" else {
            throw error("expected a line break after the block scalar header '\(folded ? ">" : "|")'")
        }
        if !atEnd { advance() }

        let minIndent = max(parent + 1, 1)
        var indent: Int
        var breaks = ""
        if let increment {
            indent = minIndent + increment - 1
            breaks = consumeBlockBreaks(indent: indent)
        } else {
            // Auto-detect: the first non-empty line sets the indentation.
            var maxIndent = 0
            while true {
                var spaces = 0
                while peek(spaces) == " " { spaces += 1 }
                maxIndent = max(maxIndent, spaces)
                if peek(spaces) == "\n" {
                    advance(spaces + 1)
                    breaks += "\n"
                    continue
                }
                break
            }
            indent = max(minIndent, maxIndent)
        }

        var chunks = String.UnicodeScalarView()
        var lineBreak = ""
        while true {
            var spaces = 0
            while spaces < indent, peek(spaces) == " " { spaces += 1 }
            guard spaces == indent, let first = peek(spaces) else { break }
            advance(spaces)
            chunks.append(contentsOf: breaks.unicodeScalars)
            let leadingNonSpace = first != " " && first != "\t"
            while let c = peek(), c != "\n" { chunks.append(c); advance() }
            // The end of the input ends the last line as a line break would: `|` then `text` at the
            // very end reads "text\n" under clip chomping, as kubectl reads it.
            lineBreak = "\n"
            if !atEnd { advance() }
            breaks = consumeBlockBreaks(indent: indent)
            // Is there another content line?
            var probe = 0
            while probe < indent, peek(probe) == " " { probe += 1 }
            guard probe == indent, let next = peek(probe) else { break }
            if folded && lineBreak == "\n" && leadingNonSpace && next != " " && next != "\t" {
                if breaks.isEmpty { chunks.append(" ") }
            } else {
                chunks.append(contentsOf: lineBreak.unicodeScalars)
            }
        }
        if chomping != "-" { chunks.append(contentsOf: lineBreak.unicodeScalars) }
        if chomping == "+" { chunks.append(contentsOf: breaks.unicodeScalars) }
        return YAMLNode(.scalar(String(chunks), folded ? .folded : .literal), at: start)
    }

    /// Consumes lines that are empty or hold only spaces short of `indent`; one newline each.
    private mutating func consumeBlockBreaks(indent: Int) -> String {
        var breaks = ""
        while true {
            var spaces = 0
            while spaces < indent, peek(spaces) == " " { spaces += 1 }
            guard peek(spaces) == "\n" else { return breaks }
            advance(spaces + 1)
            breaks += "\n"
        }
    }
}
