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

/// A second operator shard on a ``ControllerFixture``'s emulator and clock: its own client (its own
/// User-Agent, so its requests can be told apart), its own `--pool-selector`.
final class Shard: @unchecked Sendable {
    let controller: PoolController
    let userAgent: String
    private var workers: Task<Void, Never>?

    init(on f: ControllerFixture, poolSelector: String, userAgent: String) async {
        self.userAgent = userAgent
        controller = PoolController(client: ControllerFixture.client(of: f.emulator, userAgent: userAgent), namespace: "default",
                                    metrics: f.metrics, events: EventRecorder.Source(instance: userAgent), clock: f.clock, poolSelector: poolSelector)
        workers = await ControllerFixture.run(controller)
    }

    deinit {
        controller.shutDown()
        workers?.cancel()
    }
}

extension ControllerFixture {
    /// Writes (any verb but get, list, watch) of the client with `userAgent` to paths naming `object`
    /// (a pool or a Deployment, by name, with its subresources).
    func writes(by userAgent: String = ControllerFixture.operatorUserAgent, to object: String) -> Int {
        emulator.requests.filter { request in
            request.userAgent == userAgent && !["get", "list", "watch"].contains(request.verb)
                && (request.path.hasSuffix("/\(object)") || request.path.contains("/\(object)/"))
        }.count
    }
}

/// `--pool-selector`: one operator process per shard of the pools. The selector reaches the API
/// server; a shard reconciles and writes only its pools; its caches keep only what they need, and
/// pick up what a new pool needs; the claim check (reconciler and webhook) still sees every shard.
@Suite("Sharding by pool selector", .serialized)
struct ShardingTests {
    static let shardA: JSONValue = ["shard": "a"]
    static let shardB: JSONValue = ["shard": "b"]

    @Test func theSelectorReachesTheListAndWatchOfPools() async throws {
        let f = try await ControllerFixture(poolSelector: "shard in (a,c),!canary")
        try await f.createDeployment("model", replicas: 1)
        try await f.createPool("pool", target: "model", labels: Self.shardA)
        #expect(await f.eventually { await f.replicas("model") == 2 })
        let pools = f.operatorRequests.filter { $0.path.hasSuffix("/elasticinferencepools") && ($0.verb == "list" || $0.verb == "watch") }
        // The shard's pools, selected by the API server; every pool (trimmed) for the claim check.
        #expect(pools.contains { $0.verb == "list" && $0.query["labelSelector"] == "shard in (a,c),!canary" }, "\(pools.map(\.query))")
        #expect(pools.contains { $0.verb == "watch" && $0.query["labelSelector"] == "shard in (a,c),!canary" }, "\(pools.map(\.query))")
        #expect(pools.filter { $0.query["labelSelector"] == nil }.contains { $0.verb == "list" })
        #expect(Set(pools.compactMap { $0.query["labelSelector"] }) == ["shard in (a,c),!canary"])
        // The pre-pull DaemonSets keep their own label selector.
        let daemonSets = f.operatorRequests.filter { $0.path.hasSuffix("/daemonsets") && $0.verb == "list" }
        #expect(!daemonSets.isEmpty && daemonSets.allSatisfy { $0.query["labelSelector"] == "app.kubernetes.io/managed-by=eip-operator" })
        // Both pool caches in /metrics, each its own series.
        let series = OperatorMetrics.render(controller: f.controller, isLeader: true, leaseName: "l").split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(series.contains("eip_cache_synced{resource=\"elasticinferencepools\"} 1"))
        #expect(series.contains("eip_cache_synced{resource=\"elasticinferencepools-all\"} 1"))
        let names = series.map { $0.split(separator: " ").dropLast().joined(separator: " ") }
        #expect(Set(names).count == names.count, "no series twice")
    }

    @Test func aPoolOutsideTheSelectorIsNeverReconciledNorWrittenNorCached() async throws {
        let f = try await ControllerFixture(poolSelector: "shard=a")
        try await f.createDeployment("model-a", replicas: 1)
        try await f.createDeployment("model-b", replicas: 1)
        try await f.createPool("in-a", target: "model-a", initContainers: [["name": "preload", "image": "loader:1"]], labels: Self.shardA)
        try await f.createPool("in-b", target: "model-b", initContainers: [["name": "preload", "image": "loader:1"]], labels: Self.shardB)
        #expect(await f.eventually { await f.replicas("model-a") == 2 })
        #expect(await f.eventually { await f.condition("in-a", "Ready")?["status"] == "True" })
        await f.advance(by: .seconds(5))
        #expect(f.writes(to: "in-a") > 0 && f.writes(to: "model-a") > 0)
        #expect(f.writes(to: "in-b") == 0, "no status, no finalizer")
        #expect(f.writes(to: "model-b") == 0, "no scale, no warmup")
        #expect(await f.replicas("model-b") == 1)
        #expect(await f.pool("in-b")?["status"] == nil)
        #expect(!f.log.records("reconciled").contains { $0.field("pool") == "in-b" })
        // Its caches hold what in-a needs, not what only in-b would.
        #expect(f.controller.pools.get(namespace: "default", name: "in-b") == nil)
        #expect(f.controller.deployments.get(namespace: "default", name: "model-a") != nil)
        #expect(f.controller.deployments.get(namespace: "default", name: "model-b") == nil)
        #expect(await f.eventually { f.controller.pods.list(namespace: "default").count == 2 })
        #expect(f.controller.pods.list(namespace: "default").allSatisfy { $0["metadata"]?["labels"]?["app"] == "model-a" })
        // Every pool is still known, trimmed, for the claim check.
        let trimmed = try #require(f.controller.allPools?.get(namespace: "default", name: "in-b"))
        #expect(trimmed["spec"] == ["modelRef": "model-b"])
    }

    @Test func twoShardsWithComplementarySelectorsEachScaleOnlyTheirPools() async throws {
        let f = try await ControllerFixture(poolSelector: "shard=a")
        let b = await Shard(on: f, poolSelector: "shard!=a", userAgent: "eip-operator/test-b")
        for name in ["one", "two"] {
            try await f.createDeployment("\(name)-a", replicas: 1)
            try await f.createDeployment("\(name)-b", replicas: 1)
            try await f.createPool("\(name)-a", target: "\(name)-a", min: 3, max: 3, labels: Self.shardA)
            try await f.createPool("\(name)-b", target: "\(name)-b", min: 4, max: 4, labels: name == "one" ? Self.shardB : .object([:]))
        }
        for name in ["one", "two"] {
            #expect(await f.eventually { await f.replicas("\(name)-a") == 3 })
            #expect(await f.eventually(of: b.controller) { await f.replicas("\(name)-b") == 4 })
        }
        await f.advance(by: .seconds(5))
        await f.advance(by: .seconds(5), of: b.controller)
        for name in ["one", "two"] {
            #expect(f.writes(by: b.userAgent, to: "\(name)-a") == 0, "shard b never writes shard a's pool or Deployment")
            #expect(f.writes(to: "\(name)-b") == 0, "shard a never writes shard b's pool or Deployment")
            #expect(f.writes(to: "\(name)-a") > 0 && f.writes(by: b.userAgent, to: "\(name)-b") > 0)
        }
        #expect(Set(f.controller.pools.list().map { ObjectKey(of: $0).name }) == ["one-a", "two-a"])
        #expect(Set(b.controller.pools.list().map { ObjectKey(of: $0).name }) == ["one-b", "two-b"])
        #expect(Set(b.controller.deployments.list().map { ObjectKey(of: $0).name }) == ["one-b", "two-b"])

        // A pool relabelled into the other shard moves: shard a takes it (and its Deployment) in, shard b lets it go.
        _ = try await f.client.patch(.elasticInferencePools, namespace: "default", name: "one-b", .merge(["metadata": ["labels": ["shard": "a"]]]))
        #expect(await eventually { b.controller.pools.get(namespace: "default", name: "one-b") == nil })
        #expect(await eventually { f.controller.deployments.get(namespace: "default", name: "one-b") != nil })
        let writesOfB = f.writes(by: b.userAgent, to: "one-b")
        _ = try await f.client.patch(.elasticInferencePools, namespace: "default", name: "one-b", .merge(["spec": ["minReplicas": 5, "maxReplicas": 5]]))
        #expect(await f.eventually { await f.replicas("one-b") == 5 })
        await f.advance(by: .seconds(3), of: b.controller)
        #expect(f.writes(by: b.userAgent, to: "one-b") == writesOfB, "shard b no longer writes it")
    }

    /// A Deployment created before any pool of the shard needed it was turned away by the cache; the
    /// pool that then targets it must find it (a relist), never report it missing.
    @Test func aDeploymentFilteredOutIsListedAgainWhenAPoolNeedsIt() async throws {
        let f = try await ControllerFixture(poolSelector: "shard=a")
        try await f.createDeployment("late", replicas: 1)
        // Settled (its pod ready, its status written): no change of it will reach the watch again.
        #expect(await f.eventually { (try? await f.client.get(.deployments, namespace: "default", name: "late"))?["status"]?["readyReplicas"] == 1 })
        // A later change that the cache keeps (a pool's target) shows that the watch has passed the Deployment's events.
        try await f.createDeployment("marker", replicas: 1)
        try await f.createPool("marker", target: "marker", labels: Self.shardA)
        #expect(await f.eventually { f.controller.deployments.get(namespace: "default", name: "marker") != nil })
        #expect(await f.eventually { f.controller.deployments.get(namespace: "default", name: "late") == nil && !f.controller.deployments.isRelisting })
        let listsBefore = f.operatorRequests.filter { $0.verb == "list" && $0.path.hasSuffix("/deployments") }.count

        try await f.createPool("pool", target: "late", labels: Self.shardA)
        #expect(await f.eventually { await f.replicas("late") == 2 })
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
        #expect(f.controller.deployments.get(namespace: "default", name: "late") != nil)
        #expect(f.operatorRequests.filter { $0.verb == "list" && $0.path.hasSuffix("/deployments") }.count > listsBefore, "relisted")
        // Never reported missing (each report of it records a TargetNotFound Event).
        #expect(!(await f.eventReasons()).contains("TargetNotFound"))
        // Its pods were picked up too (their selector became known with the Deployment).
        #expect(await f.eventually { f.controller.pods.list(namespace: "default").filter { $0["metadata"]?["labels"]?["app"] == "late" }.count == 2 })
    }

    /// A pool of shard b on a Deployment a pool of shard a holds: the webhook of either shard refuses
    /// it; created anyway (no webhook), shard b writes nothing to the Deployment, and takes it over
    /// when shard a's pool goes.
    @Test func theClaimCheckSeesThePoolsOfOtherShards() async throws {
        let f = try await ControllerFixture(poolSelector: "shard=a")
        let b = await Shard(on: f, poolSelector: "shard=b", userAgent: "eip-operator/test-b")
        try await f.createDeployment("model", replicas: 1)
        try await f.createPool("holder", target: "model", min: 3, max: 3, labels: Self.shardA)
        #expect(await f.eventually { await f.replicas("model") == 3 })
        #expect(await eventually { b.controller.claimCache.get(namespace: "default", name: "holder") != nil })

        // The webhook, as shard b's process builds it.
        let webhook = PoolAdmissionWebhook(pools: PoolAdmissionWebhook.poolLister(cache: b.controller.claimCache, reader: f.client))
        let second: JSONValue = ["apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool",
                                 "metadata": ["name": "second", "namespace": "default", "labels": Self.shardB],
                                 "spec": ["modelRef": "model", "minReplicas": 5, "maxReplicas": 5,
                                          "scaleUpThreshold": "P90>200ms", "scaleDownThreshold": "P90<50ms"]]
        let review: JSONValue = ["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                 "request": ["uid": "1", "operation": "CREATE", "namespace": "default", "name": "second", "object": second]]
        let verdict = webhook.review(try AdmissionRequest(body: Array(review.compactText.utf8)))
        #expect(!verdict.allowed)
        #expect(verdict.status?.message.contains("is already managed by the ElasticInferencePool 'holder'") == true, "\(verdict.status?.message ?? "")")
        #expect(b.controller.pools.get(namespace: "default", name: "holder") == nil, "not from shard b's own pool cache")

        // Created anyway: shard b reconciles it, sees the holder, and leaves the Deployment alone.
        _ = try await f.client.create(.elasticInferencePools, namespace: "default", second)
        #expect(await f.eventually(of: b.controller) { await f.condition("second", "Ready")?["reason"] == "TargetClaimed" })
        await f.advance(by: .seconds(3), of: b.controller)
        #expect(f.writes(by: b.userAgent, to: "model") == 0)
        #expect(await f.replicas("model") == 3)

        // The holder goes (shard a lets it go): shard b hears of it through every pool's cache, and takes over.
        _ = try await f.client.delete(.elasticInferencePools, namespace: "default", name: "holder")
        #expect(await f.eventually(of: b.controller) { await f.replicas("model") == 5 })
        // Its status follows the scale it wrote (the same reconcile, a moment later).
        #expect(await f.eventually(of: b.controller) { await f.condition("second", "Ready")?["status"] == "True" })
    }

    @Test func anInformerTurnsAwayWhatItDoesNotNeedAndRelistsWhenItDoes() async throws {
        let f = try OperatorFixture()
        let wanted = Locked<Set<String>>(["a"])
        let informer = Informer(client: f.client, resource: .configMaps, namespace: "default",
                                admits: { object in wanted.withLock { $0.contains(ObjectKey(of: object).name) } })
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("a"))
        _ = try await f.client.create(.configMaps, namespace: "default", configMap("b"))
        informer.start()
        #expect(await eventually { informer.hasSynced })
        #expect(informer.list().map { ObjectKey(of: $0).name } == ["a"])
        #expect(informer.isCurrent)
        // Needed now: not current until a list has brought it in (b never changes, so no watch event
        // would). Asked of a stopped informer, the relist never comes: the cache says so, and stays so.
        wanted.withLock { _ = $0.insert("b") }
        informer.stop()
        informer.relist()
        #expect(informer.isRelisting && !informer.isCurrent)
        #expect(PoolController.staleness(of: [informer]) == "the configmaps cache is relisting for newly selected pools")
        #expect(informer.get(namespace: "default", name: "b") == nil)
        // A running one lists again.
        let running = Informer(client: f.client, resource: .configMaps, namespace: "default",
                               admits: { object in wanted.withLock { $0.contains(ObjectKey(of: object).name) } })
        wanted.withLock { $0 = ["a"] }
        running.start()
        defer { running.stop() }
        #expect(await eventually { running.hasSynced })
        #expect(running.list().map { ObjectKey(of: $0).name } == ["a"])
        wanted.withLock { _ = $0.insert("b") }
        running.relist()
        #expect(await eventually { running.get(namespace: "default", name: "b") != nil && running.isCurrent })
        // No longer needed: dropped at its next change.
        wanted.withLock { _ = $0.remove("a") }
        _ = try await f.client.replace(.configMaps, namespace: "default", name: "a", configMap("a", data: ["k": "v"]))
        #expect(await eventually { running.get(namespace: "default", name: "a") == nil })
    }

    /// The flag, end to end: the process passes it to the API server, says it at start, and scales its pool only.
    @Test func theProcessReconcilesOnlyThePoolsOfItsSelector() async throws {
        let f = try await ProcessFixture()
        let op = try OperatorUnderTest(kubeconfig: f.kubeconfig, extra: ["--pool-selector", "shard=a", "--leader-election-id", "eip-operator-shard-a"])
        for (name, shard) in [("in-a", "a"), ("in-b", "b")] {
            _ = try await f.client.create(.deployments, namespace: "default", [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
                "spec": ["replicas": 1, "template": ["spec": ["containers": [["name": "server", "image": "triton:24.01"]]]]],
            ])
            _ = try await f.client.create(.elasticInferencePools, namespace: "default", [
                "apiVersion": "aiops.example.com/v1alpha2", "kind": "ElasticInferencePool",
                "metadata": ["name": .string(name), "labels": ["shard": .string(shard)]],
                "spec": ["modelRef": .string(name), "minReplicas": 2, "maxReplicas": 8, "scaleUpThreshold": "P90>200ms", "scaleDownThreshold": "P90<50ms"],
            ])
        }
        #expect(await eventuallyAsync { (try? await f.client.get(.deployments, namespace: "default", name: "in-a"))?["spec"]?["replicas"] == 2 })
        #expect(op.logs.first { $0["msg"] == "starting" }?["poolSelector"] == "shard=a")
        #expect(f.fixture.emulator.requests.contains { $0.verb == "watch" && $0.path.hasSuffix("/elasticinferencepools") && $0.query["labelSelector"] == "shard=a" })
        #expect(await eventually { op.get("metrics", "/metrics").body.contains("eip_pool_desired_replicas{namespace=\"default\",pool=\"in-a\"} 2") })
        #expect(!op.get("metrics", "/metrics").body.contains("pool=\"in-b\""))
        #expect((try await f.client.get(.deployments, namespace: "default", name: "in-b"))["spec"]?["replicas"] == 1)
        op.process.terminate()
        _ = await op.waitForExit(timeout: 10)
    }

    @Test func aBadSelectorIsAUsageError() {
        let cases: [(String, String)] = [
            ("tier in (gold", "is not a label selector"),
            ("Shard!!=a", "is not a label selector"),
            ("shard=a b", "is not a label selector"),
            ("-shard=a", "invalid label key \"-shard\""),
            ("shard=a/b", "invalid label value \"a/b\""),
            ("tier in ()", "for 'in' on \"tier\", at least one value is required"),
        ]
        for (selector, message) in cases {
            let result = run(OperatorUnderTest.binary, ["--pool-selector", selector])
            #expect(result.status == 2, "\(selector)")
            #expect(result.stderr.contains("--pool-selector: ") && result.stderr.contains(message), "\(selector): \(result.stderr)")
        }
        let fromEnvironment = run("/usr/bin/env", ["EIP_POOL_SELECTOR=tier in (gold", OperatorUnderTest.binary])
        #expect(fromEnvironment.status == 2 && fromEnvironment.stderr.contains("--pool-selector: "))
        #expect(run(OperatorUnderTest.binary, ["--help"]).stdout.contains("--pool-selector SELECTOR"))
        for valid in ["shard=a", "tier in (gold,silver)", "!canary", "example.com/shard==b,tier notin (x)", "shard="] {
            #expect(LabelSelector.problem(in: valid) == nil, "\(valid)")
        }
    }

    /// What a shard's caches keep, rule by rule, and which caches a change sends back to list.
    @Test func theScopeKeepsWhatTheSelectedPoolsNeed() {
        let scope = CacheScope()
        func pool(_ name: String, target: String, kind: String? = nil) -> JSONValue {
            var targetRef: JSONValue = ["name": .string(target)]
            if let kind { targetRef = ["name": .string(target), "kind": .string(kind), "apiVersion": "apps/v1"] }
            return ["metadata": ["name": .string(name), "namespace": "ns"], "spec": ["targetRef": targetRef]]
        }
        func object(_ name: String, labels: JSONValue = .object([:]), spec: JSONValue = .object([:])) -> JSONValue {
            ["metadata": ["name": .string(name), "namespace": "ns", "labels": labels], "spec": spec]
        }
        let deployment = object("model", spec: ["selector": ["matchLabels": ["app": "model"]]])
        #expect(!scope.admitsDeployment(deployment))
        // A new pool on a new target: the targets' caches and the DaemonSets' list again.
        #expect(scope.poolChanged(.added(pool("p", target: "model"))) == [.targets, .pools])
        #expect(scope.admitsDeployment(deployment))
        #expect(!scope.admitsDeployment(object("other")))
        // A second pool on it needs only its DaemonSet; a status update of it, nothing.
        #expect(scope.poolChanged(.added(pool("q", target: "model"))) == [.pools])
        #expect(scope.poolChanged(.updated(old: pool("q", target: "model"), new: pool("q", target: "model"))) == [])
        // The Deployment's pod selector, once cached, brings its pods.
        let pod = object("model-1", labels: ["app": "model", "pod-template-hash": "x"])
        #expect(!scope.admitsPod(pod))
        #expect(scope.deploymentChanged(.added(deployment)) == [.pods])
        #expect(scope.deploymentChanged(.updated(old: deployment, new: deployment)) == [])
        #expect(scope.admitsPod(pod))
        #expect(!scope.admitsPod(object("stranger", labels: ["app": "other"])))
        // HPAs and ScaledObjects on the target; pre-pull DaemonSets of the selected pools.
        #expect(scope.admitsAutoscaler(object("hpa", spec: ["scaleTargetRef": ["kind": "Deployment", "name": "model"]])))
        #expect(!scope.admitsAutoscaler(object("hpa", spec: ["scaleTargetRef": ["kind": "Deployment", "name": "other"]])))
        #expect(scope.admitsScaledObject(object("so", spec: ["scaleTargetRef": ["name": "model"]])))
        #expect(scope.admitsDaemonSet(object("eip-prepull-p", labels: .object([Defaults.prePullPoolLabel: "p"]))))
        #expect(!scope.admitsDaemonSet(object("eip-prepull-z", labels: .object([Defaults.prePullPoolLabel: "z"]))))
        // A pool on a StatefulSet: its pods' selector is the Scale's, so every pod of its namespace.
        #expect(scope.poolChanged(.added(pool("s", target: "db", kind: "StatefulSet"))) == [.targets, .pools, .pods])
        #expect(scope.admitsPod(object("stranger", labels: ["app": "other"])))
        #expect(scope.poolChanged(.deleted(pool("s", target: "db", kind: "StatefulSet"))) == [])
        #expect(!scope.admitsPod(object("stranger", labels: ["app": "other"])))
        // Both pools gone: their Deployment and pods are no longer kept.
        _ = scope.poolChanged(.deleted(pool("p", target: "model")))
        #expect(scope.admitsDeployment(deployment), "q still targets it")
        _ = scope.poolChanged(.deleted(pool("q", target: "model")))
        #expect(!scope.admitsDeployment(deployment) && !scope.admitsPod(pod))
    }
}
