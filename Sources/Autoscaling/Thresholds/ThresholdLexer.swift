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

    private static let micro: (UInt8, UInt8) = (0xC2, 0xB5)  // "µ" in UTF-8

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
    private func isMicro(at i: Int) -> Bool { i + 1 < bytes.count && bytes[i] == Self.micro.0 && bytes[i + 1] == Self.micro.1 }

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
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
                if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                    index += 1
                    guard index < bytes.count, isDigit(bytes[index]) else {
                        throw fail("expected a digit after the decimal point", at: index)
                    }
                    while index < bytes.count, isDigit(bytes[index]) { index += 1 }
                }
                let numberEnd = index
                while index < bytes.count {
                    if isLetter(bytes[index]) || bytes[index] == UInt8(ascii: "%") { index += 1 }
                    else if isMicro(at: index) { index += 2 }
                    else { break }
                }
                let numberText = String(decoding: bytes[start..<numberEnd], as: UTF8.self)
                let unit = String(decoding: bytes[numberEnd..<index], as: UTF8.self)
                guard let number = Double(numberText) else { throw fail("'\(numberText)' is not a number", at: start) }
                guard number.isFinite else { throw fail("'\(numberText)' is too large a number", at: start) }
                tokens.append(token(.quantity(number: number, numberText: numberText, unit: unit), from: start, length: index - start))
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
}
