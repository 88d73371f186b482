import CommandLineSupport

/// The options every command takes, anywhere on the line, as kubectl's global flags:
/// `eipctl --kubeconfig F -n ns get pools` is `eipctl get pools --kubeconfig F -n ns`. Commands that
/// read no cluster (`validate`, `simulate`, `completion`) accept them and read them not.
enum GlobalOptions {
    static let specs = [
        OptionSpec(["--kubeconfig"], value: "FILE", help: "The kubeconfig (default: KUBECONFIG, one file or several joined by ':', else ~/.kube/config)."),
        OptionSpec(["--context"], value: "NAME", help: "The kubeconfig context (default: the current one)."),
        OptionSpec(["-n", "--namespace"], value: "NAMESPACE", help: "The namespace (default: the context's)."),
    ]

    /// `specs`, less those a command declares itself (with its own help).
    static func missing(from options: [OptionSpec]) -> [OptionSpec] {
        specs.filter { global in !options.contains { $0.key == global.key } }
    }

    /// Splits a command line at its command: the global options before it move behind it.
    /// `["--kubeconfig", "F", "-n", "ns", "get", "pools"]` → (`get`, `["pools", "--kubeconfig", "F", "-n", "ns"]`).
    /// Throws when an option before the command is not a global one (or lacks its value).
    static func hoist(_ arguments: [String]) throws(UsageError) -> (command: String?, rest: [String]) {
        var leading: [String] = []
        var index = 0
        while index < arguments.count, arguments[index].hasPrefix("-"), arguments[index] != "-" {
            let argument = arguments[index]
            if ["-h", "--help", "--version"].contains(argument) { return (argument, Array(arguments.dropFirst(index + 1)) + leading) }
            let name = argument.firstIndex(of: "=").map { String(argument[..<$0]) }
                ?? (argument.hasPrefix("--") || argument.count <= 2 ? argument : String(argument.prefix(2)))
            guard let spec = specs.first(where: { $0.names.contains(name) }) else {
                throw UsageError("unknown flag '\(name)' before the command; global flags are \(specs.flatMap(\.names).joined(separator: ", "))")
            }
            leading.append(argument)
            index += 1
            let inline = argument.contains("=") || (!argument.hasPrefix("--") && argument.count > 2)
            if spec.valueName != nil, !inline {
                guard index < arguments.count else { throw UsageError("option '\(name)' needs a value (\(spec.valueName ?? "VALUE"))") }
                leading.append(arguments[index])
                index += 1
            }
        }
        guard index < arguments.count else { return (nil, leading) }
        return (arguments[index], Array(arguments.dropFirst(index + 1)) + leading)
    }
}
