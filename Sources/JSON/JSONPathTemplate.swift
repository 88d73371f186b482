/// A JSONPath template as kubectl reads one (`k8s.io/client-go/util/jsonpath`): text with `{…}`
/// actions, for `-o jsonpath=…`, `--sort-by` and the printer columns of a CRD.
///
/// What it takes: `$` or `@` at the start (optional), `.field`, `['field']`, `..field` (any depth),
/// `.*` and `[*]`, `[n]` (negative from the end), `[start:end]`, unions `[a,b]` and `{.a,.b}`,
/// filters `[?(@.type=="Ready")]` (`==` `!=` `<` `>` `<=` `>=`, or `[?(@.field)]` for presence),
/// `{range EXPR}…{end}`, and string literals `{"\n"}`. A missing field is no result, not an error
/// (kubectl's `--allow-missing-template-keys`, default true). Results print as kubectl prints them:
/// strings as they are, other values as compact JSON, several results of one action space-separated.
public struct JSONPathTemplate: Sendable, Equatable {
    /// Why a template could not be read.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    indirect enum Node: Sendable, Equatable {
        case text(String)
        case expression([Path])
        case range([Path], [Node])
    }

    /// One path of an expression: steps from the current value.
    struct Path: Sendable, Equatable {
        var steps: [Step]
    }

    enum Step: Sendable, Equatable {
        case field(String)
        case recursive(String)
        case wildcard
        case index(Int)
        case slice(Int?, Int?)
        case union([Step])
        case filter(Filter)
    }

    struct Filter: Sendable, Equatable {
        enum Operand: Sendable, Equatable {
            case path(Path)
            case literal(JSONValue)
        }
        var left: Path
        /// nil: presence of `left`.
        var comparison: (op: String, right: Operand)?

        static func == (a: Filter, b: Filter) -> Bool {
            a.left == b.left && a.comparison?.op == b.comparison?.op && a.comparison?.right == b.comparison?.right
        }
    }

    let nodes: [Node]
    /// The template as given.
    public let text: String

    /// Reads `text`. Throws when a `{` is not closed, a path step is malformed, or `range` lacks its `end`.
    public init(_ text: String) throws(ParseError) {
        self.text = text
        var parser = TemplateParser(Array(text.unicodeScalars))
        nodes = try parser.parseNodes(untilEnd: false)
    }

    /// kubectl's relaxed form for `--sort-by` and custom columns: `.a.b`, `a.b` and `{.a.b}` all mean `{.a.b}`.
    public init(relaxed text: String) throws(ParseError) {
        var t = text.trimmingWhitespace
        if t.hasPrefix("{") && t.hasSuffix("}") { t = String(t.dropFirst().dropLast()) }
        if !t.hasPrefix(".") && !t.hasPrefix("$") && !t.hasPrefix("[") { t = "." + t }
        try self.init("{" + t + "}")
    }

    /// The template applied to `value`, as kubectl prints it.
    public func render(_ value: JSONValue) -> String {
        var out = ""
        Self.render(nodes, value, into: &out)
        return out
    }

    /// The values the template's first expression finds in `value` (a printer column's cell, a sort key).
    public func values(in value: JSONValue) -> [JSONValue] {
        for node in nodes {
            switch node {
            case .expression(let paths): return Self.evaluate(paths, value)
            case .range(let paths, _): return Self.evaluate(paths, value)
            case .text: continue
            }
        }
        return []
    }

    private static func render(_ nodes: [Node], _ value: JSONValue, into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let text): out += text
            case .expression(let paths):
                out += evaluate(paths, value).map(printed).joined(separator: " ")
            case .range(let paths, let body):
                for item in evaluate(paths, value) { render(body, item, into: &out) }
            }
        }
    }

    /// A result as kubectl prints it: strings bare, everything else as compact JSON.
    public static func printed(_ value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        return value.compactText
    }

    static func evaluate(_ paths: [Path], _ root: JSONValue) -> [JSONValue] {
        paths.flatMap { evaluate($0, root) }
    }

    static func evaluate(_ path: Path, _ root: JSONValue) -> [JSONValue] {
        var current = [root]
        for step in path.steps {
            current = current.flatMap { apply(step, to: $0) }
        }
        return current
    }

    private static func apply(_ step: Step, to value: JSONValue) -> [JSONValue] {
        switch step {
        case .field(let name):
            return value[name].map { [$0] } ?? []
        case .recursive(let name):
            var found: [JSONValue] = []
            collect(name, in: value, into: &found)
            return found
        case .wildcard:
            if let items = value.arrayValue { return items }
            if let object = value.objectValue { return object.map(\.value) }
            return []
        case .index(let i):
            guard let items = value.arrayValue else { return [] }
            let index = i < 0 ? items.count + i : i
            return items.indices.contains(index) ? [items[index]] : []
        case .slice(let start, let end):
            guard let items = value.arrayValue else { return [] }
            func clamp(_ v: Int?, _ fallback: Int) -> Int {
                guard let v else { return fallback }
                return max(0, min(items.count, v < 0 ? items.count + v : v))
            }
            let from = clamp(start, 0), to = clamp(end, items.count)
            return from < to ? Array(items[from..<to]) : []
        case .union(let steps):
            return steps.flatMap { apply($0, to: value) }
        case .filter(let filter):
            let candidates = value.arrayValue ?? (value.objectValue.map { _ in [value] } ?? [])
            return candidates.filter { matches(filter, $0) }
        }
    }

    private static func collect(_ name: String, in value: JSONValue, into found: inout [JSONValue]) {
        switch value {
        case .object(let object):
            if let match = object[name] { found.append(match) }
            for member in object { collect(name, in: member.value, into: &found) }
        case .array(let items):
            for item in items { collect(name, in: item, into: &found) }
        default:
            break
        }
    }

    private static func matches(_ filter: Filter, _ item: JSONValue) -> Bool {
        let left = evaluate(filter.left, item)
        guard let comparison = filter.comparison else { return !left.isEmpty }
        let rights: [JSONValue]
        switch comparison.right {
        case .literal(let v): rights = [v]
        case .path(let p): rights = evaluate(p, item)
        }
        for l in left {
            for r in rights where compare(l, comparison.op, r) { return true }
        }
        return false
    }

    /// Numbers by value, anything else by its printed text.
    private static func compare(_ l: JSONValue, _ op: String, _ r: JSONValue) -> Bool {
        if let a = l.doubleValue, let b = r.doubleValue { return holds(a, op, b) }
        return holds(printed(l), op, printed(r))
    }

    private static func holds<T: Comparable>(_ a: T, _ op: String, _ b: T) -> Bool {
        switch op {
        case "==": return a == b
        case "!=": return a != b
        case "<": return a < b
        case ">": return a > b
        case "<=": return a <= b
        case ">=": return a >= b
        default: return false
        }
    }
}

/// Reads a template into nodes (`{range}` bodies up to their `{end}`).
private struct TemplateParser {
    let scalars: [Unicode.Scalar]
    var position = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    typealias Node = JSONPathTemplate.Node
    typealias ParseError = JSONPathTemplate.ParseError

    mutating func parseNodes(untilEnd: Bool) throws(ParseError) -> [Node] {
        var nodes: [Node] = []
        var text = ""
        while position < scalars.count {
            let c = scalars[position]
            guard c == "{" else {
                text.unicodeScalars.append(c)
                position += 1
                continue
            }
            if !text.isEmpty { nodes.append(.text(text)); text = "" }
            guard let close = closingBrace(from: position) else {
                throw ParseError(message: "unclosed action: \(String(String.UnicodeScalarView(scalars[position...])))")
            }
            let inside = String(String.UnicodeScalarView(scalars[(position + 1)..<close])).trimmingWhitespace
            position = close + 1
            if inside == "end" {
                guard untilEnd else { throw ParseError(message: "not in range, nothing to end") }
                return nodes
            }
            if inside.hasPrefix("range ") || inside == "range" {
                let expression = String(inside.dropFirst(5)).trimmingWhitespace
                let paths = try Self.parseExpression(expression)
                let body = try parseNodes(untilEnd: true)
                nodes.append(.range(paths, body))
                continue
            }
            if let literal = Self.stringLiteral(inside) {
                nodes.append(.text(literal))
                continue
            }
            nodes.append(.expression(try Self.parseExpression(inside)))
        }
        if untilEnd { throw ParseError(message: "range without its {end}") }
        if !text.isEmpty { nodes.append(.text(text)) }
        return nodes
    }

    /// The index of the `}` that closes the `{` at `start` (quotes and brackets skipped).
    private func closingBrace(from start: Int) -> Int? {
        Self.firstOutside(scalars, from: start + 1) { scalars[$0] == "}" }
    }

    /// The first index from `start` at which `stop` holds, outside quoted text (`"…"`, `'…'`, with
    /// `\` escapes) and outside the brackets and parentheses opened after `start`.
    static func firstOutside(_ s: [Unicode.Scalar], from start: Int, _ stop: (Int) -> Bool) -> Int? {
        var i = start
        var quote: Unicode.Scalar?
        var depth = 0
        while i < s.count {
            let c = s[i]
            if let q = quote {
                if c == "\\" { i += 2; continue }
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if depth == 0, stop(i) {
                return i
            } else if c == "[" || c == "(" {
                depth += 1
            } else if c == "]" || c == ")" {
                depth -= 1
            }
            i += 1
        }
        return nil
    }

    /// `"…"` with Go's escapes (`\n`, `\t`, `\"`, `\\`), or nil when `text` is not one literal.
    static func stringLiteral(_ text: String) -> String? {
        let s = Array(text.unicodeScalars)
        guard s.count >= 2, s.first == "\"" || s.first == "'", s.last == s.first else { return nil }
        var out = ""
        var i = 1
        while i < s.count - 1 {
            var c = s[i]
            if c == "\\", i + 1 < s.count - 1 {
                i += 1
                switch s[i] {
                case "n": c = "\n"
                case "t": c = "\t"
                case "r": c = "\r"
                default: c = s[i]
                }
            } else if c == s[0] {
                return nil  // two literals, or a quote inside
            }
            out.unicodeScalars.append(c)
            i += 1
        }
        return out
    }

    /// A comma-separated union of paths: `.a,.b`.
    static func parseExpression(_ text: String) throws(ParseError) -> [JSONPathTemplate.Path] {
        let s = Array(text.unicodeScalars)
        var paths: [JSONPathTemplate.Path] = []
        var start = 0
        while true {
            let end = firstOutside(s, from: start) { s[$0] == "," } ?? s.count
            paths.append(try parsePath(String(String.UnicodeScalarView(s[start..<end])).trimmingWhitespace))
            guard end < s.count else { return paths }
            start = end + 1
        }
    }

    static func parsePath(_ text: String) throws(ParseError) -> JSONPathTemplate.Path {
        let s = Array(text.unicodeScalars)
        var i = 0
        if i < s.count, s[i] == "$" || s[i] == "@" { i += 1 }
        var steps: [JSONPathTemplate.Step] = []
        func name(from start: Int) -> (String, Int) {
            var j = start
            var out = ""
            while j < s.count, s[j] != ".", s[j] != "[" {
                out.unicodeScalars.append(s[j])
                j += 1
            }
            return (out, j)
        }
        while i < s.count {
            switch s[i] {
            case ".":
                if i + 1 < s.count, s[i + 1] == "." {
                    let (field, next) = name(from: i + 2)
                    guard !field.isEmpty else { throw ParseError(message: "expected a field name after '..' in \(text)") }
                    steps.append(.recursive(field))
                    i = next
                } else {
                    let (field, next) = name(from: i + 1)
                    if field == "*" { steps.append(.wildcard) } else if !field.isEmpty { steps.append(.field(field)) }
                    i = next
                }
            case "[":
                guard let j = firstOutside(s, from: i + 1, { s[$0] == "]" }) else { throw ParseError(message: "unterminated [ in \(text)") }
                steps.append(try bracket(String(String.UnicodeScalarView(s[(i + 1)..<j])).trimmingWhitespace, in: text))
                i = j + 1
            default:
                // A bare first field: `metadata.name` (kubectl's relaxed form reaches here only via init(relaxed:)).
                let (field, next) = name(from: i)
                steps.append(.field(field))
                i = next
            }
        }
        return JSONPathTemplate.Path(steps: steps)
    }

    private static func bracket(_ inner: String, in text: String) throws(ParseError) -> JSONPathTemplate.Step {
        if inner == "*" { return .wildcard }
        if inner.hasPrefix("?") {
            var body = String(inner.dropFirst()).trimmingWhitespace
            guard body.hasPrefix("("), body.hasSuffix(")") else { throw ParseError(message: "a filter is written [?(…)] in \(text)") }
            body = String(body.dropFirst().dropLast()).trimmingWhitespace
            return .filter(try filter(body, in: text))
        }
        let items = inner.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace }
        if items.count > 1 {
            var steps: [JSONPathTemplate.Step] = []
            for item in items { steps.append(try bracket(item, in: text)) }
            return .union(steps)
        }
        if let literal = stringLiteral(inner) { return .field(literal) }
        if inner.contains(":") {
            let parts = inner.split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace }
            guard parts.count <= 3 else { throw ParseError(message: "bad slice [\(inner)] in \(text)") }
            func bound(_ t: String) throws(ParseError) -> Int? {
                if t.isEmpty { return nil }
                guard let v = Int(t) else { throw ParseError(message: "bad slice bound \(t) in \(text)") }
                return v
            }
            return .slice(try bound(parts[0]), try bound(parts[1]))
        }
        guard let index = Int(inner) else { throw ParseError(message: "bad index [\(inner)] in \(text)") }
        return .index(index)
    }

    private static func filter(_ body: String, in text: String) throws(ParseError) -> JSONPathTemplate.Filter {
        let characters = Array(body.unicodeScalars)
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            let symbol = Array(op.unicodeScalars)
            // The first occurrence outside quotes.
            guard let at = firstOutside(characters, from: 0, { i in
                i + symbol.count <= characters.count && Array(characters[i..<(i + symbol.count)]) == symbol
            }) else { continue }
            let left = String(String.UnicodeScalarView(characters[..<at])).trimmingWhitespace
            let right = String(String.UnicodeScalarView(characters[(at + symbol.count)...])).trimmingWhitespace
            let operand: JSONPathTemplate.Filter.Operand
            if let literal = stringLiteral(right) {
                operand = .literal(.string(literal))
            } else if let number = Int(right) {
                operand = .literal(.integer(number))
            } else if let number = Double(right) {
                operand = .literal(.double(number))
            } else if right == "true" || right == "false" {
                operand = .literal(.bool(right == "true"))
            } else if right.hasPrefix("@") || right.hasPrefix("$") {
                operand = .path(try parsePath(right))
            } else {
                throw ParseError(message: "unrecognized filter operand \(right) in \(text)")
            }
            return JSONPathTemplate.Filter(left: try parsePath(left), comparison: (op, operand))
        }
        return JSONPathTemplate.Filter(left: try parsePath(body), comparison: nil)
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines.
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
