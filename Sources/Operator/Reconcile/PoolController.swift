import Autoscaling
import Foundation
import JSON
import Kube
import Locking

/// The pool controller: informers for pools, Deployments, HPAs, pre-pull DaemonSets and (trimmed)
/// pods feed a work queue keyed by pool; workers reconcile each key (never one key twice at once),
/// requeue it at its poll interval, and back off on failures. A Deployment or HPA change enqueues
/// the pools that target it, a DaemonSet's rollout its pool; pods enqueue nothing (pools poll).
public final class PoolController: Sendable {
    public let pools: Informer
    public let deployments: Informer
    public let autoscalers: Informer
    /// Pods, trimmed to what the direct scrape needs (their changes enqueue nothing: pools poll).
    public let pods: Informer
    /// The pre-pull DaemonSets the operator made (by label); their rollouts enqueue their pools.
    public let daemonSets: Informer
    public let queue: WorkQueue
    public let reconciler: PoolReconciler
    /// Where metric values come from (its read statistics feed `/metrics` when it is a router).
    public let metrics: any MetricsSource
    let workers: Int
    /// Reconciles done, by outcome (for the operator's metrics).
    public let reconciles = Locked<[String: Int]>([:])
    /// Reconcile durations, by outcome.
    public let reconcileDurations = Locked<[String: Histogram]>([:])
    /// Called after each reconcile with its key (benchmarks and tests measure with it).
    public let onReconciled = Locked<(@Sendable (String) -> Void)?>(nil)

    let log: Logger?

    public init(client: KubeClient, namespace: String?, metrics: any MetricsSource, events: EventRecorder?,
                workers: Int = 2, clock: any WallClock = SystemWallClock(), scheduler: any Scheduler = DispatchScheduler(), log: Logger? = nil,
                pauseImage: String = Defaults.pauseImage) {
        self.log = log
        self.metrics = metrics
        pools = Informer(client: client, resource: .elasticInferencePools, namespace: namespace)
        deployments = Informer(client: client, resource: .deployments, namespace: namespace)
        autoscalers = Informer(client: client, resource: .horizontalPodAutoscalers, namespace: namespace)
        pods = Informer(client: client, resource: .pods, namespace: namespace, transform: Informer.podEssentials)
        daemonSets = Informer(client: client, resource: .daemonSets, namespace: namespace, labelSelector: "app.kubernetes.io/managed-by=eip-operator")
        queue = WorkQueue(scheduler: scheduler)
        reconciler = PoolReconciler(client: client, pools: pools, deployments: deployments, autoscalers: autoscalers, pods: pods,
                                    daemonSets: daemonSets, metrics: metrics, events: events, clock: clock, pauseImage: pauseImage)
        self.workers = max(1, workers)
        let queue = self.queue
        let index = self.targets
        // A pool's own changes enqueue it, and keep the index of what it targets current.
        pools.addHandler { event in
            let key = Informer.key(of: event.object)
            index.withLock { targets in
                if case .updated(let old, _) = event, let previous = Self.target(of: old) { targets[previous]?.remove(key) }
                if case .deleted = event {
                    if let target = Self.target(of: event.object) { targets[target]?.remove(key) }
                } else if let target = Self.target(of: event.object) {
                    targets[target, default: []].insert(key)
                }
            }
            if Self.needsReconcile(event) { queue.add(key) }
        }
        // A Deployment's changes enqueue the pools that target it (an index lookup, not a scan).
        deployments.addHandler { event in
            guard let name = event.object["metadata"]?["name"]?.stringValue,
                  let namespace = event.object["metadata"]?["namespace"]?.stringValue else { return }
            for key in index.withLock({ $0["\(namespace)/\(name)"] ?? [] }) { queue.add(key) }
        }
        // A pre-pull DaemonSet's changes (its rollout) enqueue its pool.
        daemonSets.addHandler { event in
            guard let pool = event.object["metadata"]?["labels"]?[Defaults.prePullPoolLabel]?.stringValue,
                  let namespace = event.object["metadata"]?["namespace"]?.stringValue else { return }
            queue.add("\(namespace)/\(pool)")
        }
        // So do HPAs that name a Deployment.
        autoscalers.addHandler { event in
            let hpa = HorizontalPodAutoscalerView(event.object)
            guard hpa.targetKind == "Deployment", let name = hpa.targetName,
                  let namespace = event.object["metadata"]?["namespace"]?.stringValue else { return }
            for key in index.withLock({ $0["\(namespace)/\(name)"] ?? [] }) { queue.add(key) }
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

    /// Pools by the Deployment they target (`namespace/name`).
    private let targets = Locked<[String: Set<String>]>([:])

    /// `namespace/deployment` a pool targets: targetRef.name, else modelRef.
    static func target(of pool: JSONValue) -> String? {
        ElasticInferencePool.target(of: pool)?.description
    }

    /// Starts the informers.
    public func start() {
        pools.start()
        deployments.start()
        autoscalers.start()
        pods.start()
        daemonSets.start()
    }

    public var hasSynced: Bool { pools.hasSynced && deployments.hasSynced && autoscalers.hasSynced && pods.hasSynced && daemonSets.hasSynced }

    /// Waits until every cache holds its first list.
    public func waitForSync() async {
        while !hasSynced && !Task.isCancelled { try? await Task.sleep(nanoseconds: 20_000_000) }
    }

    /// Runs the workers until ``shutDown()``; returns when they have finished what they held.
    public func runWorkers() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { await self.work() }
            }
        }
    }

    private func work() async {
        while let key = await queue.next() {
            let started = Date()
            let outcome = await reconciler.reconcile(key: key)
            let result = outcome.error == nil ? "success" : "error"
            let seconds = Date().timeIntervalSince(started)
            reconcileDurations.withLock { $0[result, default: Histogram()].observe(seconds) }
            if let log {
                let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
                var fields: [(String, String)] = [("namespace", parts.first ?? ""), ("pool", parts.last ?? ""),
                                                  ("reconcileID", String(UUID().uuidString.prefix(8)).lowercased()),
                                                  ("duration", String(format: "%.3fs", seconds))]
                if !outcome.writes.isEmpty { fields.append(("writes", outcome.writes.joined(separator: ","))) }
                if let error = outcome.error {
                    log.warning("reconcile failed", fields + [("error", error.description)])
                } else {
                    log.log(outcome.writes.isEmpty ? .debug : .info, "reconciled", fields)
                }
            }
            if outcome.error != nil {
                reconciles.withLock { $0["error", default: 0] += 1 }
                queue.addRateLimited(key)
            } else {
                reconciles.withLock { $0["success", default: 0] += 1 }
                queue.forget(key)
                if let after = outcome.requeueAfter { queue.addAfter(key, delay: after) }
            }
            queue.done(key)
            onReconciled.withLock { $0 }?(key)
        }
    }

    /// Stops taking work (in-flight reconciles finish) and stops the informers.
    public func shutDown() {
        queue.shutDown()
        pools.stop()
        deployments.stop()
        autoscalers.stop()
        pods.stop()
        daemonSets.stop()
    }
}
