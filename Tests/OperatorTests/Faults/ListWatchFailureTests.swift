import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Locking
import TestDoubles
import TestSupport
import Testing
@testable import Operator

/// An informer of `resource` on `fixture`'s emulator, logging to a recording sink.
func loggingInformer(_ f: OperatorFixture, _ resource: ResourceRef, server: String? = nil) -> (Informer, RecordingLogSink) {
    let sink = RecordingLogSink()
    let client = KubeClient(transport: HTTPTransport(TransportConfiguration(server: server ?? f.emulator.url)))
    return (Informer(client: client, resource: resource, namespace: "default", log: Logger(level: .debug, sink: sink)), sink)
}

/// The API server's own words for an RBAC refusal of a list.
let forbiddenDeployments = #"deployments.apps is forbidden: User "system:serviceaccount:eip-system:eip-operator" cannot list resource "deployments" in API group "apps" in the namespace "default""#

@Suite("Every list and watch failure is said")
struct ListWatchFailureTests {
    /// One case per way a list can fail: the line's level, its fields, the count by reason, and
    /// what keeps the cache from syncing.
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let resource: ResourceRef
        let fault: Fault?
        let unreachable: Bool
        let level: Logger.Level
        let reason: String
        let code: String?
        let said: String
        let missing: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "missing CRD", resource: .elasticInferencePools, fault: nil, unreachable: false, level: .error, reason: "NotFound", code: "404",
             said: "the server could not find the requested resource",
             missing: "the CRD elasticinferencepools.aiops.example.com is not installed"),
        Case(name: "RBAC", resource: .deployments,
             fault: Fault(verb: "list", pathPrefix: "/apis/apps/v1/namespaces/default/deployments", status: 403, count: 1000, message: forbiddenDeployments),
             unreachable: false, level: .error, reason: "Forbidden", code: "403", said: forbiddenDeployments, missing: "forbidden: \(forbiddenDeployments)"),
        Case(name: "credentials", resource: .deployments,
             fault: Fault(verb: "list", pathPrefix: "/apis/apps/v1/namespaces/default/deployments", status: 401, count: 1000, message: "Unauthorized"),
             unreachable: false, level: .error, reason: "Unauthorized", code: "401", said: "Unauthorized",
             missing: "unauthorized: the API server refused the operator's credentials"),
        Case(name: "500s", resource: .deployments,
             fault: Fault(verb: "list", pathPrefix: "/apis/apps/v1/namespaces/default/deployments", status: 500, count: 1000, message: "etcdserver: request timed out"),
             unreachable: false, level: .warning, reason: "InternalError", code: "500", said: "etcdserver: request timed out",
             missing: "list deployments.apps answered 500 InternalError: etcdserver: request timed out"),
        Case(name: "unreachable", resource: .deployments, fault: nil, unreachable: true, level: .warning, reason: "ConnectionFailed", code: nil,
             said: "", missing: "cannot reach the API server"),
    ]

    @Test(arguments: cases)
    func aFailingListIsLoggedCountedAndNamed(_ c: Case) async throws {
        let f = try OperatorFixture()
        if let fault = c.fault { f.emulator.inject(fault) }
        let (informer, sink) = loggingInformer(f, c.resource, server: c.unreachable ? "http://127.0.0.1:1" : nil)
        informer.start()
        defer { informer.stop() }
        #expect(await eventually { !sink.records("list failed").isEmpty })
        let line = try #require(sink.records("list failed").first)
        #expect(line.level == c.level)
        #expect(line.field("resource") == c.resource.description)
        #expect(line.field("verb") == "list")
        #expect(line.field("reason") == c.reason)
        #expect(line.field("code") == c.code)
        if !c.said.isEmpty { #expect(line.field("error")?.contains(c.said) == true, "\(line.field("error") ?? "")") }
        if c.level == .error { #expect(line.field("missing")?.contains(c.missing) == true, "\(line.field("missing") ?? "")") }
        #expect(!informer.hasSynced)
        #expect(informer.failureCounts[Informer.FailureKey(verb: "list", reason: c.reason)] ?? 0 >= 1)
        #expect(informer.lastFailure?.diagnosis.contains(c.missing) == true, "\(informer.lastFailure?.diagnosis ?? "")")
    }

    /// A watch that fails (a 500 on resuming after a dropped connection) is said too, at warning,
    /// and the informer carries on once the server answers again; then it says it recovered.
    @Test func aFailingWatchIsSaidAndTheRecoveryToo() async throws {
        let f = try OperatorFixture()
        let (informer, sink) = loggingInformer(f, .configMaps)
        informer.start()
        defer { informer.stop() }
        #expect(await eventually { informer.hasSynced && f.emulator.openWatches == 1 })
        f.emulator.inject(Fault(verb: "watch", pathPrefix: "/api/v1/namespaces/default/configmaps", status: 500, count: 1, message: "watch cache not ready"))
        f.emulator.dropConnections()
        #expect(await eventually { !sink.records("watch failed").filter { $0.field("code") == "500" }.isEmpty })
        let line = try #require(sink.records("watch failed").first { $0.field("code") == "500" })
        #expect(line.level == .warning && line.field("error") == "watch cache not ready" && line.field("resource") == "configmaps")
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("after"))
        #expect(await eventually { informer.get(namespace: "default", name: "after") != nil })
        #expect(await eventually { !sink.records("list and watch recovered").isEmpty })
        #expect(informer.isCurrent)
        #expect(informer.watchRestarts >= 2)
        #expect((informer.failureCounts[Informer.FailureKey(verb: "watch", reason: "InternalError")] ?? 0) == 1)
    }

    /// A 410 is said at info (a relist follows) and counted as a restart and a failure.
    @Test func anExpiredWatchIsSaidAndCounted() async throws {
        let f = try OperatorFixture()
        let (informer, sink) = loggingInformer(f, .configMaps)
        informer.start()
        defer { informer.stop() }
        #expect(await eventually { informer.hasSynced && f.emulator.openWatches == 1 })
        f.emulator.compactHistory()
        #expect(await eventually { !sink.records("watch expired; relisting").isEmpty })
        #expect(sink.records("watch expired; relisting").first?.field("code") == "410")
        #expect(await eventually { f.emulator.requests.filter { $0.verb == "list" }.count == 2 }, "relisted")
        #expect(informer.failureCounts[Informer.FailureKey(verb: "watch", reason: "Gone")] == 1)
    }

    /// The same failure again and again is written once per quiet period with how many were held
    /// back; a different failure is written at once.
    @Test func repeatedLinesAreRateLimitedNotSilenced() {
        let clock = ManualClock()
        let limiter = RepeatedLineLimiter(quietPeriod: .seconds(30), clock: clock)
        #expect(limiter.admit("list|InternalError") == 0)
        for _ in 0..<5 {
            clock.advance(by: .seconds(1))
            #expect(limiter.admit("list|InternalError") == nil)
        }
        #expect(limiter.admit("list|Forbidden") == 0, "another failure is news")
        clock.advance(by: .seconds(30))
        #expect(limiter.admit("list|InternalError") == 5, "written again, saying how many were held back")
        #expect(limiter.admit("list|InternalError") == nil)
    }

    /// `/metrics` carries every failure: per resource, verb and reason, and every request by status.
    @Test func theMetricsCountEachFailureAndEachAnswer() async throws {
        let f = try OperatorFixture()
        f.emulator.inject(Fault(verb: "list", pathPrefix: "/apis/apps/v1/namespaces/default/deployments", status: 403, count: 1000, message: forbiddenDeployments))
        let client = KubeClient(transport: HTTPTransport(TransportConfiguration(server: f.emulator.url)))
        let controller = PoolController(client: client, namespace: "default", metrics: ScriptedMetricsSource(), events: nil)
        controller.start()
        defer { controller.shutDown() }
        #expect(await eventually {
            (controller.deployments.failureCounts[Informer.FailureKey(verb: "list", reason: "Forbidden")] ?? 0) >= 1
                && (controller.pools.failureCounts[Informer.FailureKey(verb: "list", reason: "NotFound")] ?? 0) >= 1
                && controller.pods.hasSynced && controller.autoscalers.hasSynced && controller.daemonSets.hasSynced
        })
        let text = OperatorMetrics.render(controller: controller, isLeader: true, leaseName: "eip")
        #expect(text.contains(#"eip_list_watch_failures_total{reason="Forbidden",resource="deployments",verb="list"}"#))
        #expect(text.contains(#"eip_list_watch_failures_total{reason="NotFound",resource="elasticinferencepools",verb="list"}"#), "no CRD here")
        #expect(text.contains(#"eip_cache_synced{resource="deployments"} 0"#))
        #expect(text.contains(#"eip_cache_synced{resource="pods"} 1"#))
        let host = "127.0.0.1:\(f.emulator.port)"
        #expect(text.contains(#"rest_client_requests_total{code="403",host="\#(host)",method="GET"}"#))
        #expect(text.contains(#"rest_client_requests_total{code="200",host="\#(host)",method="GET"}"#))
        let unsynced = controller.unsynced.map(\.resource.plural).sorted()
        #expect(unsynced == ["deployments", "elasticinferencepools"])
    }
}

@Suite("Relists back off and obey Retry-After")
struct RelistBackoffTests {
    /// A server that keeps answering 410 is asked again only after the reflector's growing waits
    /// (800 ms, 1.6 s, 3.2 s, … ±10 %), not in a loop: in 4 s at most 4 lists (the first, then after
    /// waits that add up to at least 0.72 + 1.44 + 2.88 s, which is more than 4 s).
    @Test func aServerThatKeepsAnswering410IsNotAskedInALoop() async throws {
        let f = try OperatorFixture()
        f.emulator.inject(Fault(verb: "watch", pathPrefix: "/api/v1/namespaces/default/configmaps", status: 410, count: 10_000,
                                message: "too old resource version"))
        let (informer, _) = loggingInformer(f, .configMaps)
        let started = Date()
        informer.start()
        defer { informer.stop() }
        #expect(await eventually { f.emulator.requests.filter { $0.verb == "list" }.count >= 2 })
        try await Task.sleep(nanoseconds: UInt64(max(0, 4 - Date().timeIntervalSince(started)) * 1e9))
        let lists = f.emulator.requests.filter { $0.verb == "list" }
        let within = lists.filter { $0.time - lists[0].time < 4 }.count
        #expect(within <= 4, "\(lists.map { $0.time - lists[0].time })")
        let gaps = zip(lists.dropFirst(), lists).map { $0.time - $1.time }
        #expect(gaps.allSatisfy { $0 >= 0.7 }, "every relist waited: \(gaps)")
        #expect(informer.watchRestarts >= 2)
    }

    /// 429 and 503 with Retry-After on a list, and on a watch: the next try waits at least that long
    /// (the emulator's arrival times, on the monotonic clock).
    @Test(arguments: [("list", 429), ("list", 503), ("watch", 429)])
    func retryAfterIsWaitedOut(verb: String, status: Int) async throws {
        let f = try OperatorFixture()
        let (informer, _) = loggingInformer(f, .configMaps)
        if verb == "list" {
            f.emulator.inject(Fault(verb: "list", pathPrefix: "/api/v1/namespaces/default/configmaps", status: status, retryAfterSeconds: 2))
            informer.start()
        } else {
            informer.start()
            #expect(await eventually { informer.hasSynced && f.emulator.openWatches == 1 })
            f.emulator.inject(Fault(verb: "watch", pathPrefix: "/api/v1/namespaces/default/configmaps", status: status, retryAfterSeconds: 2))
            f.emulator.dropConnections()
        }
        defer { informer.stop() }
        #expect(await eventually(timeout: 15) {
            let tries = f.emulator.requests.filter { $0.verb == verb }
            return tries.firstIndex { $0.status == status }.map { tries.count > $0 + 1 } ?? false
        })
        let tries = f.emulator.requests.filter { $0.verb == verb }
        let refused = try #require(tries.firstIndex { $0.status == status })
        let next = try #require(tries[(refused + 1)...].first, "tried again")
        #expect(next.time - tries[refused].time >= 2, "waited \(next.time - tries[refused].time) s after Retry-After: 2")
    }
}
