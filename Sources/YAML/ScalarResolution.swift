import JSON

/// What a plain scalar means, resolved the way kubectl resolves it.
///
/// kubectl reads manifests with go-yaml v2 (through sigs.k8s.io/yaml), which keeps YAML 1.1's
/// booleans and octals. So do we, because a manifest must mean here what it means to `kubectl apply`:
/// - `true/True/TRUE`, `yes/Yes/YES`, `on/On/ON`, `y/Y` are true; `false`, `no`, `off`, `n` (same cases) false;
/// - `~`, `null`, `Null`, `NULL` and the empty scalar are null;
/// - integers as Go's `strconv.ParseInt(s, 0, 64)` after removing `_`: `0755` is octal 493,
///   `0x1F` hex, `0o17` and `0b101` too; `09` is not octal and falls through to the float 9;
///   beyond 64 signed bits, `strconv.ParseUint` (up to 2^64-1);
/// - floats matching `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` that Go's
///   `strconv.ParseFloat` takes: `1e3` is 1000, `1e400` (out of range) is the string "1e400";
///   `.inf`/`.nan` cannot become JSON and are rejected;
/// - everything else, timestamps included, is a string.
/// A float with an integral value becomes a JSON integer (`1e3` → `1000`), as it does once
/// kubectl has turned the YAML into JSON; as a mapping key it keeps Go's float text (`1e+06`).
public enum PlainScalarResolution {
    enum Resolved: Equatable {
        case null, bool(Bool), integer(Int)
        /// An integer above `Int.max` that fits 64 unsigned bits (go-yaml's `uint64`).
        case unsigned(UInt64)
        case float(Double)
        case string
    }

    static let trueWords: Set<String> = ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]
    static let falseWords: Set<String> = ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]
    static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]
    static let infinityWords: Set<String> = [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"]
    static let nanWords: Set<String> = [".nan", ".NaN", ".NAN"]

    static func resolve(_ text: String) -> Resolved {
        if nullWords.contains(text) { return .null }
        if trueWords.contains(text) { return .bool(true) }
        if falseWords.contains(text) { return .bool(false) }
        if infinityWords.contains(text) { return .float(text.hasPrefix("-") ? -.infinity : .infinity) }
        if nanWords.contains(text) { return .float(.nan) }
        guard let first = text.unicodeScalars.first, first == "+" || first == "-" || first == "." || ("0"..."9").contains(first) else {
            return .string
        }
        let plain = text.replacingAll("_", with: "")
        if let integer = goParseInt(plain) { return .integer(integer) }
        if let unsigned = goParseUint(plain) { return .unsigned(unsigned) }
        // Go's ParseFloat fails on overflow (±Inf with ErrRange), and go-yaml then keeps the text.
        if isYAMLFloat(plain), let d = Double(plain), d.isFinite { return .float(d) }
        return .string
    }

    /// Go's `strconv.ParseUint(s, 0, 64)`: no sign; `0x`, `0o`, `0b`, a leading `0` (octal) or decimal.
    static func goParseUint(_ s: String) -> UInt64? {
        guard let first = s.first, first != "+", first != "-" else { return nil }
        let (radix, digits) = goRadix(Substring(s))
        guard !digits.isEmpty, digits.first != "+", digits.first != "-" else { return nil }
        return UInt64(digits, radix: radix)
    }

    /// The base Go reads from a prefix (`0x`, `0o`, `0b`, or a leading `0` for octal), and the digits after it.
    private static func goRadix(_ body: Substring) -> (Int, Substring) {
        let lower = body.lowercased()
        if lower.hasPrefix("0x") { return (16, body.dropFirst(2)) }
        if lower.hasPrefix("0o") { return (8, body.dropFirst(2)) }
        if lower.hasPrefix("0b") { return (2, body.dropFirst(2)) }
        if body.count > 1, body.first == "0" { return (8, body.dropFirst()) }
        return (10, body)
    }

    /// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b`, a leading `0` (octal) or decimal.
    static func goParseInt(_ s: String) -> Int? {
        var body = Substring(s)
        var negative = false
        if let f = body.first, f == "+" || f == "-" {
            negative = f == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        let radix: Int
        (radix, body) = goRadix(body)
        guard !body.isEmpty, body.first != "+", body.first != "-", let magnitude = UInt64(body, radix: radix) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int.min : -Int(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int(magnitude)
    }

    /// go-yaml's float syntax: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    static func isYAMLFloat(_ s: String) -> Bool {
        var chars = Array(s.unicodeScalars)[...]
        func digits() -> Int {
            var n = 0
            while let c = chars.first, ("0"..."9").contains(c) { chars = chars.dropFirst(); n += 1 }
            return n
        }
        if let c = chars.first, c == "+" || c == "-" { chars = chars.dropFirst() }
        if chars.first == "." {
            chars = chars.dropFirst()
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if chars.first == "." { chars = chars.dropFirst(); _ = digits() }
        }
        if let c = chars.first, c == "e" || c == "E" {
            chars = chars.dropFirst()
            if let c = chars.first, c == "+" || c == "-" { chars = chars.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return chars.isEmpty
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
