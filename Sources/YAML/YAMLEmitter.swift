import JSON

/// Writes JSON values as block-style YAML, in kubectl's layout (sequence items at their key's indentation).
/// Strings that would read back as something else (`"true"`, `"0755"`, `"a: b"`, `"<<"`) are
/// double-quoted, with YAML escapes for what may not appear raw. Any value reads back, through
/// ``YAMLReader`` and through kubectl, as the value written, whatever Unicode its strings hold.
public enum YAMLEmitter {
    /// The YAML text of `value`, ending with a newline.
    public static func text(of value: JSONValue) -> String {
        var out = ""
        switch value {
        case .object(let o) where !o.isEmpty: writeObject(o, indent: 0, to: &out)
        case .array(let a) where !a.isEmpty: writeArray(a, indent: 0, to: &out)
        default: out += inline(value) + "\n"
        }
        return out
    }

    private static func writeObject(_ object: JSONObject, indent: Int, to out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for (key, value) in object {
            let keyText = scalarText(key, isKey: true)
            if keyText.unicodeScalars.count > YAMLParser.maximumImplicitKeyLength {
                // Too long for an implicit key (kubectl's parser gives up on those): `? key` then `: value`.
                out += pad + "? " + keyText + "\n" + pad + ":"
            } else {
                out += pad + keyText + ":"
            }
            switch value {
            case .object(let o) where !o.isEmpty:
                out += "\n"
                writeObject(o, indent: indent + 2, to: &out)
            case .array(let a) where !a.isEmpty:
                out += "\n"
                writeArray(a, indent: indent, to: &out)
            default:
                out += " " + inline(value) + "\n"
            }
        }
    }

    private static func writeArray(_ array: [JSONValue], indent: Int, to out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in array {
            switch item {
            case .object(let o) where !o.isEmpty:
                // First key on the dash line, the rest aligned under it.
                var nested = ""
                writeObject(o, indent: indent + 2, to: &nested)
                // Drop the indentation by Unicode scalars: dropped as Characters, a key starting with
                // a combining mark would lose it to the last space it combines with.
                out += pad + "- "
                out.unicodeScalars.append(contentsOf: nested.unicodeScalars.dropFirst(indent + 2))
            case .array(let a) where !a.isEmpty:
                out += pad + "-\n"
                writeArray(a, indent: indent + 2, to: &out)
            default:
                out += pad + "- " + inline(item) + "\n"
            }
        }
    }

    private static func inline(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return scalarText(s)
        case .object: return "{}"
        case .array: return "[]"
        default: return value.compactText
        }
    }

    /// A string as a YAML scalar: plain when it reads back as the same string, else double-quoted.
    static func scalarText(_ s: String, isKey: Bool = false) -> String {
        needsQuotes(s, isKey: isKey) ? doubleQuoted(s) : s
    }

    /// Whether `s` written plain would read back as something else. Checked on Unicode scalars,
    /// as the reader reads: `": "` followed by a combining mark is still a key indicator.
    static func needsQuotes(_ s: String, isKey: Bool = false) -> Bool {
        let scalars = Array(s.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last else { return true }
        if PlainScalarResolution.resolve(s) != .string { return true }
        if isKey && s == "<<" { return true }  // a plain `<<` key is a merge key
        if first == " " || last == " " || last == ":" { return true }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return true }
        if scalars.count >= 3, first == "." || first == "-", scalars[1] == first, scalars[2] == first { return true }  // `...`, `---`
        for (i, c) in scalars.enumerated() {
            if c == "\t" || c == "\n" || c == "\u{FEFF}" || !YAMLParser.isAllowed(c) { return true }
            if c == ":" && i + 1 < scalars.count && scalars[i + 1] == " " { return true }
            if c == "#" && i > 0 && scalars[i - 1] == " " { return true }
        }
        return false
    }

    /// A YAML double-quoted scalar: escapes for the quote, the backslash and every character that
    /// may not appear raw (controls, NEL, U+2028/U+2029, the BOM), as go-yaml reads them.
    static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            case "\u{85}": out += "\\N"
            case "\u{2028}": out += "\\L"
            case "\u{2029}": out += "\\P"
            default:
                guard c == "\u{FEFF}" || !YAMLParser.isAllowed(c) else {
                    out.unicodeScalars.append(c)
                    continue
                }
                let hex = String(c.value, radix: 16, uppercase: true)
                let (escape, width) = c.value <= 0xFF ? ("\\x", 2) : c.value <= 0xFFFF ? ("\\u", 4) : ("\\U", 8)
                out += escape + String(repeating: "0", count: width - hex.count) + hex
            }
        }
        return out + "\""
    }
}
