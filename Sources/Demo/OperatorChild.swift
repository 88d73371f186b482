#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The `eip-operator` process the demo runs, as a user would run it out of cluster: a kubeconfig,
/// the direct scrape, its log in a file. It is started through util-linux's `setpriv --pdeathsig
/// TERM` when that is installed (it is on Debian and Ubuntu: util-linux is essential), so that even
/// a demo killed with SIGKILL takes the operator with it: the kernel sends it SIGTERM.
final class OperatorChild: @unchecked Sendable {
    private let process = Process()
    let logPath: String
    /// The operator's process id (setpriv executes the operator in its own process).
    let pid: Int32

    /// Starts the operator. Must be called on the main thread: the parent-death signal follows the
    /// thread that started the child, and the main thread lives as long as the demo.
    @MainActor
    init(binary: String, kubeconfig: String, logPath: String) throws(DemoError) {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw DemoError("\(binary): no eip-operator binary there (build it: swift build --product eip-operator, or pass --operator)")
        }
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else { throw DemoError("\(logPath): cannot write the operator's log") }
        let arguments = [binary, "--kubeconfig", kubeconfig, "--metrics-source", "podscrape", "--log-format", "text",
                         "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address", "127.0.0.1:0"]
        let setpriv = "/usr/bin/setpriv"
        if FileManager.default.isExecutableFile(atPath: setpriv) {
            process.executableURL = URL(fileURLWithPath: setpriv)
            process.arguments = ["--pdeathsig", "TERM", "--"] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = Array(arguments.dropFirst())
        }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw DemoError("cannot start \(binary): \(error.localizedDescription)")
        }
        pid = process.processIdentifier
        self.logPath = logPath
    }

    /// The command line, as a person would type it (for the header).
    var commandLine: String { ([process.executableURL?.path ?? ""] + (process.arguments ?? [])).joined(separator: " ") }

    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// SIGTERM (the operator finishes in-flight reconciles and exits 0), then SIGKILL if it has not
    /// exited within `grace` seconds. Returns once the process is gone.
    func stop(grace: Double = 10) {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The last lines of the operator's log (for an error message).
    func logTail(_ lines: Int = 15) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
