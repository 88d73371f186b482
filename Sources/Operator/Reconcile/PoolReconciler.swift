import Autoscaling
import JSON
import Kube
import Locking
import MetricsSources

/// The pool a worker is handed (controller-runtime's `reconcile.Request`): its namespace and name.
public typealias ReconcileRequest = ObjectKey

/// What one reconcile came to (controller-runtime's `reconcile.Result`, with the error beside it).
public struct ReconcileResult: Sendable {
    /// Look again after this long (the pool's poll interval); nil: only when something changes.
    public var requeueAfter: Duration?
    /// A failure worth a rate-limited retry (a failed write, a conflict).
    public var error: KubeError?
    /// What was written, in order (for the log line and tests).
    public var writes: [WriteIntent.Kind] = []
    /// What was decided but held back because the cache has not caught up with our own last write
    /// to the object (``WriteExecutor/Outcome/awaitingCache``): for the log line.
    public var awaitingCache: [WriteIntent.Kind] = []
    /// Why nothing was decided this time (the caches missed changes), if so.
    public var deferred: String?

    /// A result; the default: done, look again only on change.
    public init(requeueAfter: Duration? = nil, error: KubeError? = nil, writes: [WriteIntent.Kind] = []) {
        self.requeueAfter = requeueAfter
        self.error = error
        self.writes = writes
    }

    /// Counts one applied intent under what happened to it.
    mutating func record(_ kind: WriteIntent.Kind, _ outcome: WriteExecutor.Outcome) {
        switch outcome {
        case .sent: writes.append(kind)
        case .awaitingCache: awaitingCache.append(kind)
        case .repeated: break
        }
    }
}

/// Reconciles one pool: one pass of load → finalize if deleting → validate → gather inputs → plan
/// → apply → record Events → write status, each step in ``reconcile(_:)`` a few lines with its reason.
/// What to write is decided by the pure ``ReconcilePlan``; every write goes through the
/// ``WriteExecutor``.
public final class PoolReconciler: Sendable {
    /// The informers' caches.
    let reader: any ObjectReader
    let metrics: any MetricsSource
    let writer: WriteExecutor
    let events: EventRecorder?
    let finalizer: WarmupFinalizer
    /// The pre-pull pods' pause container.
    let pauseImage: String
    let clock: any Clock
    let expressions = ThresholdExpressionCache()
    /// The scaling state last written to each pool's status, with the pool resourceVersion it was
    /// based on: until the cache shows a newer pool, decisions start from this state, not the cache's
    /// stale one (which would, say, take a second scale-down step before the period is over).
    private let lastStates = Locked<[ObjectKey: (basedOn: String?, state: ScalingState)]>([:])
    /// Per pool, the status basis of the last plan whose status write came to nothing.
    private let quietStatus = Locked<[ObjectKey: QuietStatus]>([:])
    /// A basis, boxed: the table of ten thousand pools holds a pointer each, not the whole basis.
    private final class QuietStatus: Sendable {
        let basis: StatusBasis
        init(_ basis: StatusBasis) { self.basis = basis }
    }
    /// The last validation of each pool, with the resourceVersion it was of.
    private let checks = Locked<[ObjectKey: ValidPool]>([:])
    /// The newest generation reconciled of each pool, by uid: a cache that shows an older one
    /// (a lagging relist) decides nothing.
    private let newestGeneration = Locked<[String: Int]>([:])
    /// Why the caches cannot be trusted now (nil: they can), asked before every reconcile.
    let staleness: (@Sendable () -> String?)?

    /// A reconciler reading through `reader` (the informers' caches), writing through `writer`.
    /// `staleness` says why the caches cannot be trusted now (a watch down), or nil; while it says
    /// so, reconciles decide and write nothing.
    public init(reader: any ObjectReader, metrics: any MetricsSource, writer: WriteExecutor, events: EventRecorder?,
                clock: any Clock = SystemClock(), pauseImage: String = Defaults.pauseImage, staleness: (@Sendable () -> String?)? = nil) {
        self.staleness = staleness
        self.reader = reader
        self.metrics = metrics
        self.writer = writer
        self.events = events
        self.clock = clock
        self.pauseImage = pauseImage
        finalizer = WarmupFinalizer(reader: reader, writer: writer, events: events)
    }

    /// Reconciles the pool `request` names, once. Never throws: a failure is in the result's `error`
    /// (the caller backs off and retries), and every fault is said in a condition or an Event.
    public func reconcile(_ request: ReconcileRequest) async -> ReconcileResult {
        // Load: the pool from the cache. Gone: nothing to do (its Events and status went with it).
        guard let object = try? await reader.object(.elasticInferencePools, request) else { return ReconcileResult() }
        let now = clock.now()

        // Caches that missed changes (a watch down, not yet resumed) decide nothing: after an outage
        // they still show the cluster as it was, and a plan from them could undo what changed meanwhile.
        if let stale = staleness?() {
            var deferred = ReconcileResult(requeueAfter: .seconds(1))
            deferred.deferred = stale
            return deferred
        }

        // A pool older than one already reconciled: the cache lags; its next change brings the pool back.
        guard isNewest(object) else { return ReconcileResult(requeueAfter: .seconds(1)) }
        // This reconcile's writes, decided from the same reads, do not wait for each other.
        let scope = writer.scope()

        // Finalize if deleting: take the init containers back out of the Deployment, then let the pool go.
        if ObjectMeta(object).isBeingDeleted {
            do throws(KubeError) {
                // Not done: a cleanup write waits for the cache to show our last write; look again soon.
                return try await finalizer.finalize(object, in: scope) ? ReconcileResult() : ReconcileResult(requeueAfter: .seconds(1))
            } catch {
                return ReconcileResult(error: error)
            }
        }

        // Validate: an invalid pool gets a condition and an Event, and its Deployment is left alone.
        let pool: ElasticInferencePool, policy: ScalingPolicy
        switch validated(object) {
        case .success(let valid): (pool, policy) = (valid.pool, valid.policy)
        case .failure(let invalid): return await reportInvalid(object, errors: invalid.errors, now: now, in: scope)
        }

        // Finalizer on before the first write to the Deployment, so that a deletion can undo it.
        do throws(KubeError) {
            try await finalizer.ensure(on: object, in: scope)
        } catch {
            return ReconcileResult(error: error)
        }

        // Gather inputs: the workload (none yet: say so and wait; a Deployment's informer enqueues
        // the pool when it appears, other kinds are looked for at each poll), the HPAs on it, the
        // pre-pull DaemonSet, the metric values.
        let inputs: PlanInputs
        do throws(KubeError) {
            switch try await PlanInputs.gather(for: pool, policy: policy, from: reader, metrics: metrics, now: now, pauseImage: pauseImage) {
            case .success(let gathered): inputs = gathered
            case .failure(let missing): return await reportTargetNotFound(object, message: missing.message, policy: policy, now: now, in: scope)
            }
        } catch {
            return ReconcileResult(error: error)
        }

        // Plan, from the state we last wrote while the cache has not caught up with that write.
        let plan = ReconcilePlan(pool: pool, policy: policy, target: inputs.target, sample: inputs.sample, now: now,
                                 state: rememberedState(of: pool) ?? pool.state, context: inputs.context)

        // Apply the changes in the plan's order: template (guarded by its resourceVersion), scale,
        // pre-pull DaemonSet. The first failure stops the rest. (What was applied from versions the
        // cache has moved past is forgotten first: it cannot repeat.)
        // Intents decided from versions older than our own last write to an object wait for the cache.
        settle(pool, inputs)
        var result = ReconcileResult(requeueAfter: .seconds(policy.behavior.pollIntervalSeconds))
        let applied = await writer.apply(plan.changes, in: scope)
        for (change, outcome) in zip(plan.changes, applied.outcomes) { result.record(change.kind, outcome) }
        result.error = applied.error

        // Record Events: what changed (each write that went through), and what is wrong.
        await recordEvents(for: plan, written: result.writes, on: object)

        // Write status last, and only when it changed: the plan's, with what the writes came to.
        await writeStatus(of: plan, writeError: result.error?.message, into: &result, in: scope)
        return result
    }

    // MARK: Steps

    /// Normal Events for the writes that went through; Warnings for a clash, another autoscaler, missing metrics.
    private func recordEvents(for plan: ReconcilePlan, written: [WriteIntent.Kind], on object: JSONValue) async {
        guard let events else { return }
        let d = plan.decision
        if written.contains(.template) {
            await events.record(object, type: .normal, reason: "WarmupPatched",
                                message: plan.warmup.changes.map(\.description).joined(separator: "; ").ifEmpty("ownership annotation updated"))
        }
        if written.contains(.scale) {
            await events.record(object, type: .normal, reason: d.action == .scaleUp ? "ScaledUp" : "ScaledDown", message: plan.decisionMessage)
        }
        if written.contains(.prePull) {
            let name = PrePullPlan.name(pool: plan.pool.name)
            let images = plan.pool.spec.warmup.preloadedImages.joined(separator: ", ")
            switch plan.prePull.change {
            case .create?: await events.record(object, type: .normal, reason: "PrePullCreated", message: "created DaemonSet \(name) to pre-pull \(images)")
            case .replace?: await events.record(object, type: .normal, reason: "PrePullUpdated", message: "updated DaemonSet \(name): \(images)")
            case .delete?: await events.record(object, type: .normal, reason: "PrePullDeleted", message: "deleted DaemonSet \(name): no images to pre-pull")
            case nil: break
            }
        }
        if !plan.warmup.clashes.isEmpty {
            await events.record(object, type: .warning, reason: "WarmupConflict",
                                message: "\(plan.target.kind.kind) \(plan.target.name) already has containers named \(plan.warmup.clashes.joined(separator: ", ")) that the operator does not own")
        }
        switch d.reason.kind {
        case .otherAutoscaler:
            // An older pool holding the target is a claim (TargetClaimed); an HPA or ScaledObject an other autoscaler.
            let pool = { if case .otherAutoscaler(let other) = d.reason { return other.hasPrefix("\(ElasticInferencePool.kind)/") }; return false }()
            await events.record(object, type: .warning, reason: pool ? "TargetClaimed" : "OtherAutoscaler", message: plan.decisionMessage)
        case .metricsUnknown, .fallback:
            await events.record(object, type: .warning, reason: "MetricsUnavailable",
                                message: "no fresh value for \(d.unknownMetrics.map(\.rawValue).joined(separator: ", "))\(plan.sample.failure.map { ": \($0)" } ?? "")")
        default: break
        }
    }

    /// The plan's status write, unless status already says it all: known without working it out
    /// when the plan's status basis is the one that last found nothing to write (most polls of a
    /// steady pool).
    private func writeStatus(of plan: ReconcilePlan, writeError: String?, into result: inout ReconcileResult, in scope: WriteScope) async {
        let basis = plan.statusBasis(writeError: writeError)
        if quietStatus.withLock({ $0[plan.pool.key] })?.basis == basis { return }
        guard let status = plan.statusWrite(writeError: writeError) else {
            quietStatus.withLock { quiet in
                if quiet.count > 10_000 { quiet.removeAll() }
                quiet[plan.pool.key] = QuietStatus(basis)
            }
            return
        }
        do throws(KubeError) {
            let outcome = try await writer.apply(status, in: scope)
            result.record(.status, outcome)
            if outcome == .sent {
                remember(plan.state, of: plan.pool)
                // The pool moves to a new version: its validation from this one is of no more use.
                checks.withLock { _ = $0.removeValue(forKey: plan.pool.key) }
            }
        } catch {
            result.error = result.error ?? error
        }
    }

    /// An invalid pool: `Ready` and `ScalingActive` false with the errors, and a Warning Event.
    private func reportInvalid(_ object: JSONValue, errors: [FieldIssue], now: Timestamp, in scope: WriteScope) async -> ReconcileResult {
        let message = errors.map(\.description).joined(separator: "; ")
        let reason = errors.contains { $0.columnInValue != nil } ? "InvalidThreshold" : "InvalidSpec"
        return await report(object, now: now, conditions: [
            Condition(Condition.ready, .false, reason: reason, message: message),
            Condition(Condition.scalingActive, .false, reason: reason, message: "the pool is invalid; its Deployment is left untouched"),
        ], event: (.warning, reason, message), in: scope)
    }

    /// No target workload yet: conditions and an Event, and a look again at the poll interval.
    private func reportTargetNotFound(_ object: JSONValue, message: String, policy: ScalingPolicy, now: Timestamp,
                                      in scope: WriteScope) async -> ReconcileResult {
        var result = await report(object, now: now, conditions: [
            Condition(Condition.ready, .false, reason: "TargetNotFound", message: message),
            Condition(Condition.scalingActive, .false, reason: "TargetNotFound", message: message),
        ], event: (.warning, "TargetNotFound", message), in: scope)
        result.requeueAfter = .seconds(policy.behavior.pollIntervalSeconds)
        return result
    }

    /// Status (the generation observed, and `conditions`) and an Event for a pool that did not get as far as a plan.
    private func report(_ object: JSONValue, now: Timestamp, conditions: [Condition],
                        event: (EventRecorder.EventType, String, String), in scope: WriteScope) async -> ReconcileResult {
        await events?.record(object, type: event.0, reason: event.1, message: event.2)
        var fields = JSONObject()
        if let generation = ObjectMeta(object).generation { fields["observedGeneration"] = .integer(generation) }
        if let target = ElasticInferencePool.targetName(of: object), !target.isEmpty { fields["target"] = .string("Deployment/\(target)") }
        guard let status = StatusUpdate.write(for: object, fields: fields, conditions: conditions, now: now) else { return ReconcileResult() }
        do throws(KubeError) {
            var result = ReconcileResult()
            result.record(.status, try await writer.apply(status, in: scope))
            return result
        } catch {
            return ReconcileResult(error: error)
        }
    }

    // MARK: Memory across reconciles

    /// Tells the executor which versions the cache shows now, of the pool, its Deployment and its DaemonSet.
    private func settle(_ pool: ElasticInferencePool, _ inputs: PlanInputs) {
        writer.settle(.elasticInferencePools, pool.key, at: pool.resourceVersion)
        writer.settle(inputs.target.resource, inputs.target.key, at: inputs.target.resourceVersion)
        writer.settle(.daemonSets, ObjectKey(namespace: pool.namespace, name: PrePullPlan.name(pool: pool.name)),
                      at: inputs.context.prePullDaemonSet.flatMap { ObjectMeta($0).resourceVersion })
    }

    /// A valid pool and its policy: ``ElasticInferencePool/check(_:cache:)`` of the object, once per
    /// resourceVersion (an object at a given version never changes; a steady pool is validated once,
    /// not every poll).
    private final class ValidPool: Sendable {
        let resourceVersion: String
        let pool: ElasticInferencePool
        let policy: ScalingPolicy

        init(resourceVersion: String, pool: ElasticInferencePool, policy: ScalingPolicy) {
            self.resourceVersion = resourceVersion
            self.pool = pool
            self.policy = policy
        }
    }

    /// Why a pool is not valid.
    private struct InvalidPool: Error {
        let errors: [FieldIssue]
    }

    private func validated(_ object: JSONValue) -> Result<ValidPool, InvalidPool> {
        let meta = ObjectMeta(object)
        if let version = meta.resourceVersion, let hit = checks.withLock({ $0[meta.key] }), hit.resourceVersion == version { return .success(hit) }
        let check = ElasticInferencePool.check(object, cache: expressions)
        guard let pool = check.pool, let policy = check.policy else { return .failure(InvalidPool(errors: check.errors)) }
        let valid = ValidPool(resourceVersion: meta.resourceVersion ?? "", pool: pool, policy: policy)
        if meta.resourceVersion != nil {
            checks.withLock { checks in
                if checks.count > 10_000 { checks.removeAll() }
                checks[meta.key] = valid
            }
        }
        return .success(valid)
    }

    /// Whether `object` is at least as new a generation as any reconciled before (and records it).
    private func isNewest(_ object: JSONValue) -> Bool {
        let meta = ObjectMeta(object)
        guard let uid = meta.uid, let generation = meta.generation else { return true }
        return newestGeneration.withLock { newest in
            if let seen = newest[uid], seen > generation { return false }
            if newest.count > 10_000 { newest.removeAll() }
            newest[uid] = generation
            return true
        }
    }

    private func rememberedState(of pool: ElasticInferencePool) -> ScalingState? {
        guard let remembered = lastStates.withLock({ $0[pool.key] }), remembered.basedOn == pool.resourceVersion else { return nil }
        return remembered.state
    }

    private func remember(_ state: ScalingState, of pool: ElasticInferencePool) {
        lastStates.withLock { states in
            if states.count > 10_000 { states.removeAll() }
            states[pool.key] = (pool.resourceVersion, state)
        }
    }
}

extension String {
    func ifEmpty(_ fallback: String) -> String { isEmpty ? fallback : self }
}
