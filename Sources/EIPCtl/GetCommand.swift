import Autoscaling
import CommandLineSupport
import Foundation
import JSON
import Kube
import Locking
import YAML

/// `eipctl get pools`: the pools of a live cluster, printed as `kubectl get` prints them.
enum GetCommand {
    static let spec = CommandSpec(
        name: "get",
        abstract: "List ElasticInferencePools from a live cluster, as kubectl get does.",
        usage: "eipctl get pools [NAME] [-n NAMESPACE | -A] [-l SELECTOR] [-o wide|json|yaml|name|jsonpath=TEMPLATE] [--sort-by JSONPATH] [-w] [--kubeconfig FILE] [--context NAME]",
        discussion: """
        Reads the cluster named by the kubeconfig (KUBECONFIG, its files merged, else ~/.kube/config;
        or --kubeconfig) and its current context (or --context); the namespace is the context's unless
        -n or -A.
        Columns, as `kubectl get eip` prints them: NAME, TARGET, MIN, MAX, DESIRED, READY-REPLICAS,
        READY and REASON (the Ready condition), AGE; -o wide adds MODEL, P90, GPU, CAPACITY (the
        requests/s one ready replica serves, as learned) and PAUSED; NAMESPACE first with -A. A value
        the operator has not reported yet shows as '-'.
        -o json and -o yaml print the object (a List for several), -o name kind/name lines, -o
        jsonpath=TEMPLATE kubectl's JSONPath ('{.items[*].metadata.name}'; '{.status.desiredReplicas}'
        for one pool). --sort-by takes a JSONPath too ('.status.desiredReplicas'). -w prints the pools,
        then a row (or object) for each change, until interrupted.

        EXIT CODES: 0 listed; 1 the cluster could not be read (kubeconfig, connection, permissions,
        the CRD not installed, the pool not found); 2 the command line is wrong.
        """,
        options: [
            OptionSpec(["-n", "--namespace"], value: "NAMESPACE", help: "The namespace (default: the context's)."),
            OptionSpec(["-A", "--all-namespaces"], help: "Pools of every namespace."),
            OptionSpec(["-l", "--selector"], value: "SELECTOR", help: "A label selector: app=bert,tier!=canary, env in (prod,staging)."),
            OptionSpec(["-o", "--output"], value: "FORMAT", help: "wide, json, yaml, name, jsonpath=TEMPLATE or jsonpath-file=FILE (default: the table)."),
            OptionSpec(["--sort-by"], value: "JSONPATH", help: "Sort by a field: .metadata.name, .status.desiredReplicas."),
            OptionSpec(["-w", "--watch"], help: "After the list, print each change as it happens (until interrupted)."),
            OptionSpec(["--no-headers"], help: "No header line in the table."),
            OptionSpec(["--kubeconfig"], value: "FILE", help: "The kubeconfig to use (default: KUBECONFIG, else ~/.kube/config)."),
            OptionSpec(["--context"], value: "NAME", help: "The kubeconfig context to use (default: the current one)."),
        ],
        maximumPositionals: 2)

    /// How to print what was read.
    enum Format {
        case table(wide: Bool), json, yaml, name, jsonPath(JSONPathTemplate)
    }

    static let resourceName = "\(ElasticInferencePool.kind.lowercased()).\(ElasticInferencePool.group)"

    static func run(_ args: ParsedArguments, io: CommandIO, clock: any Clock) throws(UsageError) -> ExitCode {
        guard let what = args.positionals.first else { throw UsageError("get needs a resource type: eipctl get pools") }
        guard ["pools", "pool", "eip", "elasticinferencepools", "elasticinferencepool", resourceName,
               "\(ElasticInferencePool.plural).\(ElasticInferencePool.group)"].contains(what) else {
            throw UsageError("eipctl gets pools only, not '\(what)'; use kubectl for other resources")
        }
        let format = try parseFormat(args.value("output"))
        if args.has("all-namespaces") && args.value("namespace") != nil { throw UsageError("-n and -A do not go together") }
        let name = args.positionals.dropFirst().first
        if name != nil, args.value("selector") != nil { throw UsageError("name cannot be provided when a selector is specified") }
        let sortKey = try args.value("sort-by").map { text throws(UsageError) -> JSONPathTemplate in
            do throws(JSONPathTemplate.ParseError) {
                return try JSONPathTemplate(relaxed: text)
            } catch {
                throw UsageError("--sort-by: \(error.message)")
            }
        }

        guard let configuration = EIPCtl.clientConfiguration(args, io: io) else { return .invalidInput }
        let client = KubeClient(configuration: configuration)
        let namespace: String? = args.has("all-namespaces") ? nil : (args.value("namespace") ?? configuration.namespace)
        let selector = args.value("selector")
        let result = awaitBlocking { () async -> Result<(items: [JSONValue], resourceVersion: String), KubeError> in
            do throws(KubeError) {
                if let name {
                    let object = try await client.get(.elasticInferencePools, namespace: namespace ?? configuration.namespace, name: name)
                    return .success(([object], ObjectMeta(object).resourceVersion ?? ""))
                }
                let read = try await client.list(.elasticInferencePools, namespace: namespace, labelSelector: selector)
                return .success((read.items, read.resourceVersion))
            } catch {
                return .failure(error)
            }
        }
        var list: (items: [JSONValue], resourceVersion: String)
        switch result {
        case .success(let read): list = read
        case .failure(let error):
            if error.kind == .notFound && name == nil {
                io.err("error: the server has no ElasticInferencePool resource: install the CRD with 'kubectl apply -f CRDs/'")
            } else if error.kind == .notFound, let name {
                io.err("error: \(ElasticInferencePool.plural).\(ElasticInferencePool.group) \"\(name)\" not found in namespace \(namespace ?? configuration.namespace)")
            } else {
                io.err("error: \(error.message) (\(error.kind), context \(configuration.contextName), server \(configuration.transport.server))")
            }
            return .invalidInput
        }
        if let sortKey { list.items = sorted(list.items, by: sortKey) }

        let table = PoolTable(wide: { if case .table(true) = format { return true }; return false }(), allNamespaces: namespace == nil, now: clock.now())
        let single = name != nil
        var widths: [Int] = []
        if list.items.isEmpty, !single, isHumanReadable(format) {
            io.err(namespace.map { "No resources found in \($0) namespace." } ?? "No resources found")
        } else {
            widths = print(list.items, single: single, format: format, table: table, header: !args.has("no-headers"), io: io)
        }
        guard args.has("watch") else { return .success }
        return watch(client, namespace: namespace, name: name, selector: selector, from: list.resourceVersion, format: format, table: table,
                     widths: widths, io: io)
    }

    private static func parseFormat(_ text: String?) throws(UsageError) -> Format {
        switch text {
        case nil, "table"?: return .table(wide: false)
        case "wide"?: return .table(wide: true)
        case "json"?: return .json
        case "yaml"?: return .yaml
        case "name"?: return .name
        case let text? where text.hasPrefix("jsonpath=") || text.hasPrefix("jsonpath-file="):
            var template = String(text.drop(while: { $0 != "=" }).dropFirst())
            if text.hasPrefix("jsonpath-file=") {
                guard let contents = try? String(contentsOfFile: template, encoding: .utf8) else { throw UsageError("jsonpath-file: cannot read \(template)") }
                template = contents
            }
            do throws(JSONPathTemplate.ParseError) {
                return .jsonPath(try JSONPathTemplate(template))
            } catch {
                throw UsageError("error parsing jsonpath \(template): \(error.message)")
            }
        case let text?:
            throw UsageError("unknown output format '\(text)'; use wide, json, yaml, name, jsonpath=TEMPLATE or jsonpath-file=FILE")
        }
    }

    private static func isHumanReadable(_ format: Format) -> Bool {
        switch format {
        case .table, .name: return true
        default: return false
        }
    }

    /// Sorted by the first value `key` finds, as kubectl's sorter does: numbers by value, anything
    /// else by its text, objects without the field first; ties keep the server's order.
    static func sorted(_ items: [JSONValue], by key: JSONPathTemplate) -> [JSONValue] {
        let keyed = items.enumerated().map { (index: $0.offset, item: $0.element, key: key.values(in: $0.element).first) }
        return keyed.sorted { a, b in
            switch (a.key, b.key) {
            case (nil, nil): return a.index < b.index
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?):
                if let p = x.doubleValue, let q = y.doubleValue, p != q { return p < q }
                let s = JSONPathTemplate.printed(x), t = JSONPathTemplate.printed(y)
                return s == t ? a.index < b.index : s < t
            }
        }.map(\.item)
    }

    /// Prints the pools read; returns the table's column widths (for the rows a watch adds).
    @discardableResult
    private static func print(_ items: [JSONValue], single: Bool, format: Format, table: PoolTable, header: Bool, io: CommandIO) -> [Int] {
        let whole: JSONValue = single && items.count == 1 ? items[0] : list(items)
        switch format {
        case .table:
            let rows = (header ? [table.header] : []) + items.map(table.row)
            io.writeOut(PoolTable.lines(rows).joined(separator: "\n") + "\n")
            return PoolTable.widths(rows)
        case .json: io.out(whole.prettyText)
        case .yaml: io.writeOut(YAMLEmitter.text(of: whole))
        case .name: for item in items { io.out("\(resourceName)/\(ObjectMeta(item).name)") }
        case .jsonPath(let template): io.writeOut(template.render(whole))
        }
        return []
    }

    /// kubectl's List: `apiVersion: v1`, the items, `kind: List`, an empty resourceVersion.
    private static func list(_ items: [JSONValue]) -> JSONValue {
        ["apiVersion": "v1", "items": .array(items), "kind": "List", "metadata": ["resourceVersion": ""]]
    }

    /// `-w`: each change after the list, as it comes: a table row (the deleted pool's last state for
    /// a deletion, as kubectl prints it), or the object, or its name. Returns when the watch fails.
    private static func watch(_ client: KubeClient, namespace: String?, name: String?, selector: String?, from version: String, format: Format,
                              table: PoolTable, widths: [Int], io: CommandIO) -> ExitCode {
        let failure = awaitBlocking { () async -> String? in
            let events = client.resumingWatch(.elasticInferencePools, namespace: namespace, from: version, labelSelector: selector,
                                              fieldSelector: name.map { "metadata.name=\($0)" })
            do {
                for try await event in events where event.type != .bookmark {
                    switch format {
                    case .table:
                        io.writeOut(PoolTable.lines([table.row(event.object)], widths: widths)[0] + "\n")
                    case .json: io.out(event.object.prettyText)
                    case .yaml: io.writeOut("---\n" + YAMLEmitter.text(of: event.object))
                    case .name: io.out("\(resourceName)/\(ObjectMeta(event.object).name)")
                    case .jsonPath(let template): io.writeOut(template.render(event.object))
                    }
                }
                return nil
            } catch let error as KubeError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        guard let failure else { return .success }
        io.err("error: the watch ended: \(failure)")
        return .invalidInput
    }
}
