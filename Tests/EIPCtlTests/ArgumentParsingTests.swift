import CommandLineSupport
import Testing

let spec = CommandSpec(name: "demo", abstract: "A demo.", usage: "demo", options: [
    OptionSpec(["-f", "--filename"], value: "FILE", repeatable: true, help: "files"),
    OptionSpec(["-o", "--output"], value: "FORMAT", help: "format"),
    OptionSpec(["--dry-run"], help: "dry"),
], maximumPositionals: 1)

@Suite("Flag parsing")
struct ArgumentParsingTests {
    @Test func everySpelling() throws {
        let parsed = try ParsedArguments.parse(["-f", "a", "--filename=b", "-fc", "--filename", "d", "-ojson", "--dry-run", "pool"], for: spec)
        #expect(parsed.all("filename") == ["a", "b", "c", "d"])
        #expect(parsed.value("output") == "json")
        #expect(parsed.has("dry-run"))
        #expect(parsed.positionals == ["pool"])
    }

    @Test func doubleDashEndsOptions() throws {
        let parsed = try ParsedArguments.parse(["--", "--dry-run"], for: spec)
        #expect(parsed.positionals == ["--dry-run"])
        #expect(!parsed.has("dry-run"))
    }

    @Test(arguments: [
        (["--dryrun"], "unknown option '--dryrun' for 'demo'; did you mean '--dry-run'?"),
        (["--bogus"], "unknown option '--bogus' for 'demo'"),
        (["-f"], "option '-f' needs a value (FILE)"),
        (["-o", "json", "-o", "yaml"], "option '-o' may be given only once"),
        (["--dry-run=yes"], "option '--dry-run' takes no value"),
        (["a", "b"], "too many arguments for 'demo': 'b'"),
    ])
    func usageErrors(arguments: [String], message: String) {
        let error = #expect(throws: UsageError.self) { try ParsedArguments.parse(arguments, for: spec) }
        #expect(error?.message == message)
    }

    @Test func helpListsEveryOption() {
        let help = spec.helpText
        for name in ["-f, --filename FILE", "-o, --output FORMAT", "--dry-run", "-h, --help"] {
            #expect(help.contains(name), "\(name)")
        }
    }
}
