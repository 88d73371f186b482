import NameSuggestion

/// One option a command accepts.
public struct OptionSpec: Sendable {
    /// Every spelling: `["-f", "--filename"]`. The last long one is the option's key.
    public let names: [String]
    /// A name for the value in help (`FILE`); nil for a flag that takes none.
    public let valueName: String?
    public let help: String
    /// May be given more than once (values accumulate).
    public let repeatable: Bool

    public init(_ names: [String], value valueName: String? = nil, repeatable: Bool = false, help: String) {
        self.names = names
        self.valueName = valueName
        self.help = help
        self.repeatable = repeatable
    }

    /// The key values are stored under: the long name without dashes.
    public var key: String {
        let long = names.last(where: { $0.hasPrefix("--") }) ?? names[names.count - 1]
        return String(long.drop(while: { $0 == "-" }))
    }
}

/// A command: its name, what it does, its options and positional arguments.
public struct CommandSpec: Sendable {
    public let name: String
    public let abstract: String
    public let usage: String
    public let discussion: String
    public let options: [OptionSpec]
    /// How many positional arguments it accepts at most.
    public let maximumPositionals: Int

    public init(name: String, abstract: String, usage: String, discussion: String = "", options: [OptionSpec], maximumPositionals: Int = 0) {
        self.name = name
        self.abstract = abstract
        self.usage = usage
        self.discussion = discussion
        self.options = options + [OptionSpec(["-h", "--help"], help: "Show this help.")]
        self.maximumPositionals = maximumPositionals
    }

    /// The help text: usage, discussion, then one line per option.
    public var helpText: String {
        var out = "\(abstract)\n\nUSAGE: \(usage)\n"
        if !discussion.isEmpty { out += "\n\(discussion)\n" }
        out += "\nOPTIONS:\n"
        let rows = options.map { option -> (String, String) in
            var left = option.names.joined(separator: ", ")
            if let value = option.valueName { left += " \(value)" }
            return (left, option.help)
        }
        let width = min(32, (rows.map(\.0.count).max() ?? 0) + 2)
        for (left, help) in rows {
            let pad = left.count < width ? String(repeating: " ", count: width - left.count) : "\n" + String(repeating: " ", count: width + 2)
            out += "  \(left)\(pad)\(help)\n"
        }
        return out
    }
}

/// A command line that does not fit its command: unknown option, missing value, …
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The options and arguments given on a command line.
public struct ParsedArguments: Sendable, Equatable {
    public private(set) var values: [String: [String]] = [:]
    public private(set) var positionals: [String] = []

    /// The values of a repeatable option, in order.
    public func all(_ key: String) -> [String] { values[key] ?? [] }
    /// The (last) value of an option.
    public func value(_ key: String) -> String? { values[key]?.last }
    /// Whether a flag or option was given.
    public func has(_ key: String) -> Bool { values[key] != nil }

    /// Parses `arguments` for `spec`. Accepts `--name value`, `--name=value`, `-n value`, `-nvalue`,
    /// `-n=value`, and `--` to end options. Unknown options are errors, with a suggestion.
    public static func parse(_ arguments: [String], for spec: CommandSpec) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" { optionsEnded = true; continue }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            } else if !argument.hasPrefix("--"), argument.count > 2 {
                // -ojson
                name = String(argument.prefix(2))
                inlineValue = String(argument.dropFirst(2))
            }
            guard let option = spec.options.first(where: { $0.names.contains(name) }) else {
                var message = "unknown option '\(name)' for '\(spec.name)'"
                let all = spec.options.flatMap(\.names)
                if let guess = NameSuggestion.closest(to: name, in: all, caseSensitive: true) { message += "; did you mean '\(guess)'?" }
                throw UsageError(message)
            }
            let value: String
            if option.valueName == nil {
                if let inlineValue, !["true", "false"].contains(inlineValue) {
                    throw UsageError("option '\(name)' takes no value")
                }
                if inlineValue == "false" { continue }
                value = "true"
            } else if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count else { throw UsageError("option '\(name)' needs a value (\(option.valueName ?? "VALUE"))") }
                value = arguments[index]
                index += 1
            }
            if !option.repeatable, parsed.values[option.key] != nil, option.valueName != nil {
                throw UsageError("option '\(name)' may be given only once")
            }
            parsed.values[option.key, default: []].append(value)
        }
        if parsed.positionals.count > spec.maximumPositionals {
            let extra = parsed.positionals[spec.maximumPositionals]
            throw UsageError(spec.maximumPositionals == 0
                ? "'\(spec.name)' takes no arguments, found '\(extra)'"
                : "too many arguments for '\(spec.name)': '\(extra)'")
        }
        return parsed
    }
}
