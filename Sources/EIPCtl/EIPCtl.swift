import Autoscaling
import CommandLineSupport
import Kube

/// The `eipctl` command line: dispatches to a subcommand and maps failures to exit codes.
public enum EIPCtl {
    static let overview = """
    eipctl \(EIPVersion.current): inspect and dry-run ElasticInferencePools (aiops.example.com/v1alpha2).

    USAGE: eipctl <command> [options]

    COMMANDS:
      validate    Check pool manifests: schema, bounds, threshold expressions, lints.
      reconcile   With --dry-run: show what the operator would do for a pool, and why.
      get         List pools from a live cluster (get pools), as a kubectl-style table.
      simulate    What-if: a pool's autoscaling on a traffic trace, beside HPA, KEDA and Knative, scored.
      version     Print the version.

    Run 'eipctl <command> --help' for a command's options.

    EXIT CODES: 0 success; 1 invalid input (an invalid pool, an unreadable file, a missing object,
    a cluster that cannot be read);
    2 usage error (unknown command or option, malformed value).
    """

    /// Runs `eipctl` with `arguments` (without the program name) and returns the exit code.
    public static func run(_ arguments: [String], io: CommandIO, clock: any Clock = SystemClock()) -> ExitCode {
        guard let command = arguments.first else {
            io.writeErr(overview + "\n")
            return .usage
        }
        let rest = Array(arguments.dropFirst())
        let spec: CommandSpec
        switch command {
        case "-h", "--help", "help":
            io.writeOut(overview + "\n")
            return .success
        case "version", "--version":
            io.out("eipctl \(EIPVersion.current)")
            return .success
        case "validate": spec = ValidateCommand.spec
        case "reconcile": spec = ReconcileCommand.spec
        case "get": spec = GetCommand.spec
        case "simulate": spec = SimulateCommand.spec
        default:
            var message = "error: unknown command '\(command)'"
            if let guess = ["validate", "reconcile", "get", "simulate", "version"].first(where: { $0.hasPrefix(command) || command.hasPrefix($0) }) {
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
            default: return try ReconcileCommand.run(parsed, io: io, clock: clock)
            }
        } catch {
            io.err("error: \(error.message)\nRun 'eipctl \(command) --help' for usage.")
            return .usage
        }
    }

    /// The client configuration of `--kubeconfig` and `--context` (kubectl's defaults otherwise),
    /// or nil after saying on stderr why it cannot be read.
    static func clientConfiguration(_ args: ParsedArguments, io: CommandIO) -> ClientConfiguration? {
        do throws(KubeError) {
            return try ClientConfiguration.fromKubeconfig(paths: args.value("kubeconfig").map { [$0] }, context: args.value("context"))
        } catch {
            io.err("error: \(error.message)")
            return nil
        }
    }
}
