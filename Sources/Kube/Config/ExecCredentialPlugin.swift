import Foundation
import HTTPClient
import JSON
import Locking

/// A kubeconfig `exec` credential plugin (`client.authentication.k8s.io/v1` or `v1beta1`): runs the
/// command with its args and env, reads the `ExecCredential` it prints, and caches the token until
/// its `expirationTimestamp` (re-running it after that, or after a 401).
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

        public static func == (a: Spec, b: Spec) -> Bool {
            a.apiVersion == b.apiVersion && a.command == b.command && a.args == b.args && a.env.map { "\($0)=\($1)" } == b.env.map { "\($0)=\($1)" }
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
        environment["KUBERNETES_EXEC_INFO"] = #"{"apiVersion":"\#(spec.apiVersion)","kind":"ExecCredential","spec":{"interactive":false}}"#
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw HTTPClientError(.credentials, "exec plugin \(spec.command) could not start: \(error.localizedDescription)")
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HTTPClientError(.credentials, "exec plugin \(spec.command) exited with status \(process.terminationStatus)")
        }
        guard let credential = try? JSONValue(parsing: [UInt8](output)), credential["kind"] == "ExecCredential",
              let token = credential["status"]?["token"]?.stringValue, !token.isEmpty else {
            throw HTTPClientError(.credentials, "exec plugin \(spec.command) did not print an ExecCredential with status.token")
        }
        let expires = credential["status"]?["expirationTimestamp"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) }
        return (token, expires)
    }
}
