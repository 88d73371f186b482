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

/// Splits an expression into tokens. Errors name the column of the offending character.
struct ThresholdLexer {
    static func tokens(_ source: String) throws(ThresholdExpressionError) -> [ThresholdToken] {
        let chars = Array(source.unicodeScalars)
        var tokens: [ThresholdToken] = []
        var i = 0
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" }
        func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
        while i < chars.count {
            let c = chars[i]
            let column = i + 1
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            func two(_ second: Unicode.Scalar) -> Bool { i + 1 < chars.count && chars[i + 1] == second }
            switch c {
            case "(": tokens.append(.init(kind: .leftParen, column: column, length: 1)); i += 1; continue
            case ")": tokens.append(.init(kind: .rightParen, column: column, length: 1)); i += 1; continue
            case "&":
                guard two("&") else { throw ThresholdExpressionError(column: column, message: "expected '&&' (a single '&' is not an operator)") }
                tokens.append(.init(kind: .and, column: column, length: 2)); i += 2; continue
            case "|":
                guard two("|") else { throw ThresholdExpressionError(column: column, message: "expected '||' (a single '|' is not an operator)") }
                tokens.append(.init(kind: .or, column: column, length: 2)); i += 2; continue
            case "!":
                if two("=") { tokens.append(.init(kind: .op(.notEqual), column: column, length: 2)); i += 2 }
                else { tokens.append(.init(kind: .not, column: column, length: 1)); i += 1 }
                continue
            case "=":
                guard two("=") else { throw ThresholdExpressionError(column: column, message: "expected '==' (a single '=' is not an operator)") }
                tokens.append(.init(kind: .op(.equal), column: column, length: 2)); i += 2; continue
            case "<", ">":
                let orEqual = two("=")
                let op: ComparisonOperator = c == "<" ? (orEqual ? .lessOrEqual : .less) : (orEqual ? .greaterOrEqual : .greater)
                tokens.append(.init(kind: .op(op), column: column, length: orEqual ? 2 : 1))
                i += orEqual ? 2 : 1
                continue
            case "-", "+":
                if c == "-", i + 1 < chars.count, isDigit(chars[i + 1]) || chars[i + 1] == "." {
                    throw ThresholdExpressionError(column: column, message: "negative quantities are not allowed: no metric is ever below zero")
                }
                throw ThresholdExpressionError(column: column, message: "unexpected '\(c)'; arithmetic is not part of threshold expressions")
            default:
                break
            }
            if isLetter(c) {
                var j = i
                while j < chars.count, isLetter(chars[j]) || isDigit(chars[j]) || chars[j] == "." { j += 1 }
                let name = String(String.UnicodeScalarView(chars[i..<j]))
                tokens.append(.init(kind: .identifier(name), column: column, length: j - i))
                i = j
                continue
            }
            if isDigit(c) || (c == "." && i + 1 < chars.count && isDigit(chars[i + 1])) {
                var j = i
                while j < chars.count, isDigit(chars[j]) { j += 1 }
                if j < chars.count, chars[j] == "." {
                    j += 1
                    guard j < chars.count, isDigit(chars[j]) else {
                        throw ThresholdExpressionError(column: j + 1, message: "expected a digit after the decimal point")
                    }
                    while j < chars.count, isDigit(chars[j]) { j += 1 }
                }
                let numberText = String(String.UnicodeScalarView(chars[i..<j]))
                var k = j
                while k < chars.count, isLetter(chars[k]) || chars[k] == "%" || chars[k] == "µ" { k += 1 }
                let unit = String(String.UnicodeScalarView(chars[j..<k]))
                guard let number = Double(numberText) else {
                    throw ThresholdExpressionError(column: column, message: "'\(numberText)' is not a number")
                }
                tokens.append(.init(kind: .quantity(number: number, numberText: numberText, unit: unit), column: column, length: k - i))
                i = k
                continue
            }
            throw ThresholdExpressionError(column: column, message: "unexpected character '\(c)'")
        }
        tokens.append(.init(kind: .end, column: chars.count + 1, length: 0))
        return tokens
    }
}
