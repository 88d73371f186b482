/// A token of a threshold expression, with its 1-based column.
struct ThresholdToken: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        /// A number and the unit written right after it (`200` `ms`, `85` `%`, `0.5` ``).
        case quantity(number: Double, numberText: String, unit: String)
        case op(ComparisonOperator)
        case and, or, not, leftParen, rightParen
        case end
    }

    let kind: Kind
    let column: Int
    let length: Int

    var display: String {
        switch kind {
        case .identifier(let s): return "'\(s)'"
        case .quantity(_, let n, let u): return "'\(n)\(u)'"
        case .op(let o): return "'\(o.rawValue)'"
        case .and: return "'&&'"
        case .or: return "'||'"
        case .not: return "'!'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .end: return "the end of the expression"
        }
    }
}

/// Splits an expression into tokens. Works on UTF-8 bytes; columns count characters (Unicode
/// scalars), so `µs` and non-ASCII mistakes point at the right place. Errors name the column of the
/// offending character.
struct ThresholdLexer {
    private let bytes: [UInt8]
    private var index = 0
    // Running byte-index → column translation; tokens are produced left to right.
    private var columnIndex = 0
    private var columnAtIndex = 1

    private init(_ source: String) { bytes = Array(source.utf8) }

    static func tokens(_ source: String) throws(ThresholdExpressionError) -> [ThresholdToken] {
        var lexer = ThresholdLexer(source)
        return try lexer.run()
    }

    /// The two micro signs people type, in UTF-8: U+00B5 MICRO SIGN (`µ`, what a keyboard's
    /// AltGr+m gives) and U+03BC GREEK SMALL LETTER MU (`μ`, what a Greek layout or a copied
    /// document gives). Both mean 10⁻⁶ in `µs`.
    private static let microSigns: [(UInt8, UInt8)] = [(0xC2, 0xB5), (0xCE, 0xBC)]
    /// The units that may follow a number after a space (`200 ms`, `85 %`): only these, so that a
    /// word after a number (`qps > 5 or …`) stays a word and gets its own error.
    private static let spacedUnits: Set<String> = ["us", "µs", "μs", "ms", "s", "%"]

    private mutating func column(at byteIndex: Int) -> Int {
        while columnIndex < byteIndex {
            if bytes[columnIndex] & 0xC0 != 0x80 { columnAtIndex += 1 }
            columnIndex += 1
        }
        return columnAtIndex
    }

    private func isLetter(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 }
    private func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    private func byte(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }
    private func isMicro(at i: Int) -> Bool {
        i + 1 < bytes.count && Self.microSigns.contains { bytes[i] == $0.0 && bytes[i + 1] == $0.1 }
    }
    private func isUnitByte(at i: Int) -> Bool { isLetter(bytes[i]) || bytes[i] == UInt8(ascii: "%") || isMicro(at: i) }

    private mutating func fail(_ message: String, at byteIndex: Int) -> ThresholdExpressionError {
        ThresholdExpressionError(column: column(at: byteIndex), message: message)
    }

    private mutating func token(_ kind: ThresholdToken.Kind, from start: Int, length: Int) -> ThresholdToken {
        let columnStart = column(at: start)
        return ThresholdToken(kind: kind, column: columnStart, length: column(at: start + length) - columnStart)
    }

    private mutating func run() throws(ThresholdExpressionError) -> [ThresholdToken] {
        var tokens: [ThresholdToken] = []
        tokens.reserveCapacity(bytes.count / 3 + 1)
        while index < bytes.count {
            let c = bytes[index]
            let start = index
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
                continue
            case UInt8(ascii: "("): tokens.append(token(.leftParen, from: start, length: 1)); index += 1; continue
            case UInt8(ascii: ")"): tokens.append(token(.rightParen, from: start, length: 1)); index += 1; continue
            case UInt8(ascii: "&"):
                guard byte(1) == UInt8(ascii: "&") else { throw fail("expected '&&' (a single '&' is not an operator)", at: start) }
                tokens.append(token(.and, from: start, length: 2)); index += 2; continue
            case UInt8(ascii: "|"):
                guard byte(1) == UInt8(ascii: "|") else { throw fail("expected '||' (a single '|' is not an operator)", at: start) }
                tokens.append(token(.or, from: start, length: 2)); index += 2; continue
            case UInt8(ascii: "!"):
                if byte(1) == UInt8(ascii: "=") { tokens.append(token(.op(.notEqual), from: start, length: 2)); index += 2 }
                else { tokens.append(token(.not, from: start, length: 1)); index += 1 }
                continue
            case UInt8(ascii: "="):
                guard byte(1) == UInt8(ascii: "=") else { throw fail("expected '==' (a single '=' is not an operator)", at: start) }
                tokens.append(token(.op(.equal), from: start, length: 2)); index += 2; continue
            case UInt8(ascii: "<"), UInt8(ascii: ">"):
                let orEqual = byte(1) == UInt8(ascii: "=")
                let less = c == UInt8(ascii: "<")
                let op: ComparisonOperator = less ? (orEqual ? .lessOrEqual : .less) : (orEqual ? .greaterOrEqual : .greater)
                tokens.append(token(.op(op), from: start, length: orEqual ? 2 : 1))
                index += orEqual ? 2 : 1
                continue
            case UInt8(ascii: "-"), UInt8(ascii: "+"):
                if c == UInt8(ascii: "-"), let next = byte(1), isDigit(next) || next == UInt8(ascii: ".") {
                    throw fail("negative quantities are not allowed: no metric is ever below zero", at: start)
                }
                throw fail("unexpected '\(Character(Unicode.Scalar(c)))'; arithmetic is not part of threshold expressions", at: start)
            default:
                break
            }
            if isLetter(c) {
                while index < bytes.count, isLetter(bytes[index]) || isDigit(bytes[index]) || bytes[index] == UInt8(ascii: ".") { index += 1 }
                tokens.append(token(.identifier(String(decoding: bytes[start..<index], as: UTF8.self)), from: start, length: index - start))
                continue
            }
            if isDigit(c) || (c == UInt8(ascii: ".") && byte(1).map(isDigit) == true) {
                tokens.append(try quantity(from: start))
                continue
            }
            // Anything else: name the character (a whole UTF-8 sequence).
            var end = index + 1
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
            throw fail("unexpected character '\(String(decoding: bytes[start..<end], as: UTF8.self))'", at: start)
        }
        tokens.append(ThresholdToken(kind: .end, column: column(at: bytes.count), length: 0))
        return tokens
    }

    /// A number as people write it, and its unit: digits with an optional fraction (`0.85`, `.5`)
    /// and exponent (`1.5e3`, `2E-1`), then the unit written right after it (`200ms`, `85%`, `2e2ms`)
    /// or, for the units of ``spacedUnits``, after spaces (`200 ms`, `85 %`). The token keeps the
    /// text as written (`1.5e3`); the unit is read by ``Quantity/make(number:numberText:unit:for:)``.
    private mutating func quantity(from start: Int) throws(ThresholdExpressionError) -> ThresholdToken {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw fail("expected a digit after the decimal point", at: index)
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // An exponent only when digits follow (`1e3`, `1e-3`, `1E+3`): `5em` is 5 and the unit `em`.
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            var digits = index + 1
            if digits < bytes.count, bytes[digits] == UInt8(ascii: "+") || bytes[digits] == UInt8(ascii: "-") { digits += 1 }
            if digits < bytes.count, isDigit(bytes[digits]) {
                index = digits
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
        }
        let numberEnd = index
        let numberText = String(decoding: bytes[start..<numberEnd], as: UTF8.self)
        guard let number = Double(numberText) else { throw fail("'\(numberText)' is not a number", at: start) }
        guard number.isFinite else { throw fail("'\(numberText)' is too large a number", at: start) }

        var unitStart = index
        var afterSpaces = index
        while afterSpaces < bytes.count, bytes[afterSpaces] == UInt8(ascii: " ") || bytes[afterSpaces] == UInt8(ascii: "\t") { afterSpaces += 1 }
        if afterSpaces > index {
            var end = afterSpaces
            while end < bytes.count, isUnitByte(at: end) { end += isMicro(at: end) ? 2 : 1 }
            if Self.spacedUnits.contains(String(decoding: bytes[afterSpaces..<end], as: UTF8.self)) { unitStart = afterSpaces }
        }
        index = unitStart
        while index < bytes.count, isUnitByte(at: index) { index += isMicro(at: index) ? 2 : 1 }
        let unit = String(decoding: bytes[unitStart..<index], as: UTF8.self)
        let kind = ThresholdToken.Kind.quantity(number: number, numberText: numberText, unit: unit)
        return token(kind, from: start, length: index - start)
    }
}
