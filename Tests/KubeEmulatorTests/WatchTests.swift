import Foundation
import TestSupport
import JSON
import Testing
@testable import KubeEmulator

let configmaps = "/api/v1/namespaces/default/configmaps"

@Suite("Watch", .runsOnOwnThreads)
struct WatchTests {
    func makeConfigMap(_ cluster: TestCluster, _ name: String, labels: JSONValue = [:]) -> String {
        cluster.post(configmaps, ["metadata": ["name": .string(name), "labels": labels]]).json["metadata"]?["resourceVersion"]?.stringValue ?? ""
    }

    @Test func fromResourceVersionZeroStartsWithTheCurrentObjectsAsAdded() throws {
        let cluster = try TestCluster()
        _ = makeConfigMap(cluster, "a")
        _ = makeConfigMap(cluster, "b")
        let watch = cluster.watch(configmaps + "?watch=true&resourceVersion=0")
        defer { watch.stop() }
        let events = watch.wait { $0.count >= 2 }
        #expect(events.types == ["ADDED", "ADDED"])
        #expect(events.names == ["a", "b"])
    }

    @Test func fromAResourceVersionDeliversEveryLaterChangeInOrder() throws {
        let cluster = try TestCluster()
        let rv = makeConfigMap(cluster, "a")
        _ = makeConfigMap(cluster, "b")
        _ = cluster.request("PATCH", configmaps + "/a", ["data": ["k": "v"]], contentType: "application/merge-patch+json")
        _ = cluster.request("DELETE", configmaps + "/b")
        let watch = cluster.watch(configmaps + "?watch=1&resourceVersion=\(rv)")
        defer { watch.stop() }
        let events = watch.wait { $0.count >= 3 }
        #expect(events.types == ["ADDED", "MODIFIED", "DELETED"])
        #expect(events.names == ["b", "a", "b"])
        let versions = events.compactMap { Int($0["object"]?["metadata"]?["resourceVersion"]?.stringValue ?? "") }
        #expect(versions == versions.sorted() && Set(versions).count == 3)
    }

    @Test func bookmarksCarryOnlyTheResourceVersionAndComePeriodically() throws {
        let cluster = try TestCluster(bookmarkInterval: 0.3)
        let rv = makeConfigMap(cluster, "a")
        let watch = cluster.watch(configmaps + "?watch=true&resourceVersion=\(rv)&allowWatchBookmarks=true")
        defer { watch.stop() }
        let events = watch.wait { $0.types.filter { $0 == "BOOKMARK" }.count >= 2 }
        let bookmark = try #require(events.first { $0["type"] == "BOOKMARK" })
        #expect(bookmark["object"] == ["kind": "ConfigMap", "apiVersion": "v1", "metadata": ["resourceVersion": .string(rv), "creationTimestamp": .null]])
    }

    @Test func noBookmarksUnlessAsked() throws {
        let cluster = try TestCluster(bookmarkInterval: 0.2)
        let watch = cluster.watch(configmaps + "?watch=true&timeoutSeconds=1")
        #expect(watch.waitForEnd())
        #expect(watch.events.isEmpty)
    }

    @Test func timeoutSecondsEndsTheStreamWithAFinalBookmark() throws {
        let cluster = try TestCluster()
        _ = makeConfigMap(cluster, "a")
        // From resourceVersion 0 with bookmarks: a streaming list (SetListOptionsDefaults), so the
        // initial ADDED ends with the annotated bookmark; the timeout then closes with a plain one.
        let watch = cluster.watch(configmaps + "?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=1")
        #expect(watch.waitForEnd())
        let events = watch.events
        #expect(events.types == ["ADDED", "BOOKMARK", "BOOKMARK"])
        #expect(events[1]["object"]?["metadata"]?["annotations"] == ["k8s.io/initial-events-end": "true"])
        #expect(events.last?["object"]?["metadata"]?["annotations"] == nil)
        #expect(cluster.emulator.openWatches == 0)
    }

    @Test func selectorsFilterAndObjectsLeavingTheSelectorArriveAsDeleted() throws {
        let cluster = try TestCluster()
        let watch = cluster.watch(configmaps + "?watch=true&labelSelector=tier%3Dgpu")
        defer { watch.stop() }
        _ = watch.wait { _ in cluster.emulator.openWatches == 1 }
        _ = makeConfigMap(cluster, "cpu-one", labels: ["tier": "cpu"])
        _ = makeConfigMap(cluster, "gpu-one", labels: ["tier": "gpu"])
        _ = cluster.request("PATCH", configmaps + "/gpu-one", ["metadata": ["labels": ["tier": "cpu"]]], contentType: "application/merge-patch+json")
        _ = cluster.request("PATCH", configmaps + "/cpu-one", ["metadata": ["labels": ["tier": "gpu"]]], contentType: "application/merge-patch+json")
        let events = watch.wait { $0.count >= 3 }
        #expect(events.types == ["ADDED", "DELETED", "ADDED"])
        #expect(events.names == ["gpu-one", "gpu-one", "cpu-one"])
    }

    /// The watch cache's answer (cacher.go, `newErrWatcher`): the request succeeds, and the stream
    /// carries one ERROR event with the 410 Status, then ends.
    @Test func aResourceVersionOlderThanTheHistoryGets200ThenAnErrorEventWith410() throws {
        let cluster = try TestCluster(historyLimit: 3)
        let first = makeConfigMap(cluster, "a")
        for name in ["b", "c", "d", "e"] { _ = makeConfigMap(cluster, name) }
        let r = cluster.get(configmaps + "?watch=true&resourceVersion=\(first)")
        #expect(r.status == 200)
        #expect(r.headers["content-type"] == "application/json")
        let lines = r.text.split(separator: "\n")
        #expect(lines.count == 1, "one event, then the end of the stream: \(r.text)")
        let event = try JSONValue(parsing: String(lines.first ?? ""))
        #expect(event["type"] == "ERROR")
        #expect(event["object"]?["kind"] == "Status")
        #expect(event["object"]?["status"] == "Failure")
        #expect(event["object"]?["reason"] == "Expired")
        #expect(event["object"]?["code"] == 410)
        #expect(event["object"]?["message"]?.stringValue?.hasPrefix("too old resource version: \(first) (") == true)
        #expect(cluster.emulator.openWatches == 0)
    }

    /// The other form, for clients that must handle both: HTTP 410 with the Status as the body.
    @Test func theHTTP410FormWhenAsked() throws {
        let cluster = try TestCluster(historyLimit: 3)
        cluster.emulator.setExpiredWatchAnswer(.httpStatus)
        let first = makeConfigMap(cluster, "a")
        for name in ["b", "c", "d", "e"] { _ = makeConfigMap(cluster, name) }
        let r = cluster.get(configmaps + "?watch=true&resourceVersion=\(first)")
        #expect(r.status == 410)
        #expect(r.json["reason"] == "Expired")
        #expect(r.json["code"] == 410)
        #expect(r.json["message"]?.stringValue?.hasPrefix("too old resource version: \(first) (") == true)
    }

    @Test func aRestartedWatchCacheEndsOpenWatchesCleanlyAndExpiresTheirPosition() throws {
        let cluster = try TestCluster()
        let rv = makeConfigMap(cluster, "a")
        let watch = cluster.watch(configmaps + "?watch=true&resourceVersion=\(rv)")
        _ = watch.wait { _ in cluster.emulator.openWatches == 1 }
        _ = cluster.post("/api/v1/namespaces/kube-system/configmaps", ["metadata": ["name": "elsewhere"]])
        cluster.emulator.restartWatchCache()
        #expect(watch.waitForEnd())
        #expect(watch.events.isEmpty, "a clean end, no ERROR event")
        let resumed = cluster.get(configmaps + "?watch=true&resourceVersion=\(rv)")
        #expect(resumed.json["type"] == "ERROR")
        #expect(resumed.json["object"]?["code"] == 410)
    }

    @Test func compactionSendsAnErrorEventWith410OnOpenStreams() throws {
        let cluster = try TestCluster()
        let rv = makeConfigMap(cluster, "a")
        let watch = cluster.watch(configmaps + "?watch=true&resourceVersion=\(rv)")
        _ = watch.wait { _ in cluster.emulator.openWatches == 1 }
        _ = makeConfigMap(cluster, "b")
        _ = watch.wait { $0.count == 1 }
        cluster.emulator.compactHistory()
        #expect(watch.waitForEnd())
        let error = try #require(watch.events.last)
        #expect(error["type"] == "ERROR")
        #expect(error["object"]?["kind"] == "Status")
        #expect(error["object"]?["code"] == 410)
        #expect(error["object"]?["reason"] == "Expired")
        #expect(cluster.get(configmaps + "?watch=true&resourceVersion=\(rv)").json["object"]?["code"] == 410)
    }

    @Test func droppedWatchesEndAndTheClientCanResume() throws {
        let cluster = try TestCluster()
        let rv = makeConfigMap(cluster, "a")
        let watch = cluster.watch(configmaps + "?watch=true&resourceVersion=\(rv)")
        _ = watch.wait { _ in cluster.emulator.openWatches == 1 }
        cluster.emulator.dropWatches()
        #expect(watch.waitForEnd())
        _ = makeConfigMap(cluster, "b")
        let resumed = cluster.watch(configmaps + "?watch=true&resourceVersion=\(rv)")
        defer { resumed.stop() }
        #expect(resumed.wait { $0.count >= 1 }.names == ["b"])
    }
}

@Suite("Custom resources", .runsOnOwnThreads)
struct CustomResourceTests {
    static let crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    static let pools = "/apis/aiops.example.com/v1alpha2/namespaces/default/elasticinferencepools"

    /// The project's own CRD, read with the YAML reader.
    func installCRD(_ cluster: TestCluster) throws -> Response {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        let path = parts.joined(separator: "/") + "/CRDs/aiops.example.com_elasticinferencepools.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let crd = try #require(try YAMLReaderBridge.json(text))
        return cluster.post(Self.crdPath, crd)
    }

    @Test func creatingTheCRDServesTheResourceAndEstablishesIt() throws {
        let cluster = try TestCluster()
        #expect(cluster.get(Self.pools).status == 404)
        #expect(try installCRD(cluster).status == 201)
        let crd = cluster.get(Self.crdPath + "/elasticinferencepools.aiops.example.com").json
        #expect(crd["status"]?["conditions"]?.arrayValue?.contains { $0["type"] == "Established" && $0["status"] == "True" } == true)
        let resources = cluster.get("/apis/aiops.example.com/v1alpha2").json["resources"]?.arrayValue ?? []
        #expect(resources.first { $0["name"] == "elasticinferencepools" }?["shortNames"] == ["eip"])
        #expect(resources.contains { $0["name"] == "elasticinferencepools/status" })
        #expect(cluster.get(Self.pools).json["kind"] == "ElasticInferencePoolList")
    }

    @Test func customObjectsAreDefaultedPrunedAndValidated() throws {
        let cluster = try TestCluster()
        _ = try installCRD(cluster)
        let seed: JSONValue = ["apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "llm"],
                               "spec": ["modelRef": "llm", "maxReplicas": 12, "scaleUpThreshold": "P90>1s", "scaleDownThreshold": "P90<1ms", "bogus": true]]
        let created = cluster.post(Self.pools, seed)
        #expect(created.status == 201)
        #expect(created.json["spec"]?["minReplicas"] == 1, "schema default applied")
        #expect(created.json["spec"]?["bogus"] == nil, "unknown field pruned")
        #expect(created.json["metadata"]?["generation"] == 1)
        let items = cluster.get(Self.pools).json["items"]?.arrayValue ?? []
        #expect(items.first?["kind"] == "ElasticInferencePool", "custom list items carry their kind")

        let bad: JSONValue = ["apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "bad"],
                              "spec": ["modelRef": "x", "minReplicas": 0, "maxReplicas": "lots", "scaleUpThreshold": "P90>1s",
                                       "metrics": ["source": "Graphite"]]]
        let r = cluster.post(Self.pools, bad)
        #expect(r.status == 422)
        #expect(r.json["reason"] == "Invalid")
        let causes = r.json["details"]?["causes"]?.arrayValue ?? []
        let fields = Set(causes.compactMap { $0["field"]?.stringValue })
        #expect(fields == ["spec.minReplicas", "spec.maxReplicas", "spec.metrics.source", "spec.scaleDownThreshold"], "\(causes)")
        #expect(causes.contains { $0["message"] == "Invalid value: 0: spec.minReplicas in body should be greater than or equal to 1" })
        #expect(causes.contains { $0["reason"] == "FieldValueRequired" && $0["field"] == "spec.scaleDownThreshold" })
        #expect(r.json["message"]?.stringValue?.hasPrefix("ElasticInferencePool.aiops.example.com \"bad\" is invalid: [") == true)
    }

    @Test func statusSubresourceAndNoStrategicMergeForCustomResources() throws {
        let cluster = try TestCluster()
        _ = try installCRD(cluster)
        _ = cluster.post(Self.pools, ["apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "p"],
                                      "spec": ["modelRef": "p", "maxReplicas": 3, "scaleUpThreshold": "P90>1s", "scaleDownThreshold": "P90<1ms"],
                                      "status": ["desiredReplicas": 99]])
        #expect(cluster.get(Self.pools + "/p").json["status"] == nil, "status is dropped on create")
        let status = cluster.request("PATCH", Self.pools + "/p/status", ["status": ["desiredReplicas": 2]], contentType: "application/merge-patch+json")
        #expect(status.json["status"]?["desiredReplicas"] == 2)
        #expect(status.json["metadata"]?["generation"] == 1)
        let smp = cluster.request("PATCH", Self.pools + "/p", ["spec": ["paused": true]], contentType: "application/strategic-merge-patch+json")
        #expect(smp.status == 415)
        #expect(smp.json["message"] == "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
    }

    @Test func deletingTheCRDRemovesItsObjectsAndStopsServing() throws {
        let cluster = try TestCluster()
        _ = try installCRD(cluster)
        _ = cluster.post(Self.pools, ["apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "p"],
                                      "spec": ["modelRef": "p", "maxReplicas": 3, "scaleUpThreshold": "P90>1s", "scaleDownThreshold": "P90<1ms"]])
        #expect(cluster.request("DELETE", Self.crdPath + "/elasticinferencepools.aiops.example.com").status == 200)
        #expect(cluster.get(Self.pools).status == 404)
        #expect(try installCRD(cluster).status == 201)
        #expect(cluster.get(Self.pools).json["items"]?.arrayValue?.isEmpty == true)
    }
}

@Suite("Test controls", .runsOnOwnThreads)
struct ControlTests {
    @Test func injectedFaultsAnswerTheNextMatchingRequestsThenStop() throws {
        let cluster = try TestCluster()
        cluster.emulator.inject(Fault(verb: "list", pathPrefix: "/api/v1/namespaces/default/configmaps", status: 429, retryAfterSeconds: 3, count: 2))
        let first = cluster.get(configmaps)
        #expect(first.status == 429)
        #expect(first.headers["retry-after"] == "3")
        #expect(first.json["reason"] == "TooManyRequests")
        #expect(cluster.get(configmaps + "/x").status == 404, "another verb is not affected")
        #expect(cluster.get(configmaps).status == 429)
        #expect(cluster.get(configmaps).status == 200)
    }

    @Test func injectedDelay() throws {
        let cluster = try TestCluster()
        cluster.emulator.inject(Fault(verb: "get", pathPrefix: "/version", delaySeconds: 0.5))
        let start = Date()
        #expect(cluster.get("/version").status == 200)
        #expect(Date().timeIntervalSince(start) >= 0.5)
    }

    @Test func requestLogRecordsVerbPathAndStatus() throws {
        let cluster = try TestCluster()
        cluster.emulator.clearRequests()
        cluster.createDeployment("web")
        _ = cluster.request("PATCH", deployments + "/web/scale", ["spec": ["replicas": 3]], contentType: "application/merge-patch+json")
        let log = cluster.emulator.requests
        #expect(log.map(\.verb) == ["create", "patch"])
        #expect(log.map(\.status) == [201, 200])
        #expect(log.last?.path == deployments + "/web/scale")
        #expect(log.last?.contentType == "application/merge-patch+json")
    }

    @Test func droppingConnectionsEndsWatchesAbruptly() throws {
        let cluster = try TestCluster()
        let watch = cluster.watch(configmaps + "?watch=true")
        _ = watch.wait { _ in cluster.emulator.openWatches == 1 }
        cluster.emulator.dropConnections()
        #expect(watch.waitForEnd())
    }
}

@Suite("kube-emulator executable", .runsOnOwnThreads)
struct ExecutableTests {
    static var binary: String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return exe.appendingPathComponent("kube-emulator").path
    }

    @Test func helpDocumentsTheFlags() {
        let r = run(Self.binary, ["--help"])
        #expect(r.status == 0)
        for flag in ["--listen", "--tls-cert", "--tls-key", "--tls-ca", "--token-file", "--kubeconfig-out", "--expired-watch-answer"] {
            #expect(r.stdout.contains(flag), "\(flag)")
        }
    }

    @Test func startsPrintsItsURLWritesAKubeconfigAndStopsOnSIGTERM() throws {
        let certificates = TestCertificates.shared
        let dir = NSTemporaryDirectory() + "kube-emulator-exe-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "exe-token\n".write(toFile: dir + "/tokens", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--listen", "127.0.0.1:0", "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey,
                             "--tls-ca", certificates.ca, "--token-file", dir + "/tokens", "--kubeconfig-out", dir + "/kubeconfig"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var firstLine = Data()
        while !firstLine.contains(10) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            firstLine.append(chunk)
        }
        let line = String(decoding: firstLine, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        #expect(line.hasPrefix("listening on https://127.0.0.1:"))
        let url = String(line.dropFirst("listening on ".count))
        let kubeconfig = try String(contentsOfFile: dir + "/kubeconfig", encoding: .utf8)
        #expect(kubeconfig.contains("server: \(url)"))
        #expect(kubeconfig.contains("certificate-authority: \(certificates.ca)"))
        #expect(kubeconfig.contains("token: exe-token"))
        let r = run("/usr/bin/curl", ["-sS", "--cacert", certificates.ca, "-H", "Authorization: Bearer exe-token", url + "/api/v1/namespaces/default"])
        #expect((try JSONValue(parsing: r.stdout))["metadata"]?["name"] == "default")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func badFlagsExitTwo() {
        #expect(run(Self.binary, ["--listen", "nonsense"]).status == 2)
        #expect(run(Self.binary, ["--bogus"]).status == 2)
        let delay = run(Self.binary, ["--pod-start-delay", "soon"])
        #expect(delay.status == 2)
        #expect(delay.stderr.contains("--pod-start-delay: expected a duration such as 500ms, 2s or 1m, not 'soon'"))
        let answer = run(Self.binary, ["--expired-watch-answer", "410"])
        #expect(answer.status == 2)
        #expect(answer.stderr.contains("--expired-watch-answer: expected error-event or http-status, not '410'"))
    }
}
