import Foundation
import HTTPClient

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

    /// Reads kubeconfig files as kubectl does (see ``Kubeconfig``): clusters, users and contexts merged
    /// by name (the first file to define a name wins), the first `current-context` set, or `context`
    /// when given. Relative file paths inside a kubeconfig are relative to that file.
    public static func fromKubeconfig(paths: [String]? = nil, context: String? = nil,
                                      environment: [String: String] = ProcessInfo.processInfo.environment) throws(KubeError) -> ClientConfiguration {
        let files = paths ?? defaultKubeconfigPaths(environment: environment)
        var merged = Kubeconfig()
        var readAny = false
        for file in files {
            guard FileManager.default.fileExists(atPath: file) else { continue }
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw KubeError(.configuration, "cannot read the kubeconfig \(file)")
            }
            merged.merge(try Kubeconfig(parsing: text, file: file))
            readAny = true
        }
        guard readAny else {
            throw KubeError(.configuration, "no kubeconfig found (looked at \(files.joined(separator: ", "))); set KUBECONFIG or pass --kubeconfig")
        }
        let (contextName, contextEntry, cluster, user) = try merged.resolve(context: context, files: files.joined(separator: ", "))
        var transport = TransportConfiguration(server: cluster.server.hasSuffix("/") ? String(cluster.server.dropLast()) : cluster.server)
        transport.certificateAuthority = try pem(file: cluster.certificateAuthority, data: cluster.certificateAuthorityData, field: "certificate-authority")
        transport.insecureSkipTLSVerify = cluster.insecureSkipTLSVerify

        var credentials: (any CredentialSource)?
        if let user {
            transport.clientCertificate = try pem(file: user.clientCertificate, data: user.clientCertificateData, field: "client-certificate")
            transport.clientKey = try pem(file: user.clientKey, data: user.clientKeyData, field: "client-key")
            if let token = user.token, !token.isEmpty {
                credentials = StaticToken(token)
            } else if let tokenFile = user.tokenFile {
                credentials = TokenFile(path: tokenFile)
            } else if let exec = user.exec {
                credentials = ExecCredentialPlugin(.init(
                    apiVersion: exec.apiVersion ?? "client.authentication.k8s.io/v1",
                    command: exec.command, args: exec.args, env: exec.env.map { ($0.name, $0.value) },
                    provideClusterInfo: exec.provideClusterInfo, cluster: clusterInfo(cluster, transport: transport)))
            }
        }
        let namespace = contextEntry.namespace.isEmpty ? "default" : contextEntry.namespace
        return ClientConfiguration(transport: transport, credentials: credentials, namespace: namespace, contextName: contextName)
    }

    /// What an exec plugin is told of the cluster (`ExecCredential.spec.cluster`), as client-go
    /// fills it in: the server, the CA's bytes (read from its file when the kubeconfig names one),
    /// TLS settings, the proxy, and the `client.authentication.k8s.io/exec` extension as `config`.
    static func clusterInfo(_ cluster: Kubeconfig.Cluster, transport: TransportConfiguration) -> ExecCredentialPlugin.ClusterInfo {
        var info = ExecCredentialPlugin.ClusterInfo(server: transport.server)
        switch transport.certificateAuthority {
        case .data(let bytes)?: info.certificateAuthorityData = bytes
        case .file(let path)?: info.certificateAuthorityData = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        case nil: break
        }
        info.insecureSkipTLSVerify = transport.insecureSkipTLSVerify
        info.tlsServerName = cluster.tlsServerName
        info.proxyURL = cluster.proxyURL
        info.config = cluster.execExtension
        return info
    }

    /// PEM bytes given inline win over a file, as in kubectl; the file must be readable.
    private static func pem(file: String?, data: [UInt8]?, field: String) throws(KubeError) -> TransportConfiguration.PEMSource? {
        if let data { return .data(data) }
        if let file {
            guard FileManager.default.isReadableFile(atPath: file) else { throw KubeError(.configuration, "\(field) \(file) cannot be read") }
            return .file(file)
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
