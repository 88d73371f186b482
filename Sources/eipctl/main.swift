import EIPCtl
import Foundation

// SIGPIPE is ignored (libcurl's sockets must not raise it). Output piped into `head` that stops
// reading is then a failed write (EPIPE): stop quietly with the status a shell shows for a program
// SIGPIPE ended (128 + 13), as kubectl ends there; a failed write to standard error is dropped.
signal(SIGPIPE, SIG_IGN)

let io = CommandIO(
    writeOut: { text in
        do { try FileHandle.standardOutput.write(contentsOf: Data(text.utf8)) } catch { exit(128 + SIGPIPE) }
    },
    writeErr: { text in try? FileHandle.standardError.write(contentsOf: Data(text.utf8)) },
    readStandardInput: { String(data: FileHandle.standardInput.readDataToEndOfFile(), encoding: .utf8) })
exit(EIPCtl.run(Array(CommandLine.arguments.dropFirst()), io: io).rawValue)
