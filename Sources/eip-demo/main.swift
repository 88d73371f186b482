import CommandLineSupport
import Demo
import Foundation

// eip-demo: the main job on an embedded default. `scripts/demo.sh` builds and runs it.
let options: DemoOptions
do {
    options = try DemoOptions(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    try? FileHandle.standardError.write(contentsOf: Data("eip-demo: \(error.message)\nRun 'eip-demo --help' for usage.\n".utf8))
    exit(2)
}
if options.wantsHelp {
    print(DemoOptions.spec.helpText, terminator: "")
    exit(0)
}
exit(await DemoRun.run(options))
