import Autoscaling
import CommandLineSupport
import HTTPClient
import JSON
import Kube
import Locking
import YAML

/// `eipctl version`: the client's version and the cluster's, as `kubectl version` prints them.
enum VersionCommand {
    static let spec = CommandSpec(
        name: "version",
        abstract: "Print the client's version and the cluster's (its /version), as kubectl version does.",
        usage: "eipctl version [--client] [-o json|yaml] [--kubeconfig FILE] [--context NAME]",
        discussion: """
        Client Version is eipctl's; Server Version the API server's gitVersion. Without a cluster to
        ask, the client version is printed and the error after it (or use --client). -o json and
        -o yaml print both as objects: clientVersion and serverVersion (the server's /version whole).

        EXIT CODES: 0 printed; 1 the cluster could not be read; 2 the command line is wrong.
        """,
        options: [
            OptionSpec(["--client"], help: "The client's version only; no cluster is asked."),
            OptionSpec(["-o", "--output"], value: "FORMAT", help: "json or yaml (default: two lines of text)."),
            OptionSpec(["--kubeconfig"], value: "FILE", help: "The kubeconfig (default: KUBECONFIG, else ~/.kube/config)."),
            OptionSpec(["--context"], value: "NAME", help: "The kubeconfig context (default: the current one)."),
        ])

    static func run(_ args: ParsedArguments, io: CommandIO) throws(UsageError) -> ExitCode {
        let format = args.value("output")
        guard format == nil || ["json", "yaml"].contains(format ?? "") else {
            throw UsageError("unknown output format '\(format ?? "")'; use json or yaml")
        }
        let client: JSONValue = ["gitVersion": .string(EIPVersion.current), "platform": "linux"]
        var server: JSONValue?
        var failure: String?
        if !args.has("client") {
            if let configuration = EIPCtl.clientConfiguration(args, io: io) {
                let transport = KubeClient(configuration: configuration).transport
                let answer = awaitBlocking { () async -> Result<HTTPResponse, HTTPClientError> in
                    do throws(HTTPClientError) {
                        return .success(try await transport.send(method: "GET", path: "/version"))
                    } catch {
                        return .failure(error)
                    }
                }
                switch answer {
                case .success(let response) where (200..<300).contains(response.statusCode):
                    server = try? JSONValue(parsing: response.body)
                    if server == nil { failure = "the server's /version is not JSON" }
                case .success(let response):
                    failure = "the server answered /version with HTTP \(response.statusCode)"
                case .failure(let error):
                    failure = "the connection to the server \(configuration.transport.server) failed: \(error.message)"
                }
            } else {
                // Why was said above; the client's version still goes out.
                io.out("Client Version: \(EIPVersion.current)")
                return .invalidInput
            }
        }
        switch format {
        case "json", "yaml":
            var o: JSONObject = ["clientVersion": client]
            if let server { o["serverVersion"] = server }
            if format == "json" { io.out(JSONValue.object(o).prettyText) } else { io.writeOut(YAMLEmitter.text(of: .object(o))) }
        default:
            io.out("Client Version: \(EIPVersion.current)")
            if let version = server?["gitVersion"]?.stringValue { io.out("Server Version: \(version)") }
        }
        if let failure {
            io.err("error: \(failure)")
            return .invalidInput
        }
        return .success
    }
}
