import Autoscaling
import Foundation
import JSON
import Kube
import Locking
import MetricsSources

/// The pool controller: informers for pools, Deployments, HPAs, KEDA ScaledObjects, pre-pull
/// DaemonSets and (trimmed) pods feed a work queue keyed by pool (``ObjectKey``); workers reconcile
/// each key (never one key twice at once), requeue it at its poll interval, and back off on failures.
/// A Deployment, HPA or ScaledObject change enqueues the pools that target it, a DaemonSet's rollout
/// its pool, a pool that goes or changes target the pools that share its old target (one of them may
/// now hold it); pods enqueue nothing (pools poll).
///
/// With a pool selector (`--pool-selector`, one shard of several) the pools informer lists and
/// watches only the pools it selects, and the Deployment, HPA, ScaledObject, DaemonSet and pod caches
/// keep only what those pools need (``CacheScope``); every pool of the namespace is still watched,
/// trimmed to its name, age and target (``allPools``), so that the claim check (one workload, one
/// scaler) sees the pools of the other shards.
public final class PoolController: Sendable {
    /// The pools (with a selector: those it selects).
    public let pools: Informer
    /// With a pool selector, every pool, trimmed to what the claim check reads
    /// (``Informer/poolClaimEssentials``: about 300 bytes a pool); nil without one (``pools`` holds them all).
    public let allPools: Informer?
    /// The cache of every pool the claim check reads (one workload, one scaler): ``allPools`` with a
    /// selector, else ``pools``. The admission webhook reads it too.
    public var claimCache: Informer { allPools ?? pools }
    /// The Deployments (the pools' targets).
    public let deployments: Informer
    /// The HorizontalPodAutoscalers (any on a target stops the pool's writes).
    public let autoscalers: Informer
    /// KEDA ScaledObjects (any on a target stops the pool's writes, as an HPA does). Where KEDA is not
    /// installed the resource answers 404: the cache stays empty and synced, and the list is tried
    /// again every minute, so a KEDA installed later is seen within a minute.
    public let scaledObjects: Informer
    /// Pods, trimmed to what the direct scrape needs (their changes enqueue nothing: pools poll).
    public let pods: Informer
    /// The pre-pull DaemonSets the operator made (by label); their rollouts enqueue their pools.
    public let daemonSets: Informer
    /// Pools waiting to be reconciled.
    public let queue: WorkQueue<ObjectKey>
    /// Reconciles one pool.
    public let reconciler: PoolReconciler
    /// Every write of the controller goes through it.
    public let writer: WriteExecutor
    /// Reconciles and metric reads, counted and timed for `/metrics`.
    public let telemetry: ControllerMetrics
    /// Its Events (nil: it records none).
    public let events: EventRecorder?
    /// The client its informers and writes use (its request counts go to `/metrics`).
    public let client: KubeClient
    /// Pools reconciled at once (default 2).
    let workers: Int
    let clock: any Clock
    let log: Logger?

    /// - Parameters:
    ///   - namespace: the namespace to watch; nil: all of them.
    ///   - metrics: where metric values come from (each read is timed and counted in ``telemetry``).
    ///   - events: who reports Events; nil: record none.
    ///   - workers: pools reconciled at once (default 2, at least 1).
    ///   - clock: wall time for decisions and status, monotonic time and timers for requeues and
    ///     backoff (default: the system's).
    ///   - log: the root logger. Reconciles log under `<root>.controller.elasticinferencepool`: one line
    ///     each, with controller-runtime's keys (``reconcileFields(_:reconcileID:)``): `reconciled` at
    ///     debug when nothing was written, else info; a failure as `Reconciler error` at error. The
    ///     informers log under `<root>.informer`, the Event recorder under `<root>.events`.
    ///   - pauseImage: the pre-pull DaemonSets' pause container.
    ///   - fence: what allows writes (the leader elector; nil: always allowed).
    ///   - writeRateLimit: the client-side write limit (nil: none; default 20/s, bursts of 30).
    ///   - poolSelector: a label selector on pools, as the API server takes it (`shard=a`); nil:
    ///     every pool. Passed as the pools' list and watch `labelSelector`, and narrows the other caches.
    public init(client: KubeClient, namespace: String?, metrics: any MetricsSource, events: EventRecorder.Source?,
                workers: Int = 2, clock: any Clock = SystemClock(), log root: Logger? = nil, pauseImage: String = Defaults.pauseImage,
                fence: (any WriteFence)? = nil, writeRateLimit: WriteExecutor.RateLimit? = WriteExecutor.RateLimit(),
                poolSelector: String? = nil) {
        log = root?.named("controller.\(Self.name)")
        let informerLog = root?.named("informer")
        self.clock = clock
        self.client = client
        let scope = poolSelector.map { _ in CacheScope() }
        /// What a narrowed cache keeps (nil without a selector: everything).
        func admits(_ rule: @escaping @Sendable (CacheScope, JSONValue) -> Bool) -> (@Sendable (JSONValue) -> Bool)? {
            guard let scope else { return nil }
            return { rule(scope, $0) }
        }
        pools = Informer(client: client, resource: .elasticInferencePools, namespace: namespace, labelSelector: poolSelector,
                         indexes: [Self.poolsByTarget], log: informerLog)
        allPools = scope.map { _ in
            Informer(client: client, resource: .elasticInferencePools, namespace: namespace, transform: Informer.poolClaimEssentials,
                     name: "elasticinferencepools-all", indexes: [Self.poolsByTarget], log: informerLog)
        }
        deployments = Informer(client: client, resource: .deployments, namespace: namespace,
                               admits: admits { $0.admitsDeployment($1) }, log: informerLog)
        autoscalers = Informer(client: client, resource: .horizontalPodAutoscalers, namespace: namespace,
                               admits: admits { $0.admitsAutoscaler($1) }, log: informerLog)
        scaledObjects = Informer(client: client, resource: .scaledObjects, namespace: namespace,
                                 admits: admits { $0.admitsScaledObject($1) }, absentRelistInterval: .seconds(60), log: informerLog)
        pods = Informer(client: client, resource: .pods, namespace: namespace, transform: Informer.podEssentials,
                        admits: admits { $0.admitsPod($1) }, log: informerLog)
        daemonSets = Informer(client: client, resource: .daemonSets, namespace: namespace, labelSelector: "app.kubernetes.io/managed-by=eip-operator",
                              admits: admits { $0.admitsDaemonSet($1) }, log: informerLog)
        queue = WorkQueue(clock: clock)
        let telemetry = ControllerMetrics(maxConcurrentReconciles: max(1, workers))
        self.telemetry = telemetry
        let writer = WriteExecutor(client: client, fence: fence, rateLimit: writeRateLimit, clock: clock)
        self.writer = writer
        let recorder = events.map { EventRecorder(writer: writer, source: $0, clock: clock, log: root?.named("events")) }
        self.events = recorder
        // The caches writes are decided from (pods only feed the scrape): while one is not current, no
        // writes; nor while the pods are relisted for pools that need them.
        let deciding = [pools, deployments, autoscalers, scaledObjects, daemonSets] + (allPools.map { [$0] } ?? [])
        let pods = self.pods
        reconciler = PoolReconciler(reader: CacheReader([pools, deployments, autoscalers, scaledObjects, pods, daemonSets], uncached: client,
                                                        lists: allPools.map { [$0] } ?? []),
                                    metrics: InstrumentedMetricsSource(metrics, metrics: telemetry, clock: clock),
                                    writer: writer, events: recorder, clock: clock, pauseImage: pauseImage,
                                    staleness: { Self.staleness(of: deciding) ?? (pods.isRelisting ? Self.staleness(of: [pods]) : nil) })
        self.workers = max(1, workers)
        let queue = self.queue
        let pools = self.pools
        /// The keys of the pools on the workload `target` (any kind), from the pools' index.
        let poolsOn: @Sendable (ObjectKey) -> [ObjectKey] = { target in
            pools.objects(namespace: target.namespace, index: Self.poolsByTarget.name, value: target.description).map { ObjectKey(of: $0) }
        }
        // With a selector, what the pools newly need is listed again by the caches that turned it away.
        let relist: @Sendable (CacheScope.Growth) -> Void = { [deployments, autoscalers, scaledObjects, daemonSets, pods] growth in
            if growth.contains(.targets) { deployments.relist(); autoscalers.relist(); scaledObjects.relist() }
            if growth.contains(.pools) { daemonSets.relist() }
            if growth.contains(.pods) { pods.relist() }
        }
        // A pool's own changes enqueue it (and, with a selector, change what the caches keep).
        pools.addHandler { event in
            let key = ObjectKey(of: event.object)
            if let scope { relist(scope.poolChanged(event)) }
            if Self.needsReconcile(event) { queue.add(key) }
        }
        // A pool that leaves a target (deleted, or retargeted), of this shard or another, enqueues the
        // pools still on it: one may hold it now.
        claimCache.addHandler { event in
            guard let left = Self.targetLeft(by: event) else { return }
            for other in poolsOn(left) { queue.add(other) }
        }
        // A Deployment's changes enqueue the pools that target it (an index lookup, not a scan).
        deployments.addHandler { event in
            if let scope { relist(scope.deploymentChanged(event)) }
            for key in poolsOn(ObjectKey(of: event.object)) { queue.add(key) }
        }
        // A pre-pull DaemonSet's changes (its rollout) enqueue its pool.
        daemonSets.addHandler { event in
            guard let pool = event.object["metadata"]?["labels"]?[Defaults.prePullPoolLabel]?.stringValue else { return }
            queue.add(ObjectKey(namespace: ObjectKey(of: event.object).namespace, name: pool))
        }
        // So do HPAs that name a workload.
        autoscalers.addHandler { event in
            guard let target = HorizontalPodAutoscalerView(event.object).targetKey else { return }
            for key in poolsOn(target) { queue.add(key) }
        }
        // And ScaledObjects (the pools on a workload of that name, whatever its kind: the plan sorts it out).
        scaledObjects.addHandler { event in
            guard let name = event.object["spec"]?["scaleTargetRef"]?["name"]?.stringValue else { return }
            let target = ObjectKey(namespace: ObjectKey(of: event.object).namespace, name: name)
            for key in poolsOn(target) { queue.add(key) }
        }
    }

    /// The workload a pool event shows the pool leaving (deleted, or retargeted); nil when it left none.
    static func targetLeft(by event: InformerEvent) -> ObjectKey? {
        switch event {
        case .added: return nil
        case .deleted(let old): return ElasticInferencePool.target(of: old)
        case .updated(let old, let new):
            let previous = ElasticInferencePool.target(of: old)
            return previous == ElasticInferencePool.target(of: new) ? nil : previous
        }
    }

    /// Whether a pool event calls for a reconcile now. Our own status writes come back as updates;
    /// reconciling on each would read metrics again, write slightly different values again, and loop
    /// as fast as the API server answers instead of at the poll interval. So, as controller-runtime's
    /// GenerationChangedPredicate does, an update that changed only status (and the resourceVersion
    /// and managedFields bookkeeping) waits for the poll; spec, labels, annotations, finalizers and
    /// deletion all reconcile at once.
    static func needsReconcile(_ event: InformerEvent) -> Bool {
        guard case .updated(let old, let new) = event else { return true }
        func withoutStatus(_ object: JSONValue) -> JSONValue {
            guard var o = object.objectValue else { return object }
            o["status"] = nil
            if var metadata = o["metadata"]?.objectValue {
                metadata["resourceVersion"] = nil
                metadata["managedFields"] = nil
                o["metadata"] = .object(metadata)
            }
            return .object(o)
        }
        return withoutStatus(old) != withoutStatus(new)
    }

    /// The controller's name, as controller-runtime names a controller for its kind: the kind in
    /// lower case. Its log lines' `controller` and its metrics' `controller` and `name` labels.
    public static let name = ElasticInferencePool.kind.lowercased()

    /// The fields controller-runtime puts on every line of a reconcile, in its order: `controller`,
    /// `controllerGroup`, `controllerKind`, the object reference under the kind
    /// (`"ElasticInferencePool":{"name":…,"namespace":…}`), `namespace`, `name`, `reconcileID` (a
    /// random UUID, one per reconcile, lower case as Go's `uuid` writes it).
    static func reconcileFields(_ key: ObjectKey, reconcileID: UUID) -> [(String, any LogFieldValue)] {
        [("controller", name), ("controllerGroup", ElasticInferencePool.group), ("controllerKind", ElasticInferencePool.kind),
         (ElasticInferencePool.kind, JSONValue.object(["name": .string(key.name), "namespace": .string(key.namespace)])),
         ("namespace", key.namespace), ("name", key.name), ("reconcileID", reconcileID.uuidString.lowercased())]
    }

    /// The pools' index by the workload they target (`namespace/name`, whatever its kind): the
    /// pools a Deployment's, HPA's or ScaledObject's change concerns, and those a claim is decided
    /// among, found without a scan of the namespace.
    public static let poolsByTarget = ObjectIndex(name: "target") { pool in
        ElasticInferencePool.target(of: pool).map { [$0.description] } ?? []
    }

    /// Starts the informers.
    public func start() {
        informers.forEach { $0.start() }
    }

    /// Its informers, pools first.
    public var informers: [Informer] { [pools] + (allPools.map { [$0] } ?? []) + [deployments, autoscalers, scaledObjects, pods, daemonSets] }

    /// Every cache holds its first list.
    public var hasSynced: Bool { informers.allSatisfy(\.hasSynced) }

    /// The caches that have not synced yet, each with what keeps it (nil: nothing has failed; it is
    /// still listing).
    public var unsynced: [(resource: ResourceRef, failure: ListWatchFailure?)] {
        informers.filter { !$0.hasSynced }.map { ($0.resource, $0.lastFailure) }
    }

    /// Why the caches of `informers` cannot be trusted now (nil: they can): `the deployments cache
    /// missed changes: watch failed (InternalError)`.
    static func staleness(of informers: [Informer]) -> String? {
        guard let stale = informers.first(where: { !$0.isCurrent }) else { return nil }
        if stale.hasSynced && stale.lastFailure == nil { return "the \(stale.resource.plural) cache is relisting for newly selected pools" }
        guard let failure = stale.lastFailure else { return "the \(stale.resource.plural) cache has not synced" }
        return "the \(stale.resource.plural) cache missed changes: \(failure.verb) failed (\(failure.reason))"
    }

    /// How long the caches may take to sync before the process gives up (2 minutes:
    /// controller-runtime's `CacheSyncTimeout` default, `pkg/controller/controller.go`).
    public static let defaultCacheSyncTimeout: Duration = .seconds(120)

    /// Waits until every cache holds its first list (or the task is cancelled), for at most
    /// `timeout` (nil: no limit). True when synced. The lists are I/O: this polls in real time
    /// whatever the clock.
    @discardableResult
    public func waitForSync(timeout: Duration? = nil) async -> Bool {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while !hasSynced && !Task.isCancelled {
            if let deadline, ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return hasSynced
    }

    /// Runs the workers until ``shutDown()``; returns when they have finished what they held.
    public func runWorkers() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { await self.work() }
            }
        }
    }

    /// One worker: take a key, reconcile it, count and log it, requeue it.
    private func work() async {
        while let key = await queue.next() {
            let started = clock.monotonicNow()
            telemetry.reconcileStarted()
            let result = await reconciler.reconcile(key)
            let duration = clock.monotonicNow() - started
            telemetry.reconcileFinished(result.outcome, duration: duration)
            if let log {
                var fields = Self.reconcileFields(key, reconcileID: UUID()) + [("duration", duration)]
                if !result.writes.isEmpty { fields.append(("writes", result.writes.map(\.description).joined(separator: ","))) }
                if !result.awaitingCache.isEmpty { fields.append(("awaitingCache", result.awaitingCache.map(\.description).joined(separator: ","))) }
                if let deferred = result.deferred { fields.append(("deferred", deferred)) }
                if let error = result.error {
                    // controller-runtime's line for a failed reconcile, at error level.
                    log.error("Reconciler error", fields + [("error", error.description)])
                } else {
                    log.log(result.writes.isEmpty ? .debug : .info, "reconciled", fields)
                }
            }
            if let error = result.error {
                // Backs off, and waits at least as long as the API server asked (Retry-After).
                queue.addRateLimited(key, atLeast: error.retryAfterDuration ?? .zero)
            } else {
                queue.forget(key)
                if let after = result.requeueAfter { queue.addAfter(key, delay: after) }
            }
            queue.done(key)
        }
    }

    /// Stops taking work (in-flight reconciles finish) and stops the informers.
    public func shutDown() {
        queue.shutDown()
        informers.forEach { $0.stop() }
    }
}
