import JSON

/// A PromQL template with the pool's names to fill in (SPEC §6): `{{namespace}}`, `{{pool}}`,
/// `{{model}}` (the model's name: `spec.metrics.model.name`, default `modelRef`), `{{models}}` (the
/// model's name and its LoRA adapters' as a regular expression for `=~`: `llama|sql-lora`) and
/// `{{target}}` (the workload's name). Values are escaped for a PromQL string, so a name cannot end
/// the string and inject selectors.
public enum QueryTemplate {
    /// The placeholders a template may use.
    public static let placeholders = ["namespace", "pool", "model", "models", "target"]

    /// The placeholder values for a pool and the name of its workload.
    public static func values(for pool: ElasticInferencePool, target: String) -> [String: String] {
        let match = pool.spec.modelMatch
        return ["namespace": pool.namespace, "pool": pool.name, "model": match.name, "target": target,
                "models": match.names.map(regexEscaped).joined(separator: "|")]
    }

    /// The template with its placeholders filled in, or what is wrong with it.
    public static func render(_ template: String, _ values: [String: String]) -> Result<String, QueryTemplateError> {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                return .failure(QueryTemplateError("unclosed \"{{\" in \(template)"))
            }
            let name = String(rest[open.upperBound..<close.lowerBound]).trimmingSpaces
            guard let value = values[name] else {
                let expected = placeholders.map { "{{\($0)}}" }.joined(separator: ", ")
                return .failure(QueryTemplateError("unknown placeholder {{\(name)}} in \(template); expected one of \(expected)"))
            }
            out += escaped(value)
            rest = rest[close.upperBound...]
        }
        return .success(out + rest)
    }

    /// What is wrong with a template's placeholders; nil when nothing is.
    public static func problem(in template: String) -> String? {
        let dummy = Dictionary(uniqueKeysWithValues: placeholders.map { ($0, "x") })
        if case .failure(let error) = render(template, dummy) { return error.description }
        return nil
    }

    /// A value made safe inside a double-quoted PromQL string. PromQL strings take Go's escapes, of
    /// which JSON's (`\"`, `\\`, `\n`, `\u0001`, …) are a subset: the JSON writer's quoting, unquoted.
    public static func escaped(_ value: String) -> String {
        var quoted = ""
        JSONValue.writeQuoted(value, to: &quoted)
        return String(quoted.dropFirst().dropLast())
    }

    /// A name as a literal in a RE2 regular expression (`meta-llama/Llama-3.1` → `meta-llama/Llama-3\.1`).
    static func regexEscaped(_ name: String) -> String {
        var out = ""
        for character in name {
            if "\\.+*?()|[]{}^$".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}

/// A template that cannot be used: an unclosed or unknown placeholder.
public struct QueryTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    /// Without leading and trailing spaces (U+0020 only).
    var trimmingSpaces: String { Substring(self).trimmingSpaces }
}
