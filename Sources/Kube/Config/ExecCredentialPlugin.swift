import Foundation
import HTTPClient
import JSON
import Locking

/// A kubeconfig `exec` credential plugin (`client.authentication.k8s.io/v1` or `v1beta1`): runs the
/// command with its args and env, and `KUBERNETES_EXEC_INFO` (an `ExecCredential` whose spec carries
/// the cluster when the kubeconfig says `provideClusterInfo: true`, as kubectl sends it), reads the
/// `ExecCredential` it prints, and caches the token until its `expirationTimestamp` (re-running it
/// after that, or after a 401). A plugin that fails is reported with its exit status and what it
/// wrote to standard error; one that runs past its timeout is stopped.
public final class ExecCredentialPlugin: CredentialSource {
    /// The kubeconfig's `users[].user.exec`.
    public struct Spec: Sendable, Equatable {
        /// `client.authentication.k8s.io/v1` or `v1beta1`.
        public var apiVersion: String
        /// The command: a path (relative ones resolved against the kubeconfig's directory), or a name looked up in `PATH`.
        public var command: String
        /// Its arguments.
        public var args: [String]
        /// Variables added to the operator's environment for it.
        public var env: [(String, String)]
        /// `provideClusterInfo`: the cluster (below) goes to the plugin in `KUBERNETES_EXEC_INFO`.
        public var provideClusterInfo = false
        /// The cluster the plugin authenticates to, as `ExecCredential.spec.cluster` describes it.
        public var cluster: ClusterInfo?

        /// A spec; the cluster is sent only with `provideClusterInfo`.
        public init(apiVersion: String, command: String, args: [String], env: [(String, String)], provideClusterInfo: Bool = false,
                    cluster: ClusterInfo? = nil) {
            self.apiVersion = apiVersion
            self.command = command
            self.args = args
            self.env = env
            self.provideClusterInfo = provideClusterInfo
            self.cluster = cluster
        }

        public static func == (a: Spec, b: Spec) -> Bool {
            a.apiVersion == b.apiVersion && a.command == b.command && a.args == b.args && a.env.map { "\($0)=\($1)" } == b.env.map { "\($0)=\($1)" }
                && a.provideClusterInfo == b.provideClusterInfo && a.cluster == b.cluster
        }
    }

    /// `ExecCredential.spec.cluster` (`client.authentication.k8s.io/v1` `Cluster`): what a plugin
    /// that serves several clusters needs to know which one it is asked for.
    public struct ClusterInfo: Sendable, Equatable {
        /// `server`: the API server's URL.
        public var server: String
        /// `certificate-authority-data`: the CA bundle, PEM (sent base64-encoded, read from the file
        /// when the kubeconfig names one).
        public var certificateAuthorityData: [UInt8]?
        /// `insecure-skip-tls-verify`.
        public var insecureSkipTLSVerify = false
        /// `tls-server-name`.
        public var tlsServerName: String?
        /// `proxy-url`.
        public var proxyURL: String?
        /// `config`: the cluster's `extensions` entry named `client.authentication.k8s.io/exec`.
        public var config: JSONValue?

        /// A cluster at `server`.
        public init(server: String) { self.server = server }

        /// The JSON of `spec.cluster`, fields as client-go names them (empty ones left out).
        var json: JSONValue {
            var o: JSONObject = ["server": .string(server)]
            if let tlsServerName { o["tls-server-name"] = .string(tlsServerName) }
            if insecureSkipTLSVerify { o["insecure-skip-tls-verify"] = true }
            if let certificateAuthorityData { o["certificate-authority-data"] = .string(Data(certificateAuthorityData).base64EncodedString()) }
            if let proxyURL { o["proxy-url"] = .string(proxyURL) }
            if let config { o["config"] = config }
            return .object(o)
        }
    }

    let spec: Spec
    private let cached = Locked<(token: String, expires: Date?)?>(nil)
    /// Seconds the plugin may run (default 60).
    let timeout: Double

    /// `timeout`: seconds the plugin may run (default 60).
    public init(_ spec: Spec, timeout: Double = 60) {
        self.spec = spec
        self.timeout = timeout
    }

    /// The cached token while it has not expired, else the plugin's new one. Throws `.credentials` when the
    /// plugin cannot start, fails, or prints no `ExecCredential` with `status.token`.
    public func bearerToken() throws(HTTPClientError) -> String? {
        if let current = cached.withLock({ $0 }), current.expires.map({ $0.timeIntervalSinceNow > 0 }) ?? true {
            return current.token
        }
        let (token, expires) = try run()
        cached.withLock { $0 = (token, expires) }
        return token
    }

    /// Forgets the token: the next request runs the plugin again.
    public func refreshAfterUnauthorized() -> Bool {
        cached.withLock { $0 = nil }
        return true
    }

    private func run() throws(HTTPClientError) -> (String, Date?) {
        guard ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"].contains(spec.apiVersion) else {
            throw HTTPClientError(.credentials, "exec plugin: unsupported apiVersion \(spec.apiVersion)")
        }
        let process = Process()
        if spec.command.contains("/") {
            process.executableURL = URL(fileURLWithPath: spec.command)
            process.arguments = spec.args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [spec.command] + spec.args
        }
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in spec.env { environment[name] = value }
        environment["KUBERNETES_EXEC_INFO"] = execInfo.compactText
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw HTTPClientError(.credentials, "exec plugin \(spec.command) could not start: \(error.localizedDescription)")
        }
        // Both pipes are drained at once (a plugin chatty on stderr must not block on a full pipe),
        // and a plugin that runs past the timeout is stopped.
        let stderr = Locked(Data())
        let drained = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            stderr.withLock { $0 = data }
            drained.signal()
        }
        let state = Locked((finished: false, timedOut: false))
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            state.withLock { s in
                guard !s.finished else { return }
                s.timedOut = true
                kill(pid, SIGKILL)
            }
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        let timedOut = state.withLock { s -> Bool in
            s.finished = true
            return s.timedOut
        }
        let said = Self.lastWords(stderr.withLock { $0 })
        guard !timedOut else {
            throw HTTPClientError(.credentials, "exec plugin \(spec.command) did not finish within \(Int(timeout)) s\(said.map { ": \($0)" } ?? "")")
        }
        guard process.terminationStatus == 0 else {
            throw HTTPClientError(.credentials, "exec plugin \(spec.command) exited with status \(process.terminationStatus)\(said.map { ": \($0)" } ?? "")")
        }
        guard let credential = try? JSONValue(parsing: [UInt8](output)), credential["kind"] == "ExecCredential",
              let token = credential["status"]?["token"]?.stringValue, !token.isEmpty else {
            throw HTTPClientError(.credentials, "exec plugin \(spec.command) did not print an ExecCredential with status.token")
        }
        let expires = credential["status"]?["expirationTimestamp"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) }
        return (token, expires)
    }

    /// `KUBERNETES_EXEC_INFO`: an `ExecCredential` of the plugin's apiVersion, with the cluster in its
    /// spec when the kubeconfig asked for it (`provideClusterInfo`), never interactive.
    var execInfo: JSONValue {
        var spec: JSONObject = ["interactive": false]
        if self.spec.provideClusterInfo, let cluster = self.spec.cluster { spec["cluster"] = cluster.json }
        return ["apiVersion": .string(self.spec.apiVersion), "kind": "ExecCredential", "spec": .object(spec)]
    }

    /// The end of what a plugin wrote to standard error (its last 2 KiB, whitespace trimmed), nil
    /// when it wrote nothing: the reason a plugin gives for failing is usually its last line.
    static func lastWords(_ stderr: Data) -> String? {
        let text = String(decoding: stderr.suffix(2048), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
