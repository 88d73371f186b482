import Autoscaling
import Foundation
import JSON
import Kube
import Locking

/// What one reconcile came to: when to look again, and what went wrong (if anything).
public struct ReconcileOutcome: Sendable {
    /// Look again after this many seconds (the pool's poll interval), nil for "only on change".
    public var requeueAfter: Double?
    /// A failure worth a rate-limited retry (a failed write, a conflict).
    public var error: KubeError?
    /// The writes sent (for tests and the operator's metrics).
    public var writes: [String] = []
}

/// Reconciles one pool: reads it and its Deployment from the caches; a pool being deleted is
/// finalized (its init containers taken out of the Deployment, then released); otherwise it is
/// validated, given its finalizer, its metrics are read, a decision made, and the decision applied —
/// template first (with a resourceVersion precondition), then replicas through `scale`, then the
/// pre-pull DaemonSet, then status (only when it changed) — with Events saying why.
public final class PoolReconciler: Sendable {
    let client: KubeClient
    let pools: Informer
    let deployments: Informer
    let autoscalers: Informer?
    /// The cluster's pods (trimmed), for the direct-scrape source; nil when no source scrapes.
    let pods: Informer?
    /// The pre-pull DaemonSets the operator made (nil: pre-pull is not managed, as in some tests).
    let daemonSets: Informer?
    let metrics: any MetricsSource
    let events: EventRecorder?
    let finalizer: WarmupFinalizer
    /// The pre-pull pods' pause container.
    let pauseImage: String
    let clock: any WallClock
    let expressions = ThresholdExpressionCache()
    /// The last write of each kind per object, with the cached resourceVersion it was decided from.
    /// While the cache still shows that version (it has not caught up with our own write yet), the
    /// same write is known done and is not sent again: stale reads make no duplicate writes.
    private let lastWrites = Locked<[String: (basedOn: String?, body: Int)]>([:])  // body: its hash (memory)
    /// The scaling state last written to each pool's status, with the pool resourceVersion it was
    /// based on: until the cache shows a newer pool, decisions start from this state, not the cache's
    /// stale one (which would, say, take a second scale-down step before the period is over).
    private let lastStates = Locked<[String: (basedOn: String?, state: ScalingState)]>([:])

    public init(client: KubeClient, pools: Informer, deployments: Informer, autoscalers: Informer?, pods: Informer? = nil,
                daemonSets: Informer? = nil, metrics: any MetricsSource, events: EventRecorder?, clock: any WallClock = SystemWallClock(),
                pauseImage: String = Defaults.pauseImage) {
        self.client = client
        self.pools = pools
        self.deployments = deployments
        self.autoscalers = autoscalers
        self.pods = pods
        self.daemonSets = daemonSets
        self.pauseImage = pauseImage
        finalizer = WarmupFinalizer(client: client, deployments: deployments, events: events)
        self.metrics = metrics
        self.events = events
        self.clock = clock
    }

    public func reconcile(key: String) async -> ReconcileOutcome {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return ReconcileOutcome() }
        let (namespace, name) = (parts[0], parts[1])

        // The pool is gone: nothing to do (its Events and status went with it).
        guard let object = pools.get(namespace: namespace, name: name) else { return ReconcileOutcome() }
        let now = clock.now()

        // Being deleted: take the init containers back out of the Deployment, then let the pool go.
        if WarmupFinalizer.isDeleting(object) {
            do throws(KubeError) {
                try await finalizer.finalize(object)
                return ReconcileOutcome()
            } catch {
                return ReconcileOutcome(error: error)
            }
        }

        // An invalid pool gets a condition and an Event, and its Deployment is left alone.
        let check = ElasticInferencePool.check(object, cache: expressions)
        guard var pool = check.pool, let policy = check.policy else {
            let message = check.errors.map(\.description).joined(separator: "; ")
            let reason = check.errors.contains { $0.columnInValue != nil } ? "InvalidThreshold" : "InvalidSpec"
            return await report(object, now: now, conditions: [
                Condition(Condition.ready, .false, reason: reason, message: message),
                Condition(Condition.scalingActive, .false, reason: reason, message: "the pool is invalid; its Deployment is left untouched"),
            ], event: (.warning, reason, message))
        }

        // The finalizer goes on before the first write to the Deployment, so a deletion can undo it.
        do throws(KubeError) {
            _ = try await finalizer.ensure(on: object)
        } catch {
            return ReconcileOutcome(requeueAfter: nil, error: error)
        }

        // No target yet: say so and wait (the Deployment informer enqueues the pool when it appears).
        guard let deploymentObject = deployments.get(namespace: namespace, name: pool.spec.targetName),
              let target = DeploymentView(deploymentObject) else {
            let message = "Deployment \(namespace)/\(pool.spec.targetName) not found"
            var outcome = await report(object, now: now, conditions: [
                Condition(Condition.ready, .false, reason: "TargetNotFound", message: message),
                Condition(Condition.scalingActive, .false, reason: "TargetNotFound", message: message),
            ], event: (.warning, "TargetNotFound", message))
            outcome.requeueAfter = policy.behavior.pollIntervalSeconds
            return outcome
        }

        // Another autoscaler on the same Deployment means no writes (the plan honours it).
        let others = autoscalers.map { informer in
            OtherAutoscalers.targeting(target.key, in: informer.list(namespace: namespace))
        } ?? []
        // Metrics: the target's pods (Ready or warming) go along for a source that scrapes them.
        var targetPods: [JSONValue] = []
        if metrics.wantsPods(pool), let pods, let selector = target.selector {
            targetPods = pods.list(namespace: namespace).filter(selector.matches)
        }
        let sample = await metrics.read(MetricsQuery(pool: pool, target: target, pods: targetPods, metrics: policy.metrics, now: now))
        if let remembered = lastStates.withLock({ $0[key] }), remembered.basedOn == pool.resourceVersion {
            pool.state = remembered.state
        }
        let prePullName = PrePullPlan.name(pool: pool.name)
        let prePullNow = daemonSets?.get(namespace: namespace, name: prePullName)
        let plan = ReconcilePlan(pool: pool, policy: policy, target: target, otherAutoscalers: others, sample: sample, now: now,
                                 prePullDaemonSet: prePullNow, pauseImage: pauseImage)

        // Writes, in the plan's order: template (guarded by its resourceVersion), scale, pre-pull
        // DaemonSet; each remembered with the cached version it was decided from, so a cache that
        // has not caught up yet does not send it twice. The first failure stops the rest.
        var outcome = ReconcileOutcome(requeueAfter: policy.behavior.pollIntervalSeconds)
        for write in plan.writes where write.purpose != "status" {
            let memo = "\(write.purpose)|\(namespace)/\(target.name)"
            let basedOn = write.purpose == PlannedWrite.prePull ? prePullNow?["metadata"]?["resourceVersion"]?.stringValue : target.resourceVersion
            if alreadyWritten(memo, basedOn: basedOn, body: write.body) { continue }
            do throws(KubeError) {
                try await send(write, plan: plan)
                remember(memo, basedOn: basedOn, body: write.body)
                outcome.writes.append(write.purpose)
            } catch {
                outcome.error = error
                break
            }
        }
        let writeError = outcome.error

        // Events: what changed (each write that went through), and what is wrong.
        let d = plan.decision
        await recordEvents(for: outcome.writes, plan: plan, object: object)
        if !plan.warmup.clashes.isEmpty {
            await events?.record(object, type: .warning, reason: "WarmupConflict",
                                 message: "Deployment \(target.name) already has containers named \(plan.warmup.clashes.joined(separator: ", ")) that the operator does not own")
        }
        switch d.reason {
        case .otherAutoscaler: await events?.record(object, type: .warning, reason: "OtherAutoscaler", message: d.message)
        case .metricsUnknown, .fallback:
            await events?.record(object, type: .warning, reason: "MetricsUnavailable",
                                 message: "no fresh value for \(d.unknownMetrics.map(\.rawValue).joined(separator: ", "))\(sample.failure.map { ": \($0)" } ?? "")")
        default: break
        }

        // Status last, and only when it changed.
        let planned = plan.writes.last { $0.purpose == "status" }?.body["status"]?.objectValue ?? [:]
        let conditions = Conditions.forPlan(plan, writeError: writeError.map(\.message))
        switch await writeStatus(object, planned: planned, conditions: conditions, now: now) {
        case .success(true):
            outcome.writes.append("status")
            lastStates.withLock { states in
                if states.count > 10_000 { states.removeAll() }
                states[key] = (pool.resourceVersion, plan.decision.state)
            }
        case .success(false): break
        case .failure(let error): outcome.error = outcome.error ?? error
        }
        return outcome
    }

    /// Sends one planned write through the client (the plan says what; this says how).
    private func send(_ write: PlannedWrite, plan: ReconcilePlan) async throws(KubeError) {
        let namespace = plan.target.namespace
        switch write.purpose {
        case "scale":
            _ = try await client.setReplicas(.deployments, namespace: namespace, name: plan.target.name, to: plan.decision.to)
        case PlannedWrite.prePull:
            let name = PrePullPlan.name(pool: plan.pool.name)
            switch write.method {
            case "POST": _ = try await client.create(.daemonSets, namespace: namespace, write.body)
            case "PUT": _ = try await client.replace(.daemonSets, namespace: namespace, name: name, write.body)
            default: try await client.delete(.daemonSets, namespace: namespace, name: name, propagation: .background)
            }
        default:
            _ = try await client.patch(.deployments, namespace: namespace, name: plan.target.name, .merge(write.body))
        }
    }

    /// A Normal Event for each kind of write that went through.
    private func recordEvents(for writes: [String], plan: ReconcilePlan, object: JSONValue) async {
        let d = plan.decision
        if writes.contains("warmup template") {
            await events?.record(object, type: .normal, reason: "WarmupPatched",
                                 message: plan.warmup.changes.map(\.description).joined(separator: "; ").ifEmpty("ownership annotation updated"))
        }
        if writes.contains("scale") {
            await events?.record(object, type: .normal, reason: d.action == .scaleUp ? "ScaledUp" : "ScaledDown", message: d.message)
        }
        if writes.contains(PlannedWrite.prePull) {
            let name = PrePullPlan.name(pool: plan.pool.name)
            let images = plan.pool.spec.warmup.preloadedImages.joined(separator: ", ")
            switch plan.prePull.action {
            case .create: await events?.record(object, type: .normal, reason: "PrePullCreated", message: "created DaemonSet \(name) to pre-pull \(images)")
            case .replace: await events?.record(object, type: .normal, reason: "PrePullUpdated", message: "updated DaemonSet \(name): \(images)")
            case .delete: await events?.record(object, type: .normal, reason: "PrePullDeleted", message: "deleted DaemonSet \(name): no images to pre-pull")
            case .none: break
            }
        }
    }

    /// Status and an Event for a pool that did not get as far as a decision.
    private func report(_ object: JSONValue, now: Timestamp, conditions: [Condition],
                        event: (EventRecorder.EventType, String, String)) async -> ReconcileOutcome {
        await events?.record(object, type: event.0, reason: event.1, message: event.2)
        var planned: JSONObject = [:]
        if let generation = object["metadata"]?["generation"] { planned["observedGeneration"] = generation }
        switch await writeStatus(object, planned: planned, conditions: conditions, now: now) {
        case .success(let written): return ReconcileOutcome(requeueAfter: nil, error: nil, writes: written ? ["status"] : [])
        case .failure(let error): return ReconcileOutcome(requeueAfter: nil, error: error)
        }
    }

    /// Writes `planned` and the conditions to `/status`, unless the pool's status already says all of it
    /// (timestamps of samples and decisions aside): reconciling the same state again writes nothing.
    private func writeStatus(_ object: JSONValue, planned: JSONObject, conditions: [Condition], now: Timestamp) async -> Result<Bool, KubeError> {
        let current = object["status"]?.objectValue ?? [:]
        var patch = planned
        // Keep the time of a decision that has not changed.
        if let old = current["lastDecision"], let new = planned["lastDecision"], Self.withoutTime(old) == Self.withoutTime(new) {
            patch["lastDecision"] = old
        }
        patch["conditions"] = .array(Conditions.merge(conditions, into: current["conditions"]?.arrayValue ?? [],
                                                      generation: object["metadata"]?["generation"]?.intValue, now: now))
        let merged = JSONValue.object(current).applyingMergePatch(.object(patch))
        guard Self.withoutVolatile(merged) != Self.withoutVolatile(.object(current)) else { return .success(false) }
        let meta = ObjectMeta(object)
        let memo = "status|\(meta.namespace ?? "")/\(meta.name)"
        if alreadyWritten(memo, basedOn: meta.resourceVersion, body: Self.withoutVolatile(merged)) { return .success(false) }
        do throws(KubeError) {
            _ = try await client.patch(.elasticInferencePools, namespace: meta.namespace, name: meta.name,
                                       .merge(["status": .object(patch)]), subresource: "status")
            remember(memo, basedOn: meta.resourceVersion, body: Self.withoutVolatile(merged))
            return .success(true)
        } catch {
            return .failure(error)
        }
    }

    private func alreadyWritten(_ memo: String, basedOn resourceVersion: String?, body: JSONValue) -> Bool {
        guard let last = lastWrites.withLock({ $0[memo] }) else { return false }
        return last.basedOn == resourceVersion && last.body == body.hashValue
    }

    private func remember(_ memo: String, basedOn resourceVersion: String?, body: JSONValue) {
        lastWrites.withLock { writes in
            if writes.count > 10_000 { writes.removeAll() }
            writes[memo] = (resourceVersion, body.hashValue)
        }
    }

    static func withoutTime(_ value: JSONValue) -> JSONValue {
        guard var o = value.objectValue else { return value }
        o["time"] = nil
        return .object(o)
    }

    /// Status without what changes on every read even when nothing else does.
    static func withoutVolatile(_ status: JSONValue) -> JSONValue {
        guard var o = status.objectValue else { return status }
        if var observed = o["observed"]?.objectValue {
            observed["sampleTime"] = nil
            o["observed"] = .object(observed)
        }
        return .object(o)
    }
}

extension String {
    func ifEmpty(_ fallback: String) -> String { isEmpty ? fallback : self }
}
