import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Locking
import TestSupport
import Testing
import YAML
@testable import Operator
import MetricsSources
import TestDoubles


/// An emulator with the fake kubelet and the CRD, a controller over it on a manual clock, and
/// scripted metrics. The controller's time moves only when the test moves it (``advance(by:)``,
/// or ``eventually(timeout:step:upTo:_:)`` while it waits); the emulator's fake kubelet runs in
/// real time.
final class ControllerFixture: @unchecked Sendable {
    let fixture: OperatorFixture
    let metrics = ScriptedMetricsSource([.p90: 0.1, .gpuUtil: 0.5])
    let clock = ManualClock()
    /// The controller's log records (at debug: a line per reconcile).
    let log = RecordingLogSink()
    let controller: PoolController
    var client: KubeClient { fixture.client }
    static let operatorUserAgent = "eip-operator/test"
    /// The requests the controller made (not the test's own).
    var operatorRequests: [RecordedRequest] { emulator.requests.filter { $0.userAgent == Self.operatorUserAgent } }
    var emulator: KubeEmulator { fixture.emulator }
    private var workers: Task<Void, Never>?

    /// `source`: where metrics come from (default: the scripted `metrics`); `expiredWatchAnswer`: the
    /// emulator's form of a 410 on a watch from a too-old resourceVersion.
    /// `installKEDA`: KEDA's ScaledObject CRD is served from the start (by default it is not, as on
    /// most clusters). `poolSelector`: the controller's `--pool-selector` (nil: every pool).
    init(source: (any MetricsSource)? = nil, expiredWatchAnswer: KubeEmulator.ExpiredWatchAnswer = .errorEvent, installKEDA: Bool = false,
         poolSelector: String? = nil) async throws {
        fixture = try OperatorFixture(podStartDelay: 0.1, expiredWatchAnswer: expiredWatchAnswer)
        let crd = try YAMLReader.jsonValues(in: String(contentsOfFile: repositoryRoot + "/CRDs/aiops.example.com_elasticinferencepools.yaml", encoding: .utf8))[0]
        _ = try await fixture.client.create(.customResourceDefinitions, namespace: nil, crd)
        if installKEDA { _ = try await fixture.client.create(.customResourceDefinitions, namespace: nil, Self.scaledObjectCRD) }
        // The controller has a client of its own, so its requests can be told from the test's.
        controller = PoolController(client: Self.client(of: fixture.emulator, userAgent: Self.operatorUserAgent), namespace: "default",
                                    metrics: source ?? metrics, events: EventRecorder.Source(instance: "test"), clock: clock,
                                    log: Logger(level: .debug, sink: log, clock: clock), poolSelector: poolSelector)
        workers = await Self.run(controller)
    }

    /// A client of `emulator` of its own, whose requests carry `userAgent`.
    static func client(of emulator: KubeEmulator, userAgent: String) -> KubeClient {
        var transport = TransportConfiguration(server: emulator.url)
        transport.userAgent = userAgent
        return KubeClient(transport: HTTPTransport(transport))
    }

    /// Starts `controller`, waits for its caches, and runs its workers until the task is cancelled.
    static func run(_ controller: PoolController) async -> Task<Void, Never> {
        controller.start()
        await controller.waitForSync()
        return Task { await controller.runWorkers() }
    }

    deinit {
        controller.shutDown()
        workers?.cancel()
    }

    /// KEDA's `scaledobjects.keda.sh`, reduced to what the operator reads (`spec.scaleTargetRef`).
    static let scaledObjectCRD: JSONValue = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "scaledobjects.keda.sh"],
        "spec": ["group": "keda.sh", "scope": "Namespaced",
                 "names": ["kind": "ScaledObject", "listKind": "ScaledObjectList", "plural": "scaledobjects", "singular": "scaledobject", "shortNames": ["so"]],
                 "versions": [["name": "v1alpha1", "served": true, "storage": true, "subresources": ["status": [:]],
                               "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]]]]],
    ]

    func createDeployment(_ name: String, replicas: Int) async throws {
        _ = try await client.create(.deployments, namespace: "default", [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
            "spec": ["replicas": .integer(replicas), "selector": ["matchLabels": ["app": .string(name)]],
                     "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "server", "image": "triton:24.01"]]]]],
        ])
    }

    func createPool(_ name: String, target: String, up: String = "P90>200ms", down: String = "P90<50ms", min: Int = 2, max: Int = 12,
                    initContainers: JSONValue = .array([]), behavior: JSONValue = ["pollInterval": "1s", "scaleUp": ["periodSeconds": 1]],
                    labels: JSONValue = .object([:])) async throws {
        _ = try await client.create(.elasticInferencePools, namespace: "default", [
            "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": .string(name), "labels": labels],
            "spec": ["modelRef": .string(target), "minReplicas": .integer(min), "maxReplicas": .integer(max),
                     "scaleUpThreshold": .string(up), "scaleDownThreshold": .string(down),
                     "warmupStrategy": ["initContainers": initContainers],
                     "behavior": behavior],
        ])
    }

    func replicas(_ name: String) async -> Int? {
        try? await client.get(.deployments, namespace: "default", name: name)["spec"]?["replicas"]?.intValue
    }

    func pool(_ name: String) async -> JSONValue? { try? await client.get(.elasticInferencePools, namespace: "default", name: name) }

    func condition(_ name: String, _ type: String) async -> JSONValue? {
        await pool(name)?["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    /// The Events in the namespace, once the controller's recorder has written what it queued.
    func events() async -> [JSONValue] {
        await controller.events?.flush(timeout: 1)
        return (try? await client.list(.events, namespace: "default").items) ?? []
    }

    func eventReasons() async -> [String] {
        await events().compactMap { $0["reason"]?.stringValue }
    }

    /// Ready replicas of a Deployment as the controller's own cache has it (the API server may be ahead).
    func cachedReadyReplicas(_ name: String) -> Int? {
        controller.deployments.get(namespace: "default", name: name)?["status"]?["readyReplicas"]?.intValue
    }

    /// Reconciles finished so far (the controller's `reconciled` and `Reconciler error` lines).
    var reconciles: Int { log.records.filter { $0.message == "reconciled" || $0.message == "Reconciler error" }.count }

    /// Waits (real time, bounded) until `controller` has nothing queued and nothing in flight.
    func settle(_ controller: PoolController? = nil, timeout: Double = 10) async {
        let queue = (controller ?? self.controller).queue
        _ = await eventuallyAsync(timeout: timeout) { queue.depth == 0 && queue.inFlight == 0 }
    }

    /// Moves the controller's clock on by `duration` in steps of `step`, letting the reconciles
    /// each step brings due (poll requeues, retries) finish before the next.
    func advance(by duration: Duration, step: Duration = .milliseconds(250), of controller: PoolController? = nil) async {
        var left = duration
        while left > .zero {
            let next = min(step, left)
            await settle(controller)
            clock.advance(by: next)
            left -= next
        }
        await settle(controller)
    }

    /// Waits until `condition` holds, for `timeout` seconds of real time. Between looks, when the
    /// controller is idle, its clock moves on by `step` (at most `upTo` in all), so that the pools'
    /// polls and the queue's retries come due as they would while time passes.
    func eventually(timeout: Double = 30, step: Duration = .milliseconds(100), upTo: Duration = .seconds(10),
                    of controller: PoolController? = nil, _ condition: () async -> Bool) async -> Bool {
        let queue = (controller ?? self.controller).queue
        var moved = Duration.zero
        return await eventuallyAsync(timeout: timeout) {
            if await condition() { return true }
            if moved < upTo, queue.depth == 0, queue.inFlight == 0 {
                clock.advance(by: step)
                moved += step
            }
            return false
        }
    }
}

@Suite("Pool controller against the emulator", .serialized)
struct ControllerTests {
    @Test func aNewPoolBringsItsDeploymentToMinAndInjectsWarmup() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 1)
        try await f.createPool("pool", target: "model", initContainers: [["name": "model-preload", "image": "loader:2"]])
        #expect(await f.eventually { await f.replicas("model") == 2 })
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
        let deployment = try await f.client.get(.deployments, namespace: "default", name: "model")
        #expect(deployment["spec"]?["template"]?["spec"]?["initContainers"]?.arrayValue?.first?["name"] == "model-preload")
        #expect(deployment["metadata"]?["annotations"]?["aiops.example.com/owned-init-containers"] == "model-preload")
        #expect(await f.eventually {
            let reasons = await f.eventReasons()
            return reasons.contains("ScaledUp") && reasons.contains("WarmupPatched")
        })
        #expect(await f.pool("pool")?["status"]?["observedGeneration"] == 1)
    }

    /// One structured log line per reconcile: at info with what it wrote, at debug when it wrote nothing.
    @Test func eachReconcileLogsItsPoolItsIDAndWhatItWrote() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 1)
        try await f.createPool("pool", target: "model", initContainers: [["name": "model-preload", "image": "loader:2"]])
        #expect(await f.eventually { f.log.records("reconciled").contains { $0.field("writes")?.contains("scale") == true } })
        let first = try #require(f.log.records("reconciled").first { $0.field("writes")?.contains("scale") == true })
        #expect(first.level == .info)
        #expect(first.logger == "eip-operator.controller.elasticinferencepool")
        #expect(first.field("controller") == "elasticinferencepool" && first.field("controllerKind") == "ElasticInferencePool")
        #expect(first.field("controllerGroup") == "aiops.example.com")
        #expect(first.value("ElasticInferencePool") == ["name": "pool", "namespace": "default"])
        #expect(first.field("namespace") == "default" && first.field("name") == "pool")
        #expect(first.field("reconcileID").flatMap(UUID.init(uuidString:)) != nil, "a UUID: \(first.field("reconcileID") ?? "")")
        #expect(first.value("duration")?.doubleValue != nil, "seconds, as a number")
        #expect(first.field("writes") == "warmup template,scale,status", "in the order sent")
        // Once the pool has settled, a poll that writes nothing says so at debug.
        #expect(await f.eventually {
            guard let last = f.log.records("reconciled").last else { return false }
            return last.field("writes") == nil && last.level == .debug
        })
    }

    @Test func aBreachScalesUpByTheStepWithStatusAndEvent() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { await f.condition("pool", "ScalingActive")?["reason"] == "WithinThresholds" })
        #expect(await f.eventually { (try? await f.client.get(.deployments, namespace: "default", name: "model"))?["status"]?["readyReplicas"] == 2 })
        // Steps are taken from ready replicas: the controller must have seen them ready too.
        #expect(await f.eventually { f.cachedReadyReplicas("model") == 2 })
        f.metrics.set([.p90: 0.5, .gpuUtil: 0.5])
        #expect(await f.eventually { await f.replicas("model") == 6 }, "2 ready + max(4, 100%)")
        // The same reconcile writes status after the scale: wait for it.
        #expect(await f.eventually { await f.pool("pool")?["status"]?["lastScaleUpTime"] != nil })
        let status = await f.pool("pool")?["status"]
        #expect(status?["lastScaleUpTime"] != nil)
        #expect(status?["observed"]?["p90"] == "500ms")
        // The step is in the Event; later decisions (still breaching, within the step period) may have followed.
        let events = await f.events()
        #expect(events.contains { $0["reason"] == "ScaledUp" && ($0["message"]?.stringValue?.hasPrefix("2 -> 6: scaleUpThreshold is true (P90=500ms > 200ms: true)") ?? false) },
                "\(events.map { $0["message"]?.stringValue ?? "" })")
    }

    @Test func theSameStateReconciledAgainWritesNothing() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("pool", target: "model", initContainers: [["name": "model-preload", "image": "loader:2"]])
        #expect(await f.eventually { await f.condition("pool", "WarmupReady")?["status"] == "True" })
        #expect(await f.eventually { (try? await f.client.get(.deployments, namespace: "default", name: "model"))?["status"]?["readyReplicas"] == 2 })
        await f.advance(by: .milliseconds(1500))
        f.emulator.clearRequests()
        let before = f.reconciles
        await f.advance(by: .milliseconds(3500))  // three poll intervals and more
        let writes = f.emulator.requests.filter { ["patch", "update", "create"].contains($0.verb) && !$0.path.contains("/events") }
        #expect(writes.isEmpty, "\(writes.map { "\($0.verb) \($0.path)" })")
        #expect(f.reconciles - before >= 3, "it kept reconciling")
    }

    @Test func anInvalidExpressionGetsAConditionAndAnEventAndLeavesTheDeploymentAlone() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 1)
        f.emulator.clearRequests()
        try await f.createPool("bad", target: "model", up: "P90>")
        #expect(await f.eventually { await f.condition("bad", "Ready")?["reason"] == "InvalidThreshold" })
        let ready = await f.condition("bad", "Ready")
        #expect(ready?["status"] == "False")
        #expect(ready?["message"]?.stringValue?.contains("spec.scaleUpThreshold: column 5: expected a quantity after '>'") == true)
        #expect(await f.eventually { await f.eventReasons().contains("InvalidThreshold") })
        #expect(!f.emulator.requests.contains { $0.path.contains("/deployments/model") && $0.verb != "get" && $0.verb != "list" && $0.verb != "watch" })
        #expect(await f.replicas("model") == 1)
    }

    @Test func aMissingTargetThenCreated() async throws {
        let f = try await ControllerFixture()
        try await f.createPool("pool", target: "later")
        #expect(await f.eventually { await f.condition("pool", "Ready")?["reason"] == "TargetNotFound" })
        try await f.createDeployment("later", replicas: 1)
        #expect(await f.eventually { await f.replicas("later") == 2 })
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
    }

    @Test func anHPAOnTheTargetStopsAllWrites() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 1)
        _ = try await f.client.create(.horizontalPodAutoscalers, namespace: "default", [
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "cpu"],
            "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "model"], "maxReplicas": 3],
        ])
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { await f.condition("pool", "ScalingActive")?["reason"] == "OtherAutoscaler" })
        #expect(await f.replicas("model") == 1, "not even brought to minReplicas")
        #expect(await f.eventually { await f.eventReasons().contains("OtherAutoscaler") })
    }

    @Test func failingMetricsHoldReplicas() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 4)
        // No scale-down window and a 1 s period: were missing data read as calm, a step would follow at the next poll.
        try await f.createPool("pool", target: "model", down: "P90<50ms",
                               behavior: ["pollInterval": "1s", "scaleDown": ["stabilizationWindowSeconds": 0, "periodSeconds": 1]])
        f.metrics.fail("connection refused")
        #expect(await f.eventually { await f.condition("pool", "MetricsAvailable")?["status"] == "False" })
        await f.advance(by: .seconds(5))  // five polls
        #expect(await f.replicas("model") == 4, "hold, never scale down on missing data")
        #expect(await f.condition("pool", "ScalingActive")?["reason"] == "MetricsUnknown")
        #expect(await f.eventReasons().contains("MetricsUnavailable"))
        // The same pool with calm values does step down at the next poll: the hold above was the missing data's.
        f.metrics.fail(nil)
        f.metrics.set([.p90: 0.01])
        await f.advance(by: .seconds(1))
        #expect(await f.eventually { await f.replicas("model") == 3 })
    }
}

@Suite("Pool controller under faults", .serialized)
struct ControllerFaultTests {
    @Test func convergesThrough500s429sDroppedWatchesAnd410sWithoutDuplicateWrites() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 1)
        // The first scale write fails with a 500, the first status write with a 429.
        f.emulator.inject(Fault(verb: "patch", pathPrefix: "/apis/apps/v1/namespaces/default/deployments/model/scale", status: 500))
        f.emulator.inject(Fault(verb: "patch", pathPrefix: "/apis/aiops.example.com/v1alpha2/namespaces/default/elasticinferencepools/pool/status",
                                status: 429, retryAfterSeconds: 1))
        try await f.createPool("pool", target: "model")
        f.emulator.dropConnections()
        f.emulator.compactHistory()
        // The reflectors relist after each failure with client-go's backoff (0.8 s, 1.6 s, 3.2 s, … with
        // jitter), and reconciles wait for every cache to be current: up to a minute of the manual clock.
        #expect(await f.eventually(upTo: .seconds(60)) { await f.replicas("model") == 2 })
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
        let scaleWrites = f.emulator.requests.filter { $0.verb == "patch" && $0.path.hasSuffix("/deployments/model/scale") }
        #expect(scaleWrites.map(\.status) == [500, 200], "retried once, written once: \(scaleWrites.map(\.status))")
        #expect(f.controller.telemetry.reconciles[.error, default: 0] >= 1)
        // And it stays converged: no further scale writes.
        await f.advance(by: .milliseconds(2500))
        #expect(f.emulator.requests.filter { $0.verb == "patch" && $0.path.hasSuffix("/deployments/model/scale") }.count == 2)
    }

    /// A scale write answered 429 with `Retry-After: 3` is tried again no sooner than 3 s later on
    /// the controller's clock (the reconcile requeued no sooner, no write let out before), then once.
    @Test func aThrottledWriteWaitsOutItsRetryAfter() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 1)
        let scalePath = "/apis/apps/v1/namespaces/default/deployments/model/scale"
        f.emulator.inject(Fault(verb: "patch", pathPrefix: scalePath, status: 429, retryAfterSeconds: 3))
        try await f.createPool("pool", target: "model")
        func scales() -> [Int] { f.operatorRequests.filter { $0.verb == "patch" && $0.path == scalePath }.map(\.status) }
        #expect(await eventually { scales() == [429] })
        let throttled = f.clock.monotonicNow()
        var retried: Duration?
        for _ in 0..<100 where retried == nil {
            await f.settle()
            if scales().count > 1 { retried = f.clock.monotonicNow() - throttled } else { f.clock.advance(by: .milliseconds(100)) }
        }
        let waited = try #require(retried, "retried")
        #expect(waited >= .seconds(3), "\(waited)")
        #expect(waited <= .seconds(4), "and not much later: \(waited)")
        #expect(scales() == [429, 200])
        #expect(await f.replicas("model") == 2)
    }

    /// The API server restarts while a pool changes: every informer's watch ends, resuming is 410
    /// Gone (in the form the server uses), and the controller relists and converges on the new spec.
    @Test(arguments: [KubeEmulator.ExpiredWatchAnswer.errorEvent, .httpStatus])
    func convergesAcrossAnAPIServerRestart(answer: KubeEmulator.ExpiredWatchAnswer) async throws {
        let f = try await ControllerFixture(expiredWatchAnswer: answer)
        try await f.createDeployment("model", replicas: 1)
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
        #expect(await f.replicas("model") == 2)
        // Quiet first: the pool's last status write (its ready replicas) is in, so the pools informer's
        // resourceVersion is older than the configmap's below and its resume must be 410.
        #expect(await f.eventually { await f.pool("pool")?["status"]?["readyReplicas"] == 2 })
        let listsBefore = f.operatorRequests.filter { $0.verb == "list" && $0.path.hasSuffix("/elasticinferencepools") }.count
        // A change no informer of the operator watches, then the restart.
        _ = try await f.client.create(.configMaps, namespace: "kube-system", configMap("elsewhere", namespace: "kube-system"))
        f.emulator.restartWatchCache()
        _ = try await f.client.patch(.elasticInferencePools, namespace: "default", name: "pool", .merge(["spec": ["minReplicas": 3]]))
        #expect(await f.eventually { await f.replicas("model") == 3 })
        if answer == .httpStatus {
            #expect(f.operatorRequests.contains { $0.verb == "watch" && $0.path.hasSuffix("/elasticinferencepools") && $0.status == 410 })
        }
        #expect(f.operatorRequests.filter { $0.verb == "list" && $0.path.hasSuffix("/elasticinferencepools") }.count > listsBefore, "relisted")
    }

    @Test func aDeletedPoolIsLetGo() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 2)
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
        _ = try await f.client.delete(.elasticInferencePools, namespace: "default", name: "pool")
        #expect(await f.eventually { f.controller.pools.get(namespace: "default", name: "pool") == nil })
        let errors = f.controller.telemetry.reconciles[.error, default: 0]
        f.emulator.clearRequests()
        await f.advance(by: .milliseconds(2500))
        #expect(f.emulator.requests.filter { $0.verb == "patch" }.isEmpty, "no writes for a pool that is gone")
        #expect(f.controller.telemetry.reconciles[.error, default: 0] == errors)
    }
}

@Suite("Pool controller restarts", .serialized)
struct ControllerRestartTests {
    @Test func aRestartInsideTheScaleDownWindowKeepsTheWindow() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 4)
        _ = try await f.client.create(.elasticInferencePools, namespace: "default", [
            "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool", "metadata": ["name": "pool"],
            "spec": ["modelRef": "model", "minReplicas": 2, "maxReplicas": 12, "scaleUpThreshold": "P90>200ms", "scaleDownThreshold": "P90<50ms",
                     "behavior": ["pollInterval": "1s", "scaleDown": ["stabilizationWindowSeconds": 4, "periodSeconds": 60]]],
        ])
        f.metrics.set([.p90: 0.01])  // calm: the scale-down window opens
        #expect(await f.eventually { await f.pool("pool")?["status"]?["scaleDownCandidateSince"] != nil })
        let since = await f.pool("pool")?["status"]?["scaleDownCandidateSince"]
        await f.advance(by: .seconds(2))
        // The operator goes away mid-window and a new one (new caches, new memory) takes over.
        f.controller.shutDown()
        let restarted = PoolController(client: f.client, namespace: "default", metrics: f.metrics, events: nil, clock: f.clock)
        restarted.start()
        await restarted.waitForSync()
        let workers = Task { await restarted.runWorkers() }
        defer { restarted.shutDown(); workers.cancel() }
        // Time, on the operator's clock, from the new operator's start to the scale-down.
        let resumed = f.clock.monotonicNow()
        #expect(await f.eventually(of: restarted) { await f.replicas("model") == 3 })
        let waited = (f.clock.monotonicNow() - resumed).inSeconds
        let status = await f.pool("pool")?["status"]?.compactText ?? ""
        #expect(waited < 3.5, "the window was not restarted: \(waited)s; \(status)")
        #expect(await f.pool("pool")?["status"]?["scaleDownCandidateSince"] == since, "the same window start, read back from status")
    }
}

@Suite("Which pool events reconcile")
struct PoolEventFilterTests {
    let pool: JSONValue = ["metadata": ["name": "p", "resourceVersion": "1", "generation": 1], "spec": ["minReplicas": 1], "status": ["desiredReplicas": 2]]

    func changed(_ edit: (inout JSONObject) -> Void) -> JSONValue {
        var o = pool.objectValue ?? [:]
        edit(&o)
        return .object(o)
    }

    @Test func ourOwnStatusWritesWaitForThePoll() {
        let statusOnly = changed { o in
            o["status"] = ["desiredReplicas": 6]
            o["metadata"] = ["name": "p", "resourceVersion": "2", "generation": 1]
        }
        #expect(!PoolController.needsReconcile(.updated(old: pool, new: statusOnly)))
    }

    @Test func specLabelsAndDeletionReconcileAtOnce() {
        let spec = changed { $0["spec"] = ["minReplicas": 3] }
        let labels = changed { $0["metadata"] = ["name": "p", "resourceVersion": "2", "generation": 1, "labels": ["a": "b"]] }
        let deleting = changed { $0["metadata"] = ["name": "p", "resourceVersion": "2", "generation": 1, "deletionTimestamp": "2026-11-27T00:00:00Z"] }
        for new in [spec, labels, deleting] { #expect(PoolController.needsReconcile(.updated(old: pool, new: new))) }
        #expect(PoolController.needsReconcile(.added(pool)))
        #expect(PoolController.needsReconcile(.deleted(pool)))
    }
}
