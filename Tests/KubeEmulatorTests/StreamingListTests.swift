import Foundation
import JSON
import Testing
import TestSupport
@testable import KubeEmulator

/// Streaming lists (KEP-3157 "watch-list"): `watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`
/// answers the current objects as ADDED, then a BOOKMARK annotated `k8s.io/initial-events-end: "true"`,
/// then live events. client-go 1.35+ (kubectl 1.37's `delete --wait`, `wait`, `rollout status`) uses it.
@Suite("Streaming lists", .runsOnOwnThreads)
struct StreamingListTests {
    static let watchList = "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"

    func makeConfigMap(_ cluster: TestCluster, _ name: String) {
        _ = cluster.post(configmaps, ["metadata": ["name": .string(name)]])
    }

    @Test func currentObjectsThenTheEndBookmarkThenLiveEvents() throws {
        let cluster = try TestCluster()
        makeConfigMap(cluster, "b")
        makeConfigMap(cluster, "a")
        let revision = cluster.emulator.resourceVersion
        let watch = cluster.watch(configmaps + Self.watchList)
        defer { watch.stop() }
        let initial = watch.wait { $0.count >= 3 }
        #expect(initial.types == ["ADDED", "ADDED", "BOOKMARK"])
        #expect(initial.names == ["a", "b"], "in key order, as the watch cache lists them")
        let bookmark = try #require(initial.last)
        #expect(bookmark["object"] == ["kind": "ConfigMap", "apiVersion": "v1",
                                       "metadata": ["resourceVersion": .string(String(revision)), "creationTimestamp": .null,
                                                    "annotations": ["k8s.io/initial-events-end": "true"]]])
        _ = cluster.request("PATCH", configmaps + "/a", ["data": ["k": "v"]], contentType: "application/merge-patch+json")
        let events = watch.wait { $0.count >= 4 }
        #expect(events.types.last == "MODIFIED")
        #expect(events.names.last == "a")
    }

    @Test func aFieldSelectorNamesOneObjectAndTheBookmarkStillComes() throws {
        let cluster = try TestCluster()
        makeConfigMap(cluster, "wanted")
        makeConfigMap(cluster, "other")
        let watch = cluster.watch(configmaps + Self.watchList + "&fieldSelector=metadata.name%3Dwanted")
        defer { watch.stop() }
        let events = watch.wait { $0.count >= 2 }
        #expect(events.types == ["ADDED", "BOOKMARK"])
        #expect(events.names == ["wanted"])
    }

    @Test func anEmptyCollectionIsJustTheBookmark() throws {
        let cluster = try TestCluster()
        let watch = cluster.watch("/api/v1/namespaces/default/secrets" + Self.watchList)
        defer { watch.stop() }
        let events = watch.wait { !$0.isEmpty }
        #expect(events.types == ["BOOKMARK"])
        #expect(events.first?["object"]?["metadata"]?["annotations"]?["k8s.io/initial-events-end"] == "true")
    }

    @Test func withoutBookmarksTheInitialEventsComeWithoutTheEndMarker() throws {
        let cluster = try TestCluster()
        makeConfigMap(cluster, "a")
        let watch = cluster.watch(configmaps + "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1")
        #expect(watch.waitForEnd())
        #expect(watch.events.types == ["ADDED"])
    }

    @Test func sendInitialEventsFalseStartsFromNow() throws {
        let cluster = try TestCluster()
        makeConfigMap(cluster, "before")
        let watch = cluster.watch(configmaps + "?watch=true&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
        defer { watch.stop() }
        _ = watch.wait { _ in cluster.emulator.openWatches == 1 }
        makeConfigMap(cluster, "after")
        let events = watch.wait { !$0.isEmpty }
        #expect(events.types == ["ADDED"])
        #expect(events.names == ["after"])
    }

    /// `validateWatchOptions` and `validateListOptions` (apimachinery), as 422 `ListOptions` errors.
    @Test(arguments: [
        ("?watch=true&sendInitialEvents=true", "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"),
        ("?watch=true&resourceVersion=5&resourceVersionMatch=NotOlderThan",
         "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"),
        ("?watch=true&sendInitialEvents=true&resourceVersionMatch=Exact",
         "[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: \"Exact\": supported values: \"NotOlderThan\"]"),
        ("?sendInitialEvents=true", "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"),
    ])
    func invalidCombinationsAre422(query: String, message: String) throws {
        let cluster = try TestCluster()
        let r = cluster.get(configmaps + query)
        #expect(r.status == 422)
        #expect(r.json["reason"] == "Invalid")
        #expect(r.json["details"]?["kind"] == "ListOptions")
        #expect(r.json["message"]?.stringValue == "ListOptions.meta.k8s.io \"\" is invalid: \(message)")
    }
}

@Suite("Streaming lists with kubectl", .runsOnOwnThreads, .enabled(if: FileManager.default.isExecutableFile(atPath: kubectlPath),
                                                "kubectl not installed (scripts/install-kubectl.sh)"))
struct StreamingListKubectlTests {
    /// kubectl 1.37 waits for a deletion through a streaming list; before the end bookmark existed it
    /// waited ~60 s for it ("hasn't received required bookmark event …") and then fell back.
    @Test func deleteWaitsForTheFinalizerThroughAStreamingList() throws {
        let s = try KubectlSession()
        _ = s.cluster.post(configmaps, ["metadata": ["name": "held", "finalizers": ["example.com/cleanup"]]])
        let delete = WatchStream(executable: kubectlPath, arguments: ["--kubeconfig", s.kubeconfig, "delete", "configmap", "held", "--timeout=50s"])
        defer { delete.stop() }
        // kubectl marked it and now waits on its streaming list, which has delivered the end bookmark.
        #expect(waitUntil { s.cluster.emulator.requests.contains { $0.verb == "watch" && $0.query["sendInitialEvents"] == "true" } })
        #expect(s.cluster.get(configmaps + "/held").json["metadata"]?["deletionTimestamp"] != nil)
        #expect(!delete.hasEnded, "the finalizer still holds it")
        _ = s.cluster.request("PATCH", configmaps + "/held", ["metadata": ["finalizers": .null]], contentType: "application/merge-patch+json")
        #expect(delete.waitForEnd(timeout: 20), "kubectl saw the DELETED event: no 60 s bookmark timeout")
        #expect(delete.lines.contains("configmap \"held\" deleted from default namespace"), "\(delete.lines)")
        let watch = try #require(s.cluster.emulator.requests.first { $0.verb == "watch" })
        #expect(watch.query["resourceVersionMatch"] == "NotOlderThan")
        #expect(watch.query["allowWatchBookmarks"] == "true")
        #expect(watch.query["fieldSelector"] == "metadata.name=held")
        #expect(watch.status == 200)
    }

    @Test func waitForACondition() throws {
        let s = try KubectlSession()
        _ = s.cluster.post(configmaps, ["metadata": ["name": "flag"], "data": ["ready": "no"]])
        let wait = WatchStream(executable: kubectlPath, arguments: ["--kubeconfig", s.kubeconfig, "wait", "configmap/flag",
                                                                    "--for=jsonpath={.data.ready}=yes", "--timeout=50s"])
        defer { wait.stop() }
        #expect(waitUntil { s.cluster.emulator.requests.contains { $0.verb == "watch" } })
        _ = s.cluster.request("PATCH", configmaps + "/flag", ["data": ["ready": "yes"]], contentType: "application/merge-patch+json")
        #expect(wait.waitForEnd(timeout: 20))
        #expect(wait.lines.contains("configmap/flag condition met"), "\(wait.lines)")
    }
}
