import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Locking
import TestDoubles
import TestSupport
import Testing
import YAML
@testable import Operator

/// Two operator replicas on one emulator and one manual clock, each with its own client (told
/// apart by User-Agent), leader elector and controller, wired as the process wires them: caches on
/// both, workers on the one that holds the Lease, every write through its fence.
final class TwoReplicas: @unchecked Sendable {
    let fixture: OperatorFixture
    let clock = ManualClock()
    let metrics = ScriptedMetricsSource([.p90: 0.1, .gpuUtil: 0.5])
    var emulator: KubeEmulator { fixture.emulator }
    var client: KubeClient { fixture.client }
    static let leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases"

    /// One replica: its name (the Lease identity) and User-Agent, elector and controller.
    final class Replica: @unchecked Sendable {
        let name: String
        let userAgent: String
        let elector: LeaderElector
        let controller: PoolController
        private var tasks: [Task<Void, Never>] = []
        /// Its workers run (from when it first held the Lease).
        let working = Locked(false)

        init(_ name: String, emulator: KubeEmulator, clock: ManualClock, metrics: ScriptedMetricsSource) {
            self.name = name
            userAgent = "eip-operator/\(name)"
            var transport = TransportConfiguration(server: emulator.url)
            transport.userAgent = userAgent
            let client = KubeClient(transport: HTTPTransport(transport))
            elector = LeaderElector(client: client, namespace: "default", name: "eip-operator", identity: name, clock: clock)
            controller = PoolController(client: client, namespace: "default", metrics: metrics, events: EventRecorder.Source(instance: name),
                                        clock: clock, fence: elector)
            controller.start()
        }

        /// Campaigns for the Lease; once it holds it, runs the workers and renews. Losing it stops
        /// nothing here: what keeps a deposed replica from writing must be the fence alone.
        func campaign() {
            let (elector, controller, working) = (self.elector, self.controller, self.working)
            tasks.append(Task {
                await elector.acquire()
                guard !Task.isCancelled else { return }
                working.withLock { $0 = true }
                let workers = Task { await controller.runWorkers() }
                await elector.renewUntilLost()
                _ = workers
            })
        }

        func stop() {
            controller.shutDown()
            tasks.forEach { $0.cancel() }
        }
    }

    init() async throws {
        fixture = try OperatorFixture(podStartDelay: 0.1)
        let crd = try YAMLReader.jsonValues(in: String(contentsOfFile: repositoryRoot + "/CRDs/aiops.example.com_elasticinferencepools.yaml", encoding: .utf8))[0]
        _ = try await fixture.client.create(.customResourceDefinitions, namespace: nil, crd)
    }

    func replica(_ name: String) async -> Replica {
        let replica = Replica(name, emulator: emulator, clock: clock, metrics: metrics)
        await replica.controller.waitForSync()
        return replica
    }

    /// The writes (not the Lease's) each replica's requests made, as the emulator served them, in order.
    func writes(by replica: Replica) -> [(index: Int, request: RecordedRequest)] {
        emulator.requests.enumerated()
            .filter { $0.element.userAgent == replica.userAgent && !["get", "list", "watch"].contains($0.element.verb) && !$0.element.path.hasPrefix(Self.leases) }
            .map { ($0.offset, $0.element) }
    }

    /// Moves the clock on by `step` once the working replicas' queues are idle (a standby's queue
    /// fills with what its caches see, and waits) and the electors of `campaigning` have no
    /// acquire or renew under way (their requests go out in real time; the clock must not outrun them).
    func step(_ step: Duration, _ replicas: [Replica], campaigning: [Replica]) async {
        for replica in replicas where replica.working.withLock({ $0 }) {
            let queue = replica.controller.queue
            _ = await eventuallyAsync { queue.depth == 0 && queue.inFlight == 0 }
        }
        for replica in campaigning {
            let elector = replica.elector
            _ = await eventually { elector.attempts.withLock { $0 } == 0 }
        }
        clock.advance(by: step)
    }
}

@Suite("Only the leader writes: the Lease fence", .serialized)
struct LeaderFenceTests {
    /// The leader's Lease requests hang (its other traffic flows): it must stop writing by its renew
    /// deadline, whatever those requests are doing, and before the standby takes over; after the
    /// standby's first write, the old leader writes nothing, though its controller keeps trying.
    @Test func aLeaderWhoseLeaseRequestsHangStopsWritingBeforeTheStandbyStarts() async throws {
        let f = try await TwoReplicas()
        _ = try await f.client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "model"],
            "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "model"]],
                     "template": ["metadata": ["labels": ["app": "model"]], "spec": ["containers": [["name": "server", "image": "triton:24.01"]]]]],
        ])
        _ = try await f.client.create(.elasticInferencePools, namespace: "default", [
            "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "pool"],
            "spec": ["modelRef": "model", "minReplicas": 2, "maxReplicas": 1000, "scaleUpThreshold": "P90>200ms", "scaleDownThreshold": "P90<50ms",
                     "behavior": ["pollInterval": "1s", "scaleUp": ["periodSeconds": 1]]],
        ])
        let a = await f.replica("a"), b = await f.replica("b")
        defer { a.stop(); b.stop() }
        a.campaign()
        #expect(await eventually { a.elector.isLeader })
        b.campaign()
        #expect(await eventuallyAsync { (try? await f.client.get(.deployments, namespace: "default", name: "model"))?["spec"]?["replicas"] == 2 },
                "the leader reconciles")
        #expect(b.elector.writesBlocked() != nil, "the standby may not write")

        // From now on only A's Lease requests hang; and the load breaches, so both want to scale up every second.
        f.emulator.inject(Fault(pathPrefix: TwoReplicas.leases, count: 1_000_000, userAgent: a.userAgent, hang: true))
        f.metrics.set([.p90: 0.5, .gpuUtil: 0.5])
        let hung = f.clock.monotonicNow()
        var fenceClosed: (at: Duration, index: Int)?
        // Until B has written (its first step waits out the metrics window after A's last scale-up:
        // a P90 breach is read over the window), and at least 30 s.
        while f.clock.monotonicNow() - hung < .seconds(30) || (f.writes(by: b).isEmpty && f.clock.monotonicNow() - hung < .seconds(120)) {
            await f.step(.milliseconds(250), [a, b], campaigning: [b])
            if fenceClosed == nil, a.elector.writesBlocked() != nil { fenceClosed = (f.clock.monotonicNow() - hung, f.emulator.requests.count) }
        }
        let closed = try #require(fenceClosed, "A's fence closed")
        #expect(closed.at <= .seconds(10) + .milliseconds(250), "by the renew deadline after its last renew: \(closed.at)")
        #expect(!a.elector.isLeader, "A gave up the Lease (its hung renewals were cut at the deadline)")
        #expect(b.elector.isLeader, "B took over")

        let fromA = f.writes(by: a), fromB = f.writes(by: b)
        let firstOfB = try #require(fromB.first, "the new leader wrote").index
        let lateWrites = fromA.filter { $0.index > firstOfB }
        #expect(lateWrites.isEmpty, "no write by the old leader after the new one's first: \(lateWrites.count), \(lateWrites.first?.request.path ?? "")")
        #expect(fromA.filter { $0.index >= closed.index }.count == 0, "none after its fence closed")
        #expect(closed.index < firstOfB, "A stopped before B started")
        #expect(a.controller.writer.refusedByFence > 0, "A's controller kept trying; the fence refused it")
        let lease = try await f.client.get(.leases, namespace: "default", name: "eip-operator")
        #expect(LeaseView(lease).holderIdentity == "b")
    }

    /// A renewal that hangs is cut at the renew deadline on the elector's clock, not by the HTTP
    /// client's timeout (set here to 1,000 s, so nothing else could end it): the fence closes at the
    /// deadline exactly, and the Lease is given up.
    @Test func aHungRenewalIsCutAtTheRenewDeadline() async throws {
        let f = try OperatorFixture()
        let clock = ManualClock()
        var transport = TransportConfiguration(server: f.emulator.url)
        transport.requestTimeout = 1000
        let elector = LeaderElector(client: KubeClient(transport: HTTPTransport(transport)), namespace: "default", name: "lease",
                                    identity: "solo", clock: clock)
        await elector.acquire()
        #expect(elector.writesBlocked() == nil)
        f.emulator.inject(Fault(pathPrefix: "/apis/coordination.k8s.io", count: 1000, hang: true))
        let lost = Locked(false)
        let renewing = Task {
            await elector.renewUntilLost()
            lost.withLock { $0 = true }
        }
        // 9.9 s without a renewal (the one sent at 2 s hangs): still within the deadline.
        for _ in 0..<99 {
            clock.advance(by: .milliseconds(100))
            try await Task.sleep(nanoseconds: 1_000_000)  // lets the elector take its turn
        }
        #expect(elector.writesBlocked() == nil && elector.isLeader)
        clock.advance(by: .milliseconds(100))
        #expect(elector.writesBlocked()?.contains("past the renew deadline") == true, "\(elector.writesBlocked() ?? "open")")
        // The hung attempt's time limit ends it (its timer may be set a step late on a busy machine).
        for _ in 0..<50 where !lost.withLock({ $0 }) {
            _ = await eventually(timeout: 0.2) { lost.withLock { $0 } }
            clock.advance(by: .milliseconds(100))
        }
        await renewing.value
        #expect(!elector.isLeader)
    }

    /// The fence counts from when the renewing request was sent, not from when its answer came:
    /// a slow renewal does not stretch the leader's time.
    @Test func theFenceCountsFromTheRenewalsRequestNotItsAnswer() async throws {
        let f = try OperatorFixture()
        let clock = ManualClock()
        let elector = LeaderElector(client: f.client, namespace: "default", name: "lease", identity: "solo", clock: clock)
        await elector.acquire()
        clock.advance(by: .seconds(9))
        #expect(elector.writesBlocked() == nil)
        clock.advance(by: .seconds(1))
        #expect(elector.writesBlocked() != nil, "10 s after the acquiring request, with no renewal since")
    }

    /// Release empties the holder at once (a standby takes over without waiting the Lease out), and
    /// the fence closes before the release is even sent.
    @Test func releaseClosesTheFenceAndEmptiesTheHolder() async throws {
        let f = try OperatorFixture()
        let elector = LeaderElector(client: f.client, namespace: "default", name: "lease", identity: "solo")
        await elector.acquire()
        #expect(elector.writesBlocked() == nil)
        await elector.release()
        #expect(elector.writesBlocked() != nil)
        let lease = try await f.client.get(.leases, namespace: "default", name: "lease")
        #expect(LeaseView(lease).holderIdentity == "")
        // The renewal's fast path: the release went out without reading the Lease first.
        #expect(f.emulator.requests.filter { $0.path.hasPrefix("/apis/coordination.k8s.io") }.map(\.verb).prefix(3) == ["get", "create", "update"])
    }
}
