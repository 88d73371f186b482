import Autoscaling
import CommandLineSupport
import Kube

/// The `eipctl` command line: dispatches to a subcommand and maps failures to exit codes.
public enum EIPCtl {
    static let overview = """
    eipctl \(EIPVersion.current): inspect and dry-run ElasticInferencePools (aiops.example.com/v1alpha2).

    USAGE: eipctl [--kubeconfig FILE] [--context NAME] [-n NAMESPACE] <command> [options]

    COMMANDS:
      validate    Check pool manifests: schema, bounds, threshold expressions, lints.
      reconcile   With --dry-run: show what the operator would do for a pool, and why.
      get         List pools from a live cluster (get pools), as kubectl get does (-o, -l, -w, --sort-by).
      simulate    What-if: a pool's autoscaling on a traffic trace, beside HPA, KEDA and Knative, scored.
      version     Print the client's and the cluster's versions.
      completion  Print a shell completion script (bash, zsh, fish).
      help        Help on a command, or on a topic: 'eipctl help thresholds' (the threshold language).

    Run 'eipctl <command> --help' for a command's options. The global options (--kubeconfig,
    --context, -n) go anywhere on the line, before the command or after it, as kubectl's do.

    EXIT CODES: 0 success; 1 invalid input (an invalid pool, an unreadable file, a missing object,
    a cluster that cannot be read);
    2 usage error (unknown command or option, malformed value).
    """

    /// The commands, for dispatch, suggestions and completion.
    static let commands: [CommandSpec] = [
        ValidateCommand.spec, ReconcileCommand.spec, GetCommand.spec, SimulateCommand.spec, VersionCommand.spec, CompletionCommand.spec,
    ].map(withGlobalOptions)

    /// Runs `eipctl` with `arguments` (without the program name) and returns the exit code.
    public static func run(_ arguments: [String], io: CommandIO, clock: any Clock = SystemClock()) -> ExitCode {
        let command: String?
        let rest: [String]
        do throws(UsageError) {
            (command, rest) = try GlobalOptions.hoist(arguments)
        } catch {
            io.err("error: \(error.message)\nRun 'eipctl --help' for usage.")
            return .usage
        }
        guard let command else {
            io.writeErr(overview + "\n")
            return .usage
        }
        switch command {
        case "-h", "--help":
            io.writeOut(overview + "\n")
            return .success
        case "--version":
            io.out("eipctl \(EIPVersion.current)")
            return .success
        case "help":
            return help(rest.filter { !$0.hasPrefix("-") }, io: io)
        default:
            break
        }
        guard let spec = commands.first(where: { $0.name == command }) else {
            var message = "error: unknown command '\(command)'"
            let names = commands.map(\.name) + ["help"]
            if let guess = names.first(where: { $0.hasPrefix(command) || command.hasPrefix($0) }) {
                message += "; did you mean '\(guess)'?"
            }
            io.err(message + "\nRun 'eipctl --help' for the commands.")
            return .usage
        }
        do throws(UsageError) {
            let parsed = try ParsedArguments.parse(rest, for: spec)
            if parsed.has("help") {
                io.writeOut(spec.helpText)
                return .success
            }
            switch command {
            case "validate": return try ValidateCommand.run(parsed, io: io)
            case "get": return try GetCommand.run(parsed, io: io, clock: clock)
            case "simulate": return try SimulateCommand.run(parsed, io: io)
            case "version": return try VersionCommand.run(parsed, io: io)
            case "completion": return try CompletionCommand.run(parsed, io: io)
            default: return try ReconcileCommand.run(parsed, io: io, clock: clock)
            }
        } catch {
            io.err("error: \(error.message)\nRun 'eipctl \(command) --help' for usage.")
            return .usage
        }
    }

    /// `eipctl help [COMMAND|TOPIC]`.
    private static func help(_ words: [String], io: CommandIO) -> ExitCode {
        guard let word = words.first else {
            io.writeOut(overview + "\n")
            return .success
        }
        if let spec = commands.first(where: { $0.name == word }) {
            io.writeOut(spec.helpText)
            return .success
        }
        if let topic = HelpTopics.all[word] {
            io.writeOut(topic)
            return .success
        }
        io.err("error: no help for '\(word)'; commands: \(commands.map(\.name).joined(separator: ", ")); topics: \(HelpTopics.all.keys.sorted().joined(separator: ", "))")
        return .usage
    }

    /// A command's spec with the global options it does not declare itself.
    static func withGlobalOptions(_ spec: CommandSpec) -> CommandSpec {
        let own = spec.options.filter { $0.key != "help" }
        return CommandSpec(name: spec.name, abstract: spec.abstract, usage: spec.usage, discussion: spec.discussion,
                           options: own + GlobalOptions.missing(from: own), maximumPositionals: spec.maximumPositionals)
    }

    /// The client configuration of `--kubeconfig` and `--context` (kubectl's defaults otherwise:
    /// `KUBECONFIG`, its files merged, else `~/.kube/config`), or nil after saying on stderr why it
    /// cannot be read.
    static func clientConfiguration(_ args: ParsedArguments, io: CommandIO) -> ClientConfiguration? {
        do throws(KubeError) {
            return try ClientConfiguration.fromKubeconfig(paths: args.value("kubeconfig").map { [$0] }, context: args.value("context"))
        } catch {
            io.err("error: \(error.message)")
            return nil
        }
    }
}
