import Autoscaling
import Foundation
import JSON
import Kube
import TestSupport
import Testing
import YAML

/// `eipctl` with kubectl's habits, end to end against the emulator: global flags anywhere, the
/// output formats, selectors, sorting, watching, `version`, completion, help topics, and a
/// KUBECONFIG of several files.
@Suite("eipctl with kubectl's habits", .serialized, .runsOnOwnThreads)
struct KubectlHabitsTests {
    typealias Cluster = GetPoolsTests.Cluster

    /// eipctl with an environment of its own (the test process's is shared by every test beside it).
    static func run(_ arguments: [String], environment: [String] = []) -> (status: Int32, stdout: String, stderr: String) {
        TestSupport.run("/usr/bin/env", environment + [Eipctl.binary] + arguments)
    }

    @Test func globalFlagsGoAnywhere() async throws {
        let cluster = try await Cluster()
        let after = try Eipctl.run(["get", "pools", "-n", "default", "--kubeconfig", cluster.kubeconfig, "-o", "name"])
        #expect(after.stdout == "elasticinferencepool.aiops.example.com/llm-finetune-v3\n", "\(after.stderr)")
        for arguments in [["--kubeconfig", cluster.kubeconfig, "-n", "default", "get", "pools", "-o", "name"],
                          ["--kubeconfig=\(cluster.kubeconfig)", "--namespace=default", "get", "pools", "-o", "name"],
                          ["-ndefault", "--kubeconfig", cluster.kubeconfig, "get", "-o", "name", "pools"],
                          ["--context", "kube-emulator", "--kubeconfig", cluster.kubeconfig, "get", "pools", "-n", "default", "-o", "name"]] {
            let r = try Eipctl.run(arguments)
            #expect(r.status == 0 && r.stdout == after.stdout, "\(arguments): \(r.stdout)\(r.stderr)")
        }
        // Commands that read no cluster take them too, as kubectl's do.
        #expect(try Eipctl.run(["--kubeconfig", cluster.kubeconfig, "validate", "-f", seedPath]).status == 0)
        // -A is get's own, not a global flag (kubectl refuses it there too); usage errors stay exit 2.
        let misplaced = try Eipctl.run(["-A", "get", "pools"])
        #expect(misplaced.status == 2 && misplaced.stderr.contains("unknown flag '-A' before the command"), "\(misplaced.stderr)")
        #expect(try Eipctl.run(["--kubeconfig"]).status == 2)
    }

    @Test func outputFormatsAsKubectlPrintsThem() async throws {
        let cluster = try await Cluster()
        let k = ["--kubeconfig", cluster.kubeconfig]
        let yaml = try Eipctl.run(["get", "pools", "bert-base", "-o", "yaml"] + k)
        #expect(yaml.status == 0, "\(yaml.stderr)")
        let object = try #require(try YAMLReader.jsonValues(in: yaml.stdout).first)
        #expect(object["kind"] == "ElasticInferencePool" && object["spec"]?["maxReplicas"] == 16)
        let listed = try #require(try YAMLReader.jsonValues(in: try Eipctl.run(["get", "pools", "-A", "-o", "yaml"] + k).stdout).first)
        #expect(listed["kind"] == "List" && listed["items"]?.arrayValue?.count == 2)
        #expect(try Eipctl.run(["get", "pools", "-A", "-o", "name"] + k).stdout ==
                "elasticinferencepool.aiops.example.com/llm-finetune-v3\nelasticinferencepool.aiops.example.com/bert-base\n")
        #expect(try Eipctl.run(["get", "pools", "bert-base", "-o", "jsonpath={.status.desiredReplicas}"] + k).stdout == "6")
        #expect(try Eipctl.run(["get", "pools", "-A", "-o", #"jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}"#] + k).stdout
                == "default/llm-finetune-v3\ninference/bert-base\n")
        #expect(try Eipctl.run(["get", "pools", "-A", #"-o=jsonpath={.items[?(@.spec.maxReplicas>12)].metadata.name}"#] + k).stdout == "bert-base")
        let bad = try Eipctl.run(["get", "pools", "-o", "jsonpath={.items[", "--kubeconfig", cluster.kubeconfig])
        #expect(bad.status == 2 && bad.stderr.contains("error parsing jsonpath"), "\(bad.stderr)")
        #expect(try Eipctl.run(["get", "pools", "-o", "xml"] + k).status == 2)
    }

    @Test func selectorsAndSorting() async throws {
        let cluster = try await Cluster()
        let k = ["--kubeconfig", cluster.kubeconfig]
        // bert-base is labelled app.kubernetes.io/part-of=bert-serving in its sample.
        #expect(try Eipctl.run(["get", "pools", "-A", "-l", "app.kubernetes.io/part-of=bert-serving", "-o", "name"] + k).stdout
                == "elasticinferencepool.aiops.example.com/bert-base\n")
        #expect(try Eipctl.run(["get", "pools", "-A", "-l", "app.kubernetes.io/part-of!=bert-serving", "-o", "name"] + k).stdout
                == "elasticinferencepool.aiops.example.com/llm-finetune-v3\n")
        let none = try Eipctl.run(["get", "pools", "-l", "tier=none"] + k)
        #expect(none.status == 0 && none.stdout.isEmpty && none.stderr == "No resources found in inference namespace.\n", "\(none.stderr)")
        #expect(try Eipctl.run(["get", "pools", "bert-base", "-l", "a=b"] + k).status == 2, "a name or a selector, as kubectl says")
        // By a number (12 < 16), and by a string; the server's order otherwise.
        #expect(try Eipctl.run(["get", "pools", "-A", "--sort-by=.spec.maxReplicas", "-o", "name"] + k).stdout.split(separator: "\n")
                == ["elasticinferencepool.aiops.example.com/llm-finetune-v3", "elasticinferencepool.aiops.example.com/bert-base"])
        #expect(try Eipctl.run(["get", "pools", "-A", "--sort-by", "{.spec.modelRef}", "-o", "name"] + k).stdout.split(separator: "\n")
                == ["elasticinferencepool.aiops.example.com/bert-base", "elasticinferencepool.aiops.example.com/llm-finetune-v3"])
        let table = try Eipctl.run(["get", "pools", "-A", "--sort-by=.metadata.name", "--no-headers"] + k).stdout
        #expect(table.hasPrefix("inference   bert-base   ") && !table.contains("NAME"), "\(table)")
    }

    /// `-w`: the table, then one row per change (a deletion prints the pool's last row), until interrupted.
    @Test func watchPrintsARowPerChange() async throws {
        let cluster = try await Cluster()
        let client = KubeClient(configuration: try ClientConfiguration.fromKubeconfig(paths: [cluster.kubeconfig]))
        let process = try ChildProcess(Eipctl.binary, ["get", "pools", "-w", "--kubeconfig", cluster.kubeconfig])
        process.closeInput()
        let lines = LineCollector(reading: process.output)
        // As Ctrl-C from a shell ends it.
        defer { process.kill(SIGINT); process.wait() }
        #expect(waitUntil { lines.lines.count == 2 && cluster.emulator.openWatches >= 1 }, "\(lines.lines)")
        _ = try await client.patch(.elasticInferencePools, namespace: "inference", name: "bert-base", .merge(["spec": ["maxReplicas": 20]]))
        #expect(waitUntil { lines.lines.count == 3 }, "\(lines.lines)")
        _ = try await client.delete(.elasticInferencePools, namespace: "inference", name: "bert-base")
        #expect(waitUntil { lines.lines.count == 4 }, "\(lines.lines)")
        let all = lines.lines
        #expect(all.first?.hasPrefix("NAME        TARGET") == true)
        #expect(all.dropFirst().allSatisfy { $0.hasPrefix("bert-base   Deployment/bert-triton   2     ") }, "\(all)")
        #expect(all[2].contains("   20    6   "), "the change: \(all[2])")
        #expect(process.isRunning, "it watches until interrupted")
    }

    @Test func versionOfTheClientAndTheServer() async throws {
        let cluster = try await Cluster()
        let text = try Eipctl.run(["version", "--kubeconfig", cluster.kubeconfig])
        #expect(text.status == 0 && text.stdout == "Client Version: \(EIPVersion.current)\nServer Version: v1.36.0-eip-emulator\n", "\(text.stdout)\(text.stderr)")
        let json = try JSONValue(parsing: try Eipctl.run(["version", "-o", "json", "--kubeconfig", cluster.kubeconfig]).stdout)
        #expect(json["clientVersion"]?["gitVersion"] == .string(EIPVersion.current))
        #expect(json["serverVersion"]?["gitVersion"] == "v1.36.0-eip-emulator" && json["serverVersion"]?["major"] == "1")
        #expect(try Eipctl.run(["version", "--client"]).stdout == "Client Version: \(EIPVersion.current)\n")
        #expect(try Eipctl.run(["--version"]).stdout == "eipctl \(EIPVersion.current)\n")
        // No server to ask: the client's version, then the error, exit 1 (as kubectl version).
        cluster.emulator.stop()
        let down = try Eipctl.run(["version", "--kubeconfig", cluster.kubeconfig])
        #expect(down.status == 1 && down.stdout == "Client Version: \(EIPVersion.current)\n" && down.stderr.contains("error: the connection to the server"), "\(down.stderr)")
    }

    /// KUBECONFIG of several files, merged as kubectl merges them: the cluster and user in one, the
    /// context and the current-context in another.
    @Test func severalKubeconfigFilesAreMerged() async throws {
        let cluster = try await Cluster()
        let whole = try #require(try YAMLReader.jsonValues(in: String(contentsOfFile: cluster.kubeconfig, encoding: .utf8)).first)
        let first = cluster.directory + "/clusters.json", second = cluster.directory + "/contexts.json"
        try JSONValue.object(["apiVersion": "v1", "kind": "Config", "clusters": whole["clusters"] ?? [], "users": whole["users"] ?? []])
            .compactText.write(toFile: first, atomically: true, encoding: .utf8)
        try JSONValue.object(["apiVersion": "v1", "kind": "Config", "contexts": whole["contexts"] ?? [], "current-context": whole["current-context"] ?? ""])
            .compactText.write(toFile: second, atomically: true, encoding: .utf8)
        let merged = Self.run(["get", "pools", "-o", "name"], environment: ["KUBECONFIG=\(first):\(cluster.directory)/absent:\(second)"])
        #expect(merged.status == 0 && merged.stdout == "elasticinferencepool.aiops.example.com/bert-base\n", "\(merged.stderr)")
        #expect(Self.run(["version"], environment: ["KUBECONFIG=\(second):\(first)"]).stdout.contains("Server Version: v1.36.0-eip-emulator"))
        // `make run` hands KUBECONFIG to the operator as it is, several files or one, never as --kubeconfig.
        let make = Tools.shell("make --no-print-directory -n run KUBECONFIG=\(first):\(second)")
        #expect(make.stdout.contains("KUBECONFIG='\(first):\(second)' .build/debug/eip-operator") && !make.stdout.contains("--kubeconfig"), "\(make.stdout)")
    }

    @Test func helpOnTheThresholdLanguage() throws {
        let topic = try Eipctl.run(["help", "thresholds"])
        #expect(topic.status == 0)
        for part in ["expression := or", "METRICS", "gpu.util", "UNKNOWN VALUES", "LINTS", "did you mean 'gpu.util'?"] {
            #expect(topic.stdout.contains(part), "\(part)")
        }
        #expect(try Eipctl.run(["help", "get"]).stdout == (try Eipctl.run(["get", "--help"]).stdout))
        #expect(try Eipctl.run(["validate", "--help"]).stdout.contains("eipctl help thresholds"))
        let unknown = try Eipctl.run(["help", "nonsense"])
        #expect(unknown.status == 2 && unknown.stderr.contains("topics: thresholds"))
    }
}

/// The repository's Makefile and shell, from the test (as the PackagingTests' Tools does).
enum Tools {
    static func shell(_ command: String) -> (status: Int32, stdout: String, stderr: String) {
        TestSupport.run("/bin/bash", ["-c", "cd '\(repositoryRoot)' && \(command)"])
    }
}
