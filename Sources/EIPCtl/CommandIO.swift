/// Where a command writes and reads: the process's standard streams, or buffers in tests.
public struct CommandIO: Sendable {
    public let writeOut: @Sendable (String) -> Void
    public let writeErr: @Sendable (String) -> Void
    public let readStandardInput: @Sendable () -> String?

    public init(writeOut: @escaping @Sendable (String) -> Void, writeErr: @escaping @Sendable (String) -> Void,
                readStandardInput: @escaping @Sendable () -> String?) {
        self.writeOut = writeOut
        self.writeErr = writeErr
        self.readStandardInput = readStandardInput
    }

    func out(_ line: String) { writeOut(line + "\n") }
    func err(_ line: String) { writeErr(line + "\n") }
}

/// The exit codes of `eipctl`, documented in `--help` and the README.
public enum ExitCode: Int32, Sendable {
    /// Everything was read and is valid; the dry run was printed.
    case success = 0
    /// Invalid input: a pool with errors, a file that cannot be read or parsed, a missing object.
    case invalidInput = 1
    /// The command line is wrong: unknown command or option, missing or malformed value.
    case usage = 2
}
