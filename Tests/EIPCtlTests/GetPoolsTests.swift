import Autoscaling
@testable import EIPCtl
import Foundation
import HTTPKit
import JSON
import Kube
import KubeEmulator
import TestSupport
import Testing
import YAML

@Suite("eipctl get pools against the emulator", .serialized, .runsOnOwnThreads)
struct GetPoolsTests {
    /// An emulator with the CRD and two pools, and a kubeconfig for it.
    final class Cluster: @unchecked Sendable {
        let emulator: KubeEmulator
        let directory = NSTemporaryDirectory() + "eipctl-get-\(UUID().uuidString)"
        var kubeconfig: String { directory + "/kubeconfig" }

        init(installCRD: Bool = true) async throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "get-token".write(toFile: directory + "/tokens", atomically: true, encoding: .utf8)
            var configuration = KubeEmulator.Configuration()
            configuration.tlsCertificateFile = TestCertificates.shared.serverCertificate
            configuration.tlsKeyFile = TestCertificates.shared.serverKey
            configuration.tokenFile = directory + "/tokens"
            configuration.podStartDelaySeconds = nil
            emulator = try KubeEmulator(configuration)
            try emulator.kubeconfig(certificateAuthorityFile: TestCertificates.shared.ca, token: "get-token", namespace: "inference")
                .write(toFile: kubeconfig, atomically: true, encoding: .utf8)
            guard installCRD else { return }
            let client = KubeClient(configuration: try ClientConfiguration.fromKubeconfig(paths: [kubeconfig]))
            let crdText = try String(contentsOfFile: Eipctl.root + "/CRDs/aiops.example.com_elasticinferencepools.yaml", encoding: .utf8)
            _ = try await client.create(.customResourceDefinitions, namespace: nil, try YAMLReader.jsonValues(in: crdText)[0])
            _ = try await client.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "inference"]])
            let poolText = try String(contentsOfFile: Eipctl.root + "/Manifests/samples/bert-triton-pool.yaml", encoding: .utf8)
            _ = try await client.create(.elasticInferencePools, namespace: "inference", try YAMLReader.jsonValues(in: poolText)[0])
            let seedText = try String(contentsOfFile: Eipctl.root + "/Manifests/samples/llm-finetune-v3.yaml", encoding: .utf8)
            _ = try await client.create(.elasticInferencePools, namespace: "default", try YAMLReader.jsonValues(in: seedText)[0])
            _ = try await client.patch(.elasticInferencePools, namespace: "inference", name: "bert-base",
                                       .merge(["status": ["target": "Deployment/bert-triton", "desiredReplicas": 6, "readyReplicas": 2,
                                                          "observed": ["p90": "480ms", "gpuUtil": "58%"],
                                                          "conditions": [["type": "Ready", "status": "False", "reason": "TargetClaimed", "message": "m",
                                                                          "lastTransitionTime": "2026-11-27T10:00:00Z"]]]]),
                                       subresource: "status")
        }

        deinit {
            emulator.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func aTableOfTheContextNamespace() async throws {
        let cluster = try await Cluster()
        let r = try Eipctl.run(["get", "pools", "--kubeconfig", cluster.kubeconfig])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // The columns of `kubectl get eip` (the CRD's printer columns).
        #expect(lines.first == "NAME        TARGET                   MIN   MAX   DESIRED   READY-REPLICAS   READY   REASON          AGE")
        #expect(lines.dropFirst().first?.hasPrefix("bert-base   Deployment/bert-triton   2     16    6         2                False   TargetClaimed   ") == true, "\(r.stdout)")
        #expect(lines.count == 2)
        let wide = try Eipctl.run(["get", "pools", "--kubeconfig", cluster.kubeconfig, "-o", "wide"]).stdout.split(separator: "\n").map(String.init)
        #expect(wide.first?.hasSuffix("   AGE   MODEL               P90     GPU   CAPACITY   PAUSED   METRICS") == true, "\(wide)")
        #expect(wide.last?.hasSuffix("   bert-base-uncased   480ms   58%   -          false    -") == true, "\(wide)")
    }

    /// The wide columns from a status as the operator writes it, the learned capacity included.
    @Test func theWideColumnsOfAFullStatus() throws {
        let pool: JSONValue = [
            "metadata": ["name": "bert-base", "namespace": "inference", "creationTimestamp": "2026-11-27T09:55:00Z"],
            "spec": ["modelRef": "bert-base-uncased", "minReplicas": 2, "maxReplicas": 16, "paused": true],
            "status": ["target": "Deployment/bert-triton", "desiredReplicas": 6, "readyReplicas": 6, "observed": ["p90": "120ms", "gpuUtil": "61%"],
                       "learned": ["capacityPerReplica": "8.4k/s"],
                       "conditions": [["type": "WarmupReady", "status": "True", "reason": "TemplateCurrent"], ["type": "Ready", "status": "True", "reason": "Reconciled"]]],
        ]
        let table = PoolTable(wide: true, allNamespaces: true, now: Timestamp(rfc3339: "2026-11-27T10:00:00Z")!)
        #expect(table.row(pool) == ["inference", "bert-base", "Deployment/bert-triton", "2", "16", "6", "6", "True", "Reconciled", "5m",
                                    "bert-base-uncased", "120ms", "61%", "8.4k/s", "true", "-"])
    }

    @Test func wideShowsEveryValueTheRulesRead() async throws {
        let cluster = try await Cluster()
        let client = KubeClient(configuration: try ClientConfiguration.fromKubeconfig(paths: [cluster.kubeconfig]))
        _ = try await client.patch(.elasticInferencePools, namespace: "inference", name: "bert-base",
                                   .merge(["status": ["observed": ["summary": "P90=480ms gpu.util=58%", "custom": ["waiting": "12"]]]]), subresource: "status")
        let r = try Eipctl.run(["get", "pools", "bert-base", "-o", "wide", "--kubeconfig", cluster.kubeconfig])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasSuffix("CAPACITY   PAUSED   METRICS") == true, "\(r.stdout)")
        #expect(lines.last?.hasSuffix("   false    P90=480ms gpu.util=58%") == true, "\(r.stdout)")
    }

    @Test func allNamespacesAndOneByName() async throws {
        let cluster = try await Cluster()
        let all = try Eipctl.run(["get", "pools", "-A", "--kubeconfig", cluster.kubeconfig])
        #expect(all.stdout.hasPrefix("NAMESPACE   NAME              TARGET                   MIN   MAX   DESIRED   READY-REPLICAS   READY   REASON          AGE\n"), "\(all.stdout)")
        #expect(all.stdout.contains("default     llm-finetune-v3   -                        2     12    -         -                -       -               "), "\(all.stdout)")
        // One pool by name: the object itself, as kubectl prints it; several: a List.
        let one = try Eipctl.run(["get", "pools", "llm-finetune-v3", "-n", "default", "--kubeconfig", cluster.kubeconfig, "-o", "json"])
        #expect((try JSONValue(parsing: one.stdout))["spec"]?["maxReplicas"] == 12)
        let list = try JSONValue(parsing: try Eipctl.run(["get", "pools", "-A", "--kubeconfig", cluster.kubeconfig, "-o", "json"]).stdout)
        #expect(list["kind"] == "List" && list["items"]?.arrayValue?.count == 2)
        let missing = try Eipctl.run(["get", "pools", "nope", "--kubeconfig", cluster.kubeconfig])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("\"nope\" not found in namespace inference"))
    }

    @Test func clearErrorsForAMissingCRDOrKubeconfig() async throws {
        let cluster = try await Cluster(installCRD: false)
        let noCRD = try Eipctl.run(["get", "pools", "--kubeconfig", cluster.kubeconfig])
        #expect(noCRD.status == 1)
        #expect(noCRD.stderr.contains("install the CRD with 'kubectl apply -f CRDs/'"))
        let noConfig = try Eipctl.run(["get", "pools", "--kubeconfig", cluster.directory + "/absent"])
        #expect(noConfig.status == 1)
        #expect(noConfig.stderr.contains("no kubeconfig found"))
        #expect(try Eipctl.run(["get", "deployments"]).status == 2)
    }

    /// The client respects the proxy variables (`https_proxy`, `no_proxy`) as kubectl does. Set in a
    /// child's environment only: the test process's own is shared by every test running beside it.
    @Test func theProxyEnvironmentIsRespected() async throws {
        let cluster = try await Cluster()
        let get = [Eipctl.binary, "get", "pools", "--kubeconfig", cluster.kubeconfig]
        // A proxy where nothing listens: going through it must fail.
        let proxied = run("/usr/bin/env", ["https_proxy=http://127.0.0.1:9"] + get)
        #expect(proxied.status == 1, "\(proxied.stdout)")
        #expect(proxied.stderr.contains("(ConnectionFailed,"), "\(proxied.stderr)")
        let bypassed = run("/usr/bin/env", ["https_proxy=http://127.0.0.1:9", "no_proxy=127.0.0.1"] + get)
        #expect(bypassed.status == 0, "\(bypassed.stderr)")
        #expect(bypassed.stdout.hasPrefix("NAME "))
    }
}

@Suite("eipctl reconcile --dry-run against a live cluster", .serialized, .runsOnOwnThreads)
struct LiveDryRunTests {
    @Test func readsTheLivePoolDeploymentAndStateAndWritesNothing() async throws {
        let cluster = try await GetPoolsTests.Cluster()
        let client = KubeClient(configuration: try ClientConfiguration.fromKubeconfig(paths: [cluster.kubeconfig]))
        _ = try await client.create(.deployments, namespace: "inference", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "bert-triton"],
            "spec": ["replicas": 2, "template": ["spec": ["containers": [["name": "triton", "image": "tritonserver:24.01"]]]]],
        ])
        _ = try await client.patch(.deployments, namespace: "inference", name: "bert-triton", .merge(["status": ["readyReplicas": 2]]), subresource: "status")
        cluster.emulator.clearRequests()
        let r = try Eipctl.run(["reconcile", "--dry-run", "bert-base", "--kubeconfig", cluster.kubeconfig, "--metrics", "P90=480ms,gpu.util=58%",
                                "--now", "2026-11-27T10:00:00Z", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let value = try JSONValue(parsing: r.stdout)
        #expect(value["target"]?["assumed"] == false)
        #expect(value["decision"]?["to"] == 6)
        #expect(value["writes"]?.arrayValue?.first?["body"]?["metadata"]?["resourceVersion"] != nil, "a live Deployment's patch is guarded")
        #expect(value["notes"]?.arrayValue?.first?.stringValue?.hasPrefix("live: pool, workload, HPAs, ScaledObjects and pools read from https://127.0.0.1:") == true)
        #expect(cluster.emulator.requests.allSatisfy { $0.verb == "get" || $0.verb == "list" }, "a dry run writes nothing")
        // It would create the pre-pull DaemonSet; once that exists as planned, it would leave it be.
        let daemonSet = try #require(value["writes"]?.arrayValue?.first { $0["purpose"] == "prepull daemonset" })
        #expect(daemonSet["method"] == "POST")
        _ = try await client.create(.daemonSets, namespace: "inference", try #require(daemonSet["body"]))
        let again = try JSONValue(parsing: try Eipctl.run(["reconcile", "--dry-run", "bert-base", "--kubeconfig", cluster.kubeconfig,
                                                          "--metrics", "P90=480ms,gpu.util=58%", "-o", "json"]).stdout)
        #expect(again["writes"]?.arrayValue?.contains { $0["purpose"] == "prepull daemonset" } == false)
        #expect(again["warmup"]?["prePull"]?.stringValue?.hasPrefix("DaemonSet bert-base-prepull is current") == true, "\(again["warmup"] ?? .null)")
        let missing = try Eipctl.run(["reconcile", "--dry-run", "nope", "--kubeconfig", cluster.kubeconfig])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("\"nope\" not found in namespace inference"))
    }

    @Test func withoutMetricsItScrapesTheLivePodsTwiceForRates() async throws {
        let cluster = try await GetPoolsTests.Cluster()
        let client = KubeClient(configuration: try ClientConfiguration.fromKubeconfig(paths: [cluster.kubeconfig]))
        // One Ready pod at 127.1.249.1 whose Triton exporter grows by 100 requests/s, 90 % ≤ 100 ms.
        let start = Date()
        let exporter = try HTTPServer(host: "127.1.249.1", port: 0, tls: nil) { _, writer in
            let t = Date().timeIntervalSince(start) * 100 + 100
            let text = """
            # TYPE nv_inference_first_response_histogram_ms histogram
            nv_inference_first_response_histogram_ms_bucket{model="bert-base-uncased",le="50"} \(0.8 * t)
            nv_inference_first_response_histogram_ms_bucket{model="bert-base-uncased",le="100"} \(0.9 * t)
            nv_inference_first_response_histogram_ms_bucket{model="bert-base-uncased",le="500"} \(t)
            nv_inference_first_response_histogram_ms_bucket{model="bert-base-uncased",le="+Inf"} \(t)
            nv_inference_first_response_histogram_ms_sum{model="bert-base-uncased"} 0
            nv_inference_first_response_histogram_ms_count{model="bert-base-uncased"} \(t)
            # TYPE nv_gpu_utilization gauge
            nv_gpu_utilization{gpu_uuid="GPU-1"} 0.42

            """
            _ = writer.send(status: 200, headers: [("Content-Type", "text/plain")], body: Array(text.utf8))
        }
        defer { exporter.stop() }
        _ = try await client.patch(.elasticInferencePools, namespace: "inference", name: "bert-base",
                                   .merge(["spec": ["metrics": ["podScrape": ["port": .integer(exporter.port)]]]]))
        _ = try await client.create(.deployments, namespace: "inference", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "bert-triton"],
            "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "bert"]],
                     "template": ["metadata": ["labels": ["app": "bert"]], "spec": ["containers": [["name": "triton", "image": "tritonserver:24.01"]]]]],
        ])
        _ = try await client.patch(.deployments, namespace: "inference", name: "bert-triton", .merge(["status": ["readyReplicas": 2]]), subresource: "status")
        _ = try await client.create(.pods, namespace: "inference", [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "bert-triton-1", "labels": ["app": "bert"]],
            "spec": ["containers": [["name": "triton", "image": "tritonserver:24.01"]]],
        ])
        _ = try await client.patch(.pods, namespace: "inference", name: "bert-triton-1", .merge(["status": [
            "podIP": "127.1.249.1", "conditions": [["type": "Ready", "status": "True"]]]]), subresource: "status")

        let r = try Eipctl.run(["reconcile", "--dry-run", "bert-base", "--kubeconfig", cluster.kubeconfig, "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let value = try JSONValue(parsing: r.stdout)
        #expect(value["metrics"]?["P90"] == "100ms", "rank 90 of 100 ends the 100 ms bucket: \(r.stdout)")
        #expect(value["metrics"]?["gpu.util"] == "42%")
        #expect(value["notes"]?.arrayValue?.contains { $0.stringValue?.hasPrefix("live metrics: PodScrape 1/1 pods, two scrapes 2 s apart") == true } == true,
                "\(value["notes"] ?? .null)")
        #expect(value["decision"]?["action"] == "Hold", "P90 100 ms and 42 % fire neither rule")
    }
}
