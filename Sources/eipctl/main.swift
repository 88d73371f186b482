import EIPCtl
import Foundation

// SIGPIPE would kill us when output is piped into `head`; write errors are ignored instead.
signal(SIGPIPE, SIG_IGN)

let io = CommandIO(
    writeOut: { text in FileHandle.standardOutput.write(Data(text.utf8)) },
    writeErr: { text in FileHandle.standardError.write(Data(text.utf8)) },
    readStandardInput: { String(data: FileHandle.standardInput.readDataToEndOfFile(), encoding: .utf8) })
exit(EIPCtl.run(Array(CommandLine.arguments.dropFirst()), io: io).rawValue)
