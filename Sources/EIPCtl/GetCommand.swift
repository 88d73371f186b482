import Autoscaling
import CommandLineSupport
import Dispatch
import Foundation
import JSON
import Kube
import Locking

/// `eipctl get pools`: the pools of a live cluster as a kubectl-style table.
enum GetCommand {
    static let spec = CommandSpec(
        name: "get",
        abstract: "List ElasticInferencePools from a live cluster, as kubectl would.",
        usage: "eipctl get pools [NAME] [-n NAMESPACE | -A] [--kubeconfig FILE] [--context NAME] [-o wide|json]",
        discussion: """
        Reads the cluster named by the kubeconfig (KUBECONFIG, else ~/.kube/config; or --kubeconfig)
        and its current context (or --context); the namespace is the context's unless -n or -A.
        Columns: NAME, MODEL, MIN, MAX, DESIRED, READY, P90, GPU, AGE (NAMESPACE first with -A); a
        value the operator has not reported yet shows as '-'.

        EXIT CODES: 0 listed; 1 the cluster could not be read (kubeconfig, connection, permissions,
        the CRD not installed, the pool not found); 2 the command line is wrong.
        """,
        options: [
            OptionSpec(["-n", "--namespace"], value: "NAMESPACE", help: "The namespace (default: the context's)."),
            OptionSpec(["-A", "--all-namespaces"], help: "Pools of every namespace."),
            OptionSpec(["--kubeconfig"], value: "FILE", help: "The kubeconfig to use (default: KUBECONFIG, else ~/.kube/config)."),
            OptionSpec(["--context"], value: "NAME", help: "The kubeconfig context to use (default: the current one)."),
            OptionSpec(["-o", "--output"], value: "FORMAT", help: "Table (default), wide (adds TARGET, PAUSED, REASON, METRICS: every value the rules read), or json."),
        ],
        maximumPositionals: 2)

    static func run(_ args: ParsedArguments, io: CommandIO, clock: any Clock) throws(UsageError) -> ExitCode {
        guard let what = args.positionals.first else { throw UsageError("get needs a resource type: eipctl get pools") }
        guard ["pools", "pool", "eip", "elasticinferencepools", "elasticinferencepool"].contains(what) else {
            throw UsageError("eipctl gets pools only, not '\(what)'; use kubectl for other resources")
        }
        let format = args.value("output") ?? "table"
        guard ["table", "wide", "json"].contains(format) else { throw UsageError("unknown output format '\(format)'; use wide or json") }
        if args.has("all-namespaces") && args.value("namespace") != nil { throw UsageError("-n and -A do not go together") }
        let name = args.positionals.dropFirst().first

        guard let configuration = EIPCtl.clientConfiguration(args, io: io) else { return .invalidInput }
        let client = KubeClient(configuration: configuration)
        let namespace: String? = args.has("all-namespaces") ? nil : (args.value("namespace") ?? configuration.namespace)
        let result = awaitBlocking { () async -> Result<[JSONValue], KubeError> in
            do throws(KubeError) {
                if let name {
                    return .success([try await client.get(.elasticInferencePools, namespace: namespace ?? configuration.namespace, name: name)])
                }
                return .success(try await client.list(.elasticInferencePools, namespace: namespace).items)
            } catch {
                return .failure(error)
            }
        }
        let pools: [JSONValue]
        switch result {
        case .success(let items): pools = items
        case .failure(let error):
            if error.kind == .notFound && name == nil {
                io.err("error: the server has no ElasticInferencePool resource: install the CRD with 'kubectl apply -f CRDs/'")
            } else if error.kind == .notFound, let name {
                io.err("error: elasticinferencepools.aiops.example.com \"\(name)\" not found in namespace \(namespace ?? configuration.namespace)")
            } else {
                io.err("error: \(error.message) (\(error.kind), context \(configuration.contextName), server \(configuration.transport.server))")
            }
            return .invalidInput
        }
        if format == "json" {
            io.out(JSONValue.object(["apiVersion": "v1", "kind": "List", "items": .array(pools)]).prettyText)
            return .success
        }
        if pools.isEmpty {
            io.err(namespace.map { "No resources found in \($0) namespace." } ?? "No resources found")
            return .success
        }
        io.writeOut(table(pools, allNamespaces: namespace == nil, wide: format == "wide", now: clock.now()))
        return .success
    }

    /// kubectl's layout: columns padded to their widest cell, three spaces apart.
    static func table(_ pools: [JSONValue], allNamespaces: Bool, wide: Bool, now: Timestamp) -> String {
        var header = ["NAME", "MODEL", "MIN", "MAX", "DESIRED", "READY", "P90", "GPU", "AGE"]
        if wide { header += ["TARGET", "PAUSED", "REASON", "METRICS"] }
        if allNamespaces { header.insert("NAMESPACE", at: 0) }
        let rows: [[String]] = pools.map { pool in
            func text(_ value: JSONValue?) -> String {
                switch value {
                case .string(let s)?: return s.isEmpty ? "-" : s
                case .integer(let i)?: return String(i)
                case .bool(let b)?: return b ? "true" : "false"
                default: return "-"
                }
            }
            let metadata = pool["metadata"]
            let spec = pool["spec"]
            let status = pool["status"]
            let age = metadata?["creationTimestamp"]?.stringValue.flatMap(Timestamp.init(rfc3339:)).map { Self.age(now.seconds(since: $0)) } ?? "-"
            var row = [text(metadata?["name"]), text(spec?["modelRef"]), text(spec?["minReplicas"] ?? .integer(Defaults.minReplicas)),
                       text(spec?["maxReplicas"]), text(status?["desiredReplicas"]), text(status?["readyReplicas"]),
                       text(status?["observed"]?["p90"]), text(status?["observed"]?["gpuUtil"]), age]
            if wide {
                row += [text(spec?["targetRef"]?["name"] ?? spec?["modelRef"]), text(spec?["paused"] ?? .bool(false)), text(status?["lastDecision"]?["reason"]),
                        text(status?["observed"]?["summary"])]
            }
            if allNamespaces { row.insert(text(metadata?["namespace"]), at: 0) }
            return row
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 3) }.joined()
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// kubectl's ages: `45s`, `5m`, `3h`, `2d`.
    static func age(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 120 { return "\(s)s" }
        if s < 3600 * 3 { return "\(s / 60)m" }
        if s < 86400 * 2 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }
}
