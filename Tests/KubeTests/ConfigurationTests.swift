import Foundation
import JSON
import KubeEmulator
import TestSupport
import Testing
@testable import Kube

/// A temporary directory, removed when released.
final class Scratch: @unchecked Sendable {
    let path = NSTemporaryDirectory() + "kube-config-\(UUID().uuidString)"
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        return file
    }
}

func kubeconfig(server: String, cluster: String = "    certificate-authority: ca.pem", user: String, namespace: String = "team-a",
                context: String = "emulator") -> String {
    """
    apiVersion: v1
    kind: Config
    current-context: \(context)
    clusters:
    - name: emulator
      cluster:
        server: \(server)
    \(cluster)
    contexts:
    - name: emulator
      context: {cluster: emulator, user: me, namespace: \(namespace)}
    users:
    - name: me
      user:
    \(user)
    """
}

@Suite("Client configuration: kubeconfig and in-cluster", .runsOnOwnThreads)
struct ConfigurationTests {
    @Test func tokenAndARelativeCAFile() async throws {
        let f = try ClientFixture()
        let scratch = try Scratch()
        try FileManager.default.copyItem(atPath: f.certificates.ca, toPath: scratch.path + "/ca.pem")
        let file = try scratch.write("config", kubeconfig(server: f.emulator.url, user: "    token: client-token"))
        let configuration = try ClientConfiguration.fromKubeconfig(paths: [file])
        #expect(configuration.namespace == "team-a")
        #expect(configuration.contextName == "emulator")
        #expect(configuration.transport.certificateAuthority == .file(scratch.path + "/ca.pem"))
        let client = KubeClient(configuration: configuration)
        #expect(client.defaultNamespace == "team-a")
        #expect(try await client.get(.namespaces, namespace: nil, name: "default")["kind"] == "Namespace")
    }

    @Test func inlineCADataAndATokenFile() async throws {
        let f = try ClientFixture()
        let scratch = try Scratch()
        let ca = try Data(contentsOf: URL(fileURLWithPath: f.certificates.ca)).base64EncodedString()
        try scratch.write("token", "client-token\n")
        let file = try scratch.write("config", kubeconfig(server: f.emulator.url, cluster: "    certificate-authority-data: \(ca)", user: "    tokenFile: token"))
        let client = KubeClient(configuration: try ClientConfiguration.fromKubeconfig(paths: [file]))
        #expect(try await client.get(.namespaces, namespace: nil, name: "default")["kind"] == "Namespace")
    }

    @Test func severalFilesMergeFirstWins() throws {
        let scratch = try Scratch()
        let a = try scratch.write("a", """
        apiVersion: v1
        kind: Config
        current-context: from-a
        contexts:
        - name: from-a
          context: {cluster: shared, user: u}
        clusters:
        - name: shared
          cluster: {server: "https://first:6443", insecure-skip-tls-verify: true}
        """)
        let b = try scratch.write("b", """
        apiVersion: v1
        kind: Config
        current-context: from-b
        contexts:
        - name: from-b
          context: {cluster: shared, user: u, namespace: b-ns}
        clusters:
        - name: shared
          cluster: {server: "https://second:6443"}
        users:
        - name: u
          user: {token: t}
        """)
        let merged = try ClientConfiguration.fromKubeconfig(environment: ["KUBECONFIG": "\(a):\(scratch.path)/missing:\(b)"])
        #expect(merged.contextName == "from-a")
        #expect(merged.transport.server == "https://first:6443")
        #expect(merged.transport.insecureSkipTLSVerify)
        #expect(merged.namespace == "default")
        let named = try ClientConfiguration.fromKubeconfig(paths: [a, b], context: "from-b")
        #expect(named.namespace == "b-ns")
    }

    @Test(arguments: [
        ("", "no kubeconfig found"),
        ("apiVersion: v1\nkind: Config\nclusters: [\n", "config:4:1: unterminated flow sequence"),
        ("apiVersion: v1\nkind: Config\n", "no current context is set"),
        ("apiVersion: v1\nkind: Config\ncurrent-context: x\n", "context \"x\" not found"),
        ("apiVersion: v1\ncurrent-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n", "names cluster \"c\", which is not defined"),
    ])
    func clearErrors(text: String, message: String) throws {
        let scratch = try Scratch()
        let paths = text.isEmpty ? [scratch.path + "/absent"] : [try scratch.write("config", text)]
        let error = #expect(throws: KubeError.self) { try ClientConfiguration.fromKubeconfig(paths: paths) }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func clientCertificateAndKeyAsFilesOrData() throws {
        let scratch = try Scratch()
        let files = try scratch.write("files", kubeconfig(server: "https://x:1", cluster: "", user: "    client-certificate: \(TestCertificates.shared.serverCertificate)\n    client-key: \(TestCertificates.shared.serverKey)"))
        let fromFiles = try ClientConfiguration.fromKubeconfig(paths: [files])
        #expect(fromFiles.transport.clientCertificate == .file(TestCertificates.shared.serverCertificate))
        #expect(fromFiles.transport.clientKey == .file(TestCertificates.shared.serverKey))
        let data = try scratch.write("data", kubeconfig(server: "https://x:1", cluster: "", user: "    client-certificate-data: aGVsbG8=\n    client-key-data: d29ybGQ="))
        let fromData = try ClientConfiguration.fromKubeconfig(paths: [data])
        #expect(fromData.transport.clientCertificate == .data(Array("hello".utf8)))
        #expect(fromData.transport.clientKey == .data(Array("world".utf8)))
    }

    @Test func anExecPluginSuppliesTheTokenAndIsRerunAfterExpiry() async throws {
        let f = try ClientFixture()
        let scratch = try Scratch()
        try FileManager.default.copyItem(atPath: f.certificates.ca, toPath: scratch.path + "/ca.pem")
        // The plugin counts its runs and hands out a token that expires in four seconds (whole seconds:
        // valid for 3–4 s, room enough for the two reads below on a loaded machine).
        try scratch.write("plugin.sh", """
        #!/bin/sh
        echo run >> "$(dirname "$0")/runs"
        expiry=$(date -u -d "+4 seconds" +%Y-%m-%dT%H:%M:%SZ)
        printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}' "$TOKEN_VALUE" "$expiry"
        """, executable: true)
        let file = try scratch.write("config", kubeconfig(server: f.emulator.url, user: """
            exec:
                apiVersion: client.authentication.k8s.io/v1
                command: ./plugin.sh
                env: [{name: TOKEN_VALUE, value: client-token}]
        """))
        let client = KubeClient(configuration: try ClientConfiguration.fromKubeconfig(paths: [file]))
        _ = try await client.get(.namespaces, namespace: nil, name: "default")
        _ = try await client.get(.namespaces, namespace: nil, name: "default")
        func runs() -> Int { ((try? String(contentsOfFile: scratch.path + "/runs", encoding: .utf8)) ?? "").split(separator: "\n").count }
        #expect(runs() == 1, "cached while valid")
        try await Task.sleep(nanoseconds: 4_100_000_000)
        _ = try await client.get(.namespaces, namespace: nil, name: "default")
        #expect(runs() == 2, "run again after expiry")
    }

    /// `provideClusterInfo: true` hands the plugin the cluster in `KUBERNETES_EXEC_INFO`, as kubectl
    /// does (server, CA bytes base64-encoded, the exec extension as `config`); without it, no cluster.
    @Test func anExecPluginIsToldTheClusterWhenItAsks() async throws {
        let f = try ClientFixture()
        let scratch = try Scratch()
        try FileManager.default.copyItem(atPath: f.certificates.ca, toPath: scratch.path + "/ca.pem")
        try scratch.write("plugin.sh", """
        #!/bin/sh
        printf '%s' "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/exec-info"
        printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"client-token"}}'
        """, executable: true)
        func execInfo(provide: Bool) async throws -> JSONValue {
            let file = try scratch.write("config", kubeconfig(server: f.emulator.url, cluster: """
                    certificate-authority: ca.pem
                    extensions:
                    - name: client.authentication.k8s.io/exec
                      extension: {audience: eip}
                """, user: """
                exec:
                    apiVersion: client.authentication.k8s.io/v1
                    command: ./plugin.sh
                    provideClusterInfo: \(provide)
            """))
            let client = KubeClient(configuration: try ClientConfiguration.fromKubeconfig(paths: [file]))
            _ = try await client.get(.namespaces, namespace: nil, name: "default")
            return try JSONValue(parsing: Array(String(contentsOfFile: scratch.path + "/exec-info", encoding: .utf8).utf8))
        }
        let told = try await execInfo(provide: true)
        #expect(told["kind"] == "ExecCredential" && told["apiVersion"] == "client.authentication.k8s.io/v1")
        #expect(told["spec"]?["interactive"] == false)
        let cluster = told["spec"]?["cluster"]
        #expect(cluster?["server"]?.stringValue == f.emulator.url)
        let ca = cluster?["certificate-authority-data"]?.stringValue.flatMap { Data(base64Encoded: $0) }
        #expect(ca == FileManager.default.contents(atPath: f.certificates.ca), "the CA file's bytes, base64")
        #expect(cluster?["config"] == ["audience": "eip"])
        let notTold = try await execInfo(provide: false)
        #expect(notTold["spec"]?["cluster"] == nil)
    }

    /// A failing plugin's error carries what it wrote to standard error, not only its exit status.
    @Test func aFailingExecPluginIsReportedWithItsStderr() async throws {
        let scratch = try Scratch()
        let path = try scratch.write("plugin.sh", """
        #!/bin/sh
        echo "starting" >&2
        echo "error: refresh token expired; run 'cloud auth login'" >&2
        exit 3
        """, executable: true)
        let plugin = ExecCredentialPlugin(.init(apiVersion: "client.authentication.k8s.io/v1", command: path, args: [], env: []))
        #expect(throws: HTTPClientError.self) { try plugin.bearerToken() }
        do {
            _ = try plugin.bearerToken()
        } catch {
            #expect(error.kind == .credentials)
            #expect(error.message.contains("exited with status 3"), "\(error.message)")
            #expect(error.message.contains("refresh token expired; run 'cloud auth login'"), "\(error.message)")
        }
        // One that hangs is stopped at its timeout, and says so.
        let slow = try scratch.write("slow.sh", "#!/bin/sh\necho waiting for a browser >&2\nexec sleep 30\n", executable: true)
        let hanging = ExecCredentialPlugin(.init(apiVersion: "client.authentication.k8s.io/v1", command: slow, args: [], env: []), timeout: 1)
        do {
            _ = try hanging.bearerToken()
            Issue.record("a hanging plugin gave a token")
        } catch {
            #expect(error.message.contains("did not finish within 1 s: waiting for a browser"), "\(error.message)")
        }
    }

    @Test func inClusterConfiguration() async throws {
        let f = try ClientFixture()
        let scratch = try Scratch()
        try scratch.write("token", "client-token")
        try scratch.write("namespace", "operators\n")
        try FileManager.default.copyItem(atPath: f.certificates.ca, toPath: scratch.path + "/ca.crt")
        let configuration = try ClientConfiguration.inCluster(root: scratch.path, environment: [
            "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": String(f.emulator.port),
        ])
        #expect(configuration.namespace == "operators")
        #expect(configuration.contextName == "in-cluster")
        #expect(try await KubeClient(configuration: configuration).get(.namespaces, namespace: nil, name: "default")["kind"] == "Namespace")
        let v6 = try ClientConfiguration.inCluster(root: scratch.path, environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"])
        #expect(v6.transport.server == "https://[fd00::1]:443")
        #expect(throws: KubeError.self) { try ClientConfiguration.inCluster(root: scratch.path, environment: [:]) }
    }
}
