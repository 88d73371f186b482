import Foundation
import TestSupport
import Testing

/// `eipctl completion bash|zsh|fish`, sourced in the shells themselves (scripts/install-deps.sh
/// installs zsh and fish) with eipctl on PATH, as a user's shell would have it.
@Suite("eipctl completion in bash, zsh and fish", .serialized, .runsOnOwnThreads)
struct CompletionTests {
    static let path = "PATH=\(URL(fileURLWithPath: Eipctl.binary).deletingLastPathComponent().path):/usr/bin:/bin"
    static func has(_ shell: String) -> Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/\(shell)") }

    /// What bash's completion function offers for `words` (the last one being completed).
    static func bash(_ words: [String]) -> [String] {
        let array = words.map { "'\($0)'" }.joined(separator: " ")
        let script = "source <(eipctl completion bash); COMP_WORDS=(\(array)); COMP_CWORD=\(words.count - 1); _eipctl; printf '%s\\n' \"${COMPREPLY[@]}\""
        return run("/usr/bin/env", [path, "bash", "-c", script]).stdout.split(separator: "\n").map(String.init)
    }

    @Test func bashCompletesCommandsOptionsFormatsFilesAndLivePools() async throws {
        #expect(Self.bash(["eipctl", "ge"]) == ["get"])
        #expect(Self.bash(["eipctl", "--kubeconfig", "x", "va"]) == ["validate"], "a global flag's value is not the command")
        #expect(Self.bash(["eipctl", "get", "-o", ""]) == ["wide", "json", "yaml", "name", "jsonpath="])
        #expect(Self.bash(["eipctl", "reconcile", "--dr"]) == ["--dry-run"])
        #expect(Self.bash(["eipctl", "get", "--sort"]) == ["--sort-by"])
        #expect(Self.bash(["eipctl", "completion", "z"]) == ["zsh"])
        #expect(Self.bash(["eipctl", "help", "thr"]) == ["thresholds"])
        #expect(Self.bash(["eipctl", "validate", "-f", repositoryRoot + "/Manifests/samples/bert-triton-p"]) ==
                [repositoryRoot + "/Manifests/samples/bert-triton-pool.yaml"])
        // The pools of the cluster on the line: eipctl asks eipctl, with its --kubeconfig and -n.
        let cluster = try await GetPoolsTests.Cluster()
        #expect(Self.bash(["eipctl", "--kubeconfig", cluster.kubeconfig, "get", "pools", ""]) == ["bert-base"])
        #expect(Self.bash(["eipctl", "reconcile", "--dry-run", "--kubeconfig", cluster.kubeconfig, "-n", "default", "llm"]) == ["llm-finetune-v3"])
    }

    @Test(.enabled(if: has("zsh"), "zsh is not installed (scripts/install-deps.sh)"))
    func zshLoadsItThroughBashcompinit() {
        let script = """
        autoload -U +X compinit && compinit -u
        source <(eipctl completion zsh)
        print -r -- "registered: ${_comps[eipctl]}"
        emulate sh -c 'COMP_WORDS=(eipctl get -o ""); COMP_CWORD=3; _eipctl; echo "formats: ${COMPREPLY[*]}"'
        """
        let r = run("/usr/bin/env", [Self.path, "zsh", "-f", "-c", script])
        #expect(r.stdout.contains("registered: _bash_complete -o default -F _eipctl"), "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("formats: wide json yaml name jsonpath="), "\(r.stdout)\(r.stderr)")
    }

    @Test(.enabled(if: has("fish"), "fish is not installed (scripts/install-deps.sh)"))
    func fishCompletesCommandsAndOptions() {
        let script = """
        eipctl completion fish | source
        complete -C 'eipctl ge'
        complete -C 'eipctl get -o '
        complete -C 'eipctl reconcile --dr'
        """
        let r = run("/usr/bin/env", [Self.path, "HOME=\(NSTemporaryDirectory())", "fish", "--no-config", "-c", script])
        let words = r.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        #expect(words == ["get", "json", "jsonpath=", "name", "wide", "yaml", "--dry-run"], "\(r.stdout)\(r.stderr)")
    }

    @Test func anUnknownShellIsAUsageError() throws {
        let r = try Eipctl.run(["completion", "tcsh"])
        #expect(r.status == 2 && r.stderr.contains("use bash, zsh or fish"))
        #expect(try Eipctl.run(["completion"]).status == 2)
    }
}
