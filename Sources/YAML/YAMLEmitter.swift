import JSON

/// Writes JSON values as block-style YAML, in kubectl's layout (sequence items at their key's indentation).
/// Strings that would read back as something else (`"true"`, `"0755"`, `"a: b"`) are double-quoted.
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
            out += pad + scalarText(key) + ":"
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
                out += pad + "- " + nested.dropFirst(indent + 2)
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
    static func scalarText(_ s: String) -> String {
        needsQuotes(s) ? JSONValue.quoted(s) : s
    }

    static func needsQuotes(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return true }
        if PlainScalarResolution.resolve(s) != .string { return true }
        if first == " " || last == " " || last == ":" { return true }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return true }
        if s.contains(": ") || s.contains(" #") || s.contains("\t") { return true }
        return s.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{7F}" || $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}" || $0 == "\u{FEFF}" }
    }
}
