import Foundation
import JSON
import YAML

/// A kubeconfig file read as kubectl reads it (client-go's `clientcmd`, `v1.Config`): the clusters,
/// users and contexts it names, and its current context. Only the fields this client uses are
/// kept; others are ignored, as kubectl ignores them. Relative paths in the file (CA, client
/// certificate and key, token file, an exec command with a `/`) are made absolute against the
/// file's directory, as `clientcmd` resolves them.
///
/// Errors are kubectl's loader's, with the file and field: YAML that does not parse, a field of the
/// wrong type (`clusters[0].cluster.server: expected a string, found integer`), a name listed twice
/// in one file, `*-data` that is not base64. A null field is absent.
///
/// Reading is pure (no file access); ``ClientConfiguration/fromKubeconfig(paths:context:environment:)``
/// reads the files, merges them and checks the files they name.
public struct Kubeconfig: Sendable, Equatable {
    public struct Cluster: Sendable, Equatable {
        public var server = ""
        /// A CA file (absolute), or its PEM bytes from `certificate-authority-data`.
        public var certificateAuthority: String?
        public var certificateAuthorityData: [UInt8]?
        public var insecureSkipTLSVerify = false
        /// `tls-server-name`: the name the server's certificate is checked against, when not the host.
        public var tlsServerName: String?
        /// `proxy-url`.
        public var proxyURL: String?
        /// The `client.authentication.k8s.io/exec` extension's value, handed to exec plugins as
        /// `spec.cluster.config`.
        public var execExtension: JSONValue?
    }

    public struct User: Sendable, Equatable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: [UInt8]?
        public var clientKey: String?
        public var clientKeyData: [UInt8]?
        public var exec: Exec?
    }

    /// A `client.authentication.k8s.io` exec credential plugin.
    public struct Exec: Sendable, Equatable {
        public var apiVersion: String?
        public var command = ""
        public var args: [String] = []
        public var env: [(name: String, value: String)] = []
        /// `provideClusterInfo`: the plugin is told of the cluster in `KUBERNETES_EXEC_INFO`.
        public var provideClusterInfo = false

        public static func == (a: Exec, b: Exec) -> Bool {
            a.apiVersion == b.apiVersion && a.command == b.command && a.args == b.args && a.provideClusterInfo == b.provideClusterInfo
                && a.env.map { "\($0.name)=\($0.value)" } == b.env.map { "\($0.name)=\($0.value)" }
        }
    }

    public struct Context: Sendable, Equatable {
        public var cluster = ""
        public var user = ""
        public var namespace = ""
    }

    public var clusters: [String: Cluster] = [:]
    public var users: [String: User] = [:]
    public var contexts: [String: Context] = [:]
    /// The `current-context`, when set and not empty.
    public var currentContext: String?

    public init() {}

    /// Reads the text of the kubeconfig at `file` (its path names errors and anchors relative paths).
    public init(parsing text: String, file: String) throws(KubeError) {
        let document: JSONValue
        do throws(YAMLError) {
            document = try YAMLReader.jsonValues(in: text).first ?? .null
        } catch {
            throw KubeError(.configuration, "\(file):\(error.mark.line):\(error.mark.column): \(error.message)")
        }
        let fields = KubeconfigFields(file: file)
        guard let root = try fields.object(document, "the document") else { return }
        for (i, entry) in try fields.list(root["clusters"], "clusters").enumerated() {
            let path = "clusters[\(i)]"
            let name = try fields.name(entry, path, taken: clusters.keys)
            let body = try fields.object(entry["cluster"], path + ".cluster") ?? [:]
            var cluster = Cluster()
            cluster.server = try fields.string(body["server"], path + ".cluster.server") ?? ""
            cluster.certificateAuthority = try fields.path(body["certificate-authority"], path + ".cluster.certificate-authority")
            cluster.certificateAuthorityData = try fields.data(body["certificate-authority-data"], path + ".cluster.certificate-authority-data")
            cluster.insecureSkipTLSVerify = try fields.bool(body["insecure-skip-tls-verify"], path + ".cluster.insecure-skip-tls-verify") ?? false
            cluster.tlsServerName = try fields.string(body["tls-server-name"], path + ".cluster.tls-server-name")
            cluster.proxyURL = try fields.string(body["proxy-url"], path + ".cluster.proxy-url")
            for (j, named) in try fields.list(body["extensions"], path + ".cluster.extensions").enumerated() {
                let object = try fields.object(named, path + ".cluster.extensions[\(j)]") ?? [:]
                if object["name"]?.stringValue == "client.authentication.k8s.io/exec" { cluster.execExtension = object["extension"] }
            }
            clusters[name] = cluster
        }
        for (i, entry) in try fields.list(root["users"], "users").enumerated() {
            let path = "users[\(i)]"
            let name = try fields.name(entry, path, taken: users.keys)
            let body = try fields.object(entry["user"], path + ".user") ?? [:]
            var user = User()
            user.token = try fields.string(body["token"], path + ".user.token")
            user.tokenFile = try fields.path(body["tokenFile"], path + ".user.tokenFile")
            user.clientCertificate = try fields.path(body["client-certificate"], path + ".user.client-certificate")
            user.clientCertificateData = try fields.data(body["client-certificate-data"], path + ".user.client-certificate-data")
            user.clientKey = try fields.path(body["client-key"], path + ".user.client-key")
            user.clientKeyData = try fields.data(body["client-key-data"], path + ".user.client-key-data")
            if let exec = try fields.object(body["exec"], path + ".user.exec") {
                user.exec = try Self.exec(exec, path + ".user.exec", fields)
            }
            users[name] = user
        }
        for (i, entry) in try fields.list(root["contexts"], "contexts").enumerated() {
            let path = "contexts[\(i)]"
            let name = try fields.name(entry, path, taken: contexts.keys)
            let body = try fields.object(entry["context"], path + ".context") ?? [:]
            var context = Context()
            context.cluster = try fields.string(body["cluster"], path + ".context.cluster") ?? ""
            context.user = try fields.string(body["user"], path + ".context.user") ?? ""
            context.namespace = try fields.string(body["namespace"], path + ".context.namespace") ?? ""
            contexts[name] = context
        }
        if let current = try fields.string(root["current-context"], "current-context"), !current.isEmpty {
            currentContext = current
        }
    }

    private static func exec(_ body: JSONObject, _ path: String, _ fields: KubeconfigFields) throws(KubeError) -> Exec {
        var exec = Exec()
        exec.apiVersion = try fields.string(body["apiVersion"], path + ".apiVersion")
        guard let command = try fields.string(body["command"], path + ".command"), !command.isEmpty else {
            throw KubeError(.configuration, "\(fields.file): \(path): exec has no command")
        }
        exec.command = command.contains("/") ? fields.resolve(command) : command
        exec.provideClusterInfo = try fields.bool(body["provideClusterInfo"], path + ".provideClusterInfo") ?? false
        for (i, arg) in try fields.list(body["args"], path + ".args").enumerated() {
            exec.args.append(try fields.string(arg, path + ".args[\(i)]") ?? "")
        }
        for (i, variable) in try fields.list(body["env"], path + ".env").enumerated() {
            let variablePath = path + ".env[\(i)]"
            let object = try fields.object(variable, variablePath) ?? [:]
            exec.env.append((try fields.string(object["name"], variablePath + ".name") ?? "",
                             try fields.string(object["value"], variablePath + ".value") ?? ""))
        }
        return exec
    }

    /// Adds a file read after this one, as kubectl merges `KUBECONFIG`: a name already defined keeps
    /// its first definition, and the first `current-context` set wins.
    public mutating func merge(_ later: Kubeconfig) {
        clusters.merge(later.clusters) { first, _ in first }
        users.merge(later.users) { first, _ in first }
        contexts.merge(later.contexts) { first, _ in first }
        if currentContext == nil { currentContext = later.currentContext }
    }

    /// The context to use (`context`, else the current one), its cluster, and its user (nil when it
    /// names none). `files` says where they were looked for, in errors.
    public func resolve(context: String?, files: String) throws(KubeError) -> (name: String, context: Context, cluster: Cluster, user: User?) {
        guard let name = context ?? currentContext else {
            throw KubeError(.configuration, "no current context is set in \(files); pass --context")
        }
        guard let entry = contexts[name] else {
            throw KubeError(.configuration, "context \"\(name)\" not found in \(files)")
        }
        guard let cluster = clusters[entry.cluster] else {
            throw KubeError(.configuration, "context \"\(name)\" names cluster \"\(entry.cluster)\", which is not defined")
        }
        guard !cluster.server.isEmpty else {
            throw KubeError(.configuration, "cluster \"\(entry.cluster)\" has no server")
        }
        guard !entry.user.isEmpty else { return (name, entry, cluster, nil) }
        guard let user = users[entry.user] else {
            throw KubeError(.configuration, "context \"\(name)\" names user \"\(entry.user)\", which is not defined")
        }
        return (name, entry, cluster, user)
    }
}

/// Typed access to a kubeconfig's fields, failing as Go's JSON decoding into `v1.Config` fails.
struct KubeconfigFields {
    let file: String

    private func mismatch(_ path: String, _ expected: String, _ value: JSONValue) -> KubeError {
        KubeError(.configuration, "\(file): \(path): expected \(expected), found \(value.typeName)")
    }

    func string(_ value: JSONValue?, _ path: String) throws(KubeError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw mismatch(path, "a string", other)
        }
    }

    func bool(_ value: JSONValue?, _ path: String) throws(KubeError) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let other?: throw mismatch(path, "true or false", other)
        }
    }

    func object(_ value: JSONValue?, _ path: String) throws(KubeError) -> JSONObject? {
        switch value {
        case nil, .null?: return nil
        case .object(let o)?: return o
        case let other?: throw mismatch(path, "a mapping", other)
        }
    }

    func list(_ value: JSONValue?, _ path: String) throws(KubeError) -> [JSONValue] {
        switch value {
        case nil, .null?: return []
        case .array(let a)?: return a
        case let other?: throw mismatch(path, "a list", other)
        }
    }

    /// An entry's `name`, refused when the list already had it (kubectl: `duplicate name "x" in list`).
    func name(_ entry: JSONValue, _ path: String, taken: Dictionary<String, some Any>.Keys) throws(KubeError) -> String {
        let object = try self.object(entry, path) ?? [:]
        let name = try string(object["name"], path + ".name") ?? ""
        if taken.contains(name) { throw KubeError(.configuration, "\(file): \(path): duplicate name \"\(name)\" in the list") }
        return name
    }

    /// A file path, absolute against the kubeconfig's directory.
    func path(_ value: JSONValue?, _ path: String) throws(KubeError) -> String? {
        guard let text = try string(value, path), !text.isEmpty else { return nil }
        return resolve(text)
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
    }

    /// Base64 bytes, as Go decodes a `[]byte` field: the standard alphabet with padding; line breaks skipped.
    func data(_ value: JSONValue?, _ path: String) throws(KubeError) -> [UInt8]? {
        guard let text = try string(value, path), !text.isEmpty else { return nil }
        guard let data = Data(base64Encoded: text.filter { $0 != "\n" && $0 != "\r" && $0 != "\r\n" }) else {
            throw KubeError(.configuration, "\(file): \(path): not valid base64")
        }
        return [UInt8](data)
    }
}
