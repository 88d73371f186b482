import CommandLineSupport

/// `eipctl completion bash|zsh|fish`: a completion script made from the commands' own option lists,
/// so it never falls behind them: commands, their options, output formats, files after -f, and the
/// pools of the cluster after `get pools` and `reconcile --dry-run` (asked of eipctl itself, with the
/// --kubeconfig, --context and -n already on the line, as kubectl's completion asks kubectl).
enum CompletionCommand {
    static let spec = CommandSpec(
        name: "completion",
        abstract: "Print a shell completion script: bash, zsh or fish.",
        usage: "eipctl completion bash|zsh|fish",
        discussion: """
        bash:  source <(eipctl completion bash)        (or write it to /etc/bash_completion.d/eipctl)
        zsh:   source <(eipctl completion zsh)         (uses zsh's bashcompinit)
        fish:  eipctl completion fish | source         (or write it to ~/.config/fish/completions/eipctl.fish)

        EXIT CODES: 0 printed; 2 no shell, or one not listed.
        """,
        options: [],
        maximumPositionals: 1)

    static func run(_ args: ParsedArguments, io: CommandIO) throws(UsageError) -> ExitCode {
        guard let shell = args.positionals.first else { throw UsageError("completion needs a shell: bash, zsh or fish") }
        switch shell {
        case "bash": io.writeOut(bash)
        case "zsh": io.writeOut("#compdef eipctl\n# zsh completion for eipctl (eipctl completion zsh), through zsh's bash completion layer.\n"
                                + "autoload -U +X bashcompinit && bashcompinit\n" + bash)
        case "fish": io.writeOut(fish)
        default: throw UsageError("no completion for '\(shell)'; use bash, zsh or fish")
        }
        return .success
    }

    /// Output formats, by command.
    static let formats = ["get": "wide json yaml name jsonpath=", "validate": "text json", "reconcile": "text yaml json", "simulate": "text json",
                          "version": "json yaml"]
    /// Options whose value is a file.
    static let fileOptions = ["-f", "--filename", "--deployment", "--state", "--kubeconfig", "--plot", "--trace", "--profile"]

    private static var commands: [CommandSpec] { EIPCtl.commands }

    static var bash: String {
        let valued = Set(commands.flatMap { $0.options.filter { $0.valueName != nil }.flatMap(\.names) })
        var script = """
        # bash completion for eipctl (eipctl completion bash)
        __eipctl_pools() {
          local args=() i
          for ((i=1; i<${#COMP_WORDS[@]}-1; i++)); do
            case "${COMP_WORDS[i]}" in
              --kubeconfig|--context|-n|--namespace) args+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}") ;;
            esac
          done
          eipctl get pools "${args[@]}" -o 'jsonpath={.items[*].metadata.name}' 2>/dev/null
        }
        _eipctl() {
          local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i
          [ "$COMP_CWORD" -gt 0 ] && prev="${COMP_WORDS[COMP_CWORD-1]}"
          for ((i=1; i<COMP_CWORD; i++)); do
            case "${COMP_WORDS[i]}" in
              \(valued.sorted().joined(separator: "|"))) ((i++)) ;;
              -*) ;;
              *) cmd="${COMP_WORDS[i]}"; break ;;
            esac
          done
          case "$prev" in
            \(fileOptions.joined(separator: "|"))) COMPREPLY=($(compgen -f -- "$cur")); return ;;
            -o|--output)
              case "$cmd" in

        """
        for (command, list) in formats.sorted(by: { $0.key < $1.key }) {
            script += "        \(command)) COMPREPLY=($(compgen -W \"\(list)\" -- \"$cur\")) ;;\n"
        }
        script += """
              esac
              return ;;
          esac
          if [ -z "$cmd" ]; then
            COMPREPLY=($(compgen -W "\(commands.map(\.name).joined(separator: " ")) help --kubeconfig --context -n --namespace --help --version" -- "$cur"))
            return
          fi
          if [[ "$cur" != -* ]]; then
            case "$cmd" in
              get) if [[ " ${COMP_WORDS[*]:0:COMP_CWORD} " == *" pools "* ]]; then COMPREPLY=($(compgen -W "$(__eipctl_pools)" -- "$cur")); else COMPREPLY=($(compgen -W "pools" -- "$cur")); fi; return ;;
              reconcile) COMPREPLY=($(compgen -W "$(__eipctl_pools)" -- "$cur")); return ;;
              completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")); return ;;
              help) COMPREPLY=($(compgen -W "\(commands.map(\.name).joined(separator: " ")) \(HelpTopics.all.keys.sorted().joined(separator: " "))" -- "$cur")); return ;;
            esac
          fi
          case "$cmd" in

        """
        for command in commands {
            script += "    \(command.name)) COMPREPLY=($(compgen -W \"\(command.options.flatMap(\.names).joined(separator: " "))\" -- \"$cur\")) ;;\n"
        }
        script += """
          esac
        }
        complete -o default -F _eipctl eipctl

        """
        return script
    }

    static var fish: String {
        var script = """
        # fish completion for eipctl (eipctl completion fish)
        function __eipctl_pools
            set -l args
            set -l words (commandline -opc)
            for i in (seq 2 (count $words))
                switch $words[$i]
                    case --kubeconfig --context -n --namespace
                        set -a args $words[$i] $words[(math $i + 1)]
                end
            end
            eipctl get pools $args -o 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}' 2>/dev/null
        end
        complete -c eipctl -f
        complete -c eipctl -n __fish_use_subcommand -a help -d 'Help on a command or a topic (thresholds)'

        """
        for command in commands {
            script += "complete -c eipctl -n __fish_use_subcommand -a \(command.name) -d \(quoted(command.abstract))\n"
        }
        for command in commands {
            let condition = "'__fish_seen_subcommand_from \(command.name)'"
            for option in command.options {
                var line = "complete -c eipctl -n \(condition)"
                for name in option.names {
                    line += name.hasPrefix("--") ? " -l \(name.dropFirst(2))" : " -s \(name.dropFirst())"
                }
                if option.valueName != nil {
                    if option.key == "output", let list = formats[command.name] {
                        line += " -x -a \(quoted(list))"
                    } else if fileOptions.contains(where: option.names.contains) {
                        line += " -r -F"
                    } else {
                        line += " -x"
                    }
                }
                script += line + " -d \(quoted(option.help))\n"
            }
        }
        script += """
        complete -c eipctl -n '__fish_seen_subcommand_from get; and not __fish_seen_subcommand_from pools' -a pools
        complete -c eipctl -n '__fish_seen_subcommand_from get; and __fish_seen_subcommand_from pools' -a '(__eipctl_pools)'
        complete -c eipctl -n '__fish_seen_subcommand_from reconcile' -a '(__eipctl_pools)'
        complete -c eipctl -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'
        complete -c eipctl -n '__fish_seen_subcommand_from help' -a '\(commands.map(\.name).joined(separator: " ")) \(HelpTopics.all.keys.sorted().joined(separator: " "))'

        """
        return script
    }

    /// Single-quoted for fish (`'` and `\\` escaped).
    private static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences("\\", "\\\\").replacingOccurrences("'", "\\'") + "'"
    }
}

extension String {
    /// Every `target` replaced (no Foundation here).
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
