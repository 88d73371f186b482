import Foundation
import HTTPClient
import JSON
import YAML

/// Everything needed to build a ``KubeClient``: where the server is, how to trust it, who we are,
/// and the default namespace. Made from a kubeconfig (``fromKubeconfig(paths:context:)``) or from
/// the pod's service account (``inCluster(root:environment:)``).
public struct ClientConfiguration: Sendable {
    /// Where the API server is and how to trust it.
    public var transport: TransportConfiguration
    /// Who we are to it: a token, a token file, an exec plugin; nil with client certificates or none.
    public var credentials: (any CredentialSource)?
    /// The context's namespace (the service account's in a pod; default `default`).
    public var namespace: String
    /// The context used, for messages (`in-cluster` inside a pod).
    public var contextName: String

    /// A configuration from its parts.
    public init(transport: TransportConfiguration, credentials: (any CredentialSource)?, namespace: String, contextName: String) {
        self.transport = transport
        self.credentials = credentials
        self.namespace = namespace
        self.contextName = contextName
    }
}

extension KubeClient {
    /// A client for a configuration (its transport, credentials and namespace).
    public convenience init(configuration: ClientConfiguration) {
        self.init(transport: HTTPTransport(configuration.transport, credentials: configuration.credentials),
                  defaultNamespace: configuration.namespace)
    }
}

extension ClientConfiguration {
    /// The kubeconfig files kubectl would read: `KUBECONFIG` (colon-separated, missing files skipped),
    /// else `~/.kube/config`.
    public static func defaultKubeconfigPaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        return [(environment["HOME"] ?? NSHomeDirectory()) + "/.kube/config"]
    }

    /// Reads kubeconfig files as kubectl does: clusters, users and contexts merged by name (the first
    /// file to define a name wins), the first `current-context` set, or `context` when given.
    /// Relative file paths inside a kubeconfig are relative to that file.
    public static func fromKubeconfig(paths: [String]? = nil, context: String? = nil,
                                      environment: [String: String] = ProcessInfo.processInfo.environment) throws(KubeError) -> ClientConfiguration {
        let files = paths ?? defaultKubeconfigPaths(environment: environment)
        var clusters: [String: (JSONValue, String)] = [:]
        var users: [String: (JSONValue, String)] = [:]
        var contexts: [String: JSONValue] = [:]
        var current: String?
        var readAny = false
        for file in files {
            guard FileManager.default.fileExists(atPath: file) else { continue }
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw KubeError(.configuration, "cannot read the kubeconfig \(file)")
            }
            let document: JSONValue
            do throws(YAMLError) {
                document = try YAMLReader.jsonValues(in: text).first ?? .object([:])
            } catch {
                throw KubeError(.configuration, "\(file):\(error.mark.line):\(error.mark.column): \(error.message)")
            }
            readAny = true
            let directory = (file as NSString).deletingLastPathComponent
            for entry in document["clusters"]?.arrayValue ?? [] {
                if let name = entry["name"]?.stringValue, clusters[name] == nil { clusters[name] = (entry["cluster"] ?? .object([:]), directory) }
            }
            for entry in document["users"]?.arrayValue ?? [] {
                if let name = entry["name"]?.stringValue, users[name] == nil { users[name] = (entry["user"] ?? .object([:]), directory) }
            }
            for entry in document["contexts"]?.arrayValue ?? [] {
                if let name = entry["name"]?.stringValue, contexts[name] == nil { contexts[name] = entry["context"] ?? .object([:]) }
            }
            if current == nil, let name = document["current-context"]?.stringValue, !name.isEmpty { current = name }
        }
        guard readAny else {
            throw KubeError(.configuration, "no kubeconfig found (looked at \(files.joined(separator: ", "))); set KUBECONFIG or pass --kubeconfig")
        }
        guard let contextName = context ?? current else {
            throw KubeError(.configuration, "no current context is set in \(files.joined(separator: ", ")); pass --context")
        }
        guard let contextEntry = contexts[contextName] else {
            throw KubeError(.configuration, "context \"\(contextName)\" not found in \(files.joined(separator: ", "))")
        }
        let clusterName = contextEntry["cluster"]?.stringValue ?? ""
        guard let (cluster, clusterDirectory) = clusters[clusterName] else {
            throw KubeError(.configuration, "context \"\(contextName)\" names cluster \"\(clusterName)\", which is not defined")
        }
        guard let server = cluster["server"]?.stringValue, !server.isEmpty else {
            throw KubeError(.configuration, "cluster \"\(clusterName)\" has no server")
        }
        var transport = TransportConfiguration(server: server.hasSuffix("/") ? String(server.dropLast()) : server)
        transport.certificateAuthority = try pem(cluster, file: "certificate-authority", data: "certificate-authority-data", in: clusterDirectory)
        transport.insecureSkipTLSVerify = cluster["insecure-skip-tls-verify"]?.boolValue ?? false

        var credentials: (any CredentialSource)?
        if let userName = contextEntry["user"]?.stringValue, !userName.isEmpty {
            guard let (user, userDirectory) = users[userName] else {
                throw KubeError(.configuration, "context \"\(contextName)\" names user \"\(userName)\", which is not defined")
            }
            transport.clientCertificate = try pem(user, file: "client-certificate", data: "client-certificate-data", in: userDirectory)
            transport.clientKey = try pem(user, file: "client-key", data: "client-key-data", in: userDirectory)
            if let token = user["token"]?.stringValue, !token.isEmpty {
                credentials = StaticToken(token)
            } else if let tokenFile = user["tokenFile"]?.stringValue, !tokenFile.isEmpty {
                credentials = TokenFile(path: resolve(tokenFile, in: userDirectory))
            } else if let exec = user["exec"] {
                guard let command = exec["command"]?.stringValue else { throw KubeError(.configuration, "user \"\(userName)\": exec has no command") }
                let env = (exec["env"]?.arrayValue ?? []).compactMap { e -> (String, String)? in
                    guard let n = e["name"]?.stringValue else { return nil }
                    return (n, e["value"]?.stringValue ?? "")
                }
                credentials = ExecCredentialPlugin(.init(
                    apiVersion: exec["apiVersion"]?.stringValue ?? "client.authentication.k8s.io/v1",
                    command: command.contains("/") ? resolve(command, in: userDirectory) : command,
                    args: exec["args"]?.arrayValue?.compactMap(\.stringValue) ?? [], env: env,
                    provideClusterInfo: exec["provideClusterInfo"]?.boolValue ?? false,
                    cluster: clusterInfo(cluster, transport: transport)))
            }
        }
        let namespace = contextEntry["namespace"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return ClientConfiguration(transport: transport, credentials: credentials, namespace: namespace, contextName: contextName)
    }

    /// What an exec plugin is told of the cluster (`ExecCredential.spec.cluster`), as client-go
    /// fills it in: the server, the CA's bytes (read from its file when the kubeconfig names one),
    /// TLS settings, the proxy, and the `client.authentication.k8s.io/exec` extension as `config`.
    static func clusterInfo(_ cluster: JSONValue, transport: TransportConfiguration) -> ExecCredentialPlugin.ClusterInfo {
        var info = ExecCredentialPlugin.ClusterInfo(server: transport.server)
        switch transport.certificateAuthority {
        case .data(let bytes)?: info.certificateAuthorityData = bytes
        case .file(let path)?: info.certificateAuthorityData = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        case nil: break
        }
        info.insecureSkipTLSVerify = transport.insecureSkipTLSVerify
        info.tlsServerName = cluster["tls-server-name"]?.stringValue
        info.proxyURL = cluster["proxy-url"]?.stringValue
        info.config = cluster["extensions"]?.arrayValue?.first { $0["name"] == "client.authentication.k8s.io/exec" }?["extension"]
        return info
    }

    private static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }

    private static func pem(_ entry: JSONValue, file: String, data: String, in directory: String) throws(KubeError) -> TransportConfiguration.PEMSource? {
        if let encoded = entry[data]?.stringValue, !encoded.isEmpty {
            guard let bytes = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                throw KubeError(.configuration, "\(data) is not valid base64")
            }
            return .data([UInt8](bytes))
        }
        if let path = entry[file]?.stringValue, !path.isEmpty {
            let full = resolve(path, in: directory)
            guard FileManager.default.isReadableFile(atPath: full) else { throw KubeError(.configuration, "\(file) \(full) cannot be read") }
            return .file(full)
        }
        return nil
    }

    /// The pod's own configuration: `KUBERNETES_SERVICE_HOST`/`_PORT`, and the service account's
    /// token (re-read as it rotates), `ca.crt` and namespace under `root`.
    public static func inCluster(root: String = "/var/run/secrets/kubernetes.io/serviceaccount",
                                 environment: [String: String] = ProcessInfo.processInfo.environment) throws(KubeError) -> ClientConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty, let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeError(.configuration, "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set")
        }
        let tokenPath = root + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeError(.configuration, "the service-account token \(tokenPath) cannot be read")
        }
        var transport = TransportConfiguration(server: "https://\(host.contains(":") ? "[\(host)]" : host):\(port)")
        if FileManager.default.isReadableFile(atPath: root + "/ca.crt") { transport.certificateAuthority = .file(root + "/ca.crt") }
        let namespace = (try? String(contentsOfFile: root + "/namespace", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return ClientConfiguration(transport: transport, credentials: TokenFile(path: tokenPath),
                                   namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default", contextName: "in-cluster")
    }
}
