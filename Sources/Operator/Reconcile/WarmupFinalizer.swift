import Autoscaling
import JSON
import Kube
import Locking

/// The pool's finalizer (SPEC §5): a pool being deleted first takes the operator's init containers
/// back out of its Deployment (when it still exists), then lets the pool go. The pre-pull DaemonSet
/// needs nothing: its owner reference hands it to the garbage collector. A cleanup that keeps
/// failing (a forbidden write, a Deployment that keeps changing) is abandoned after
/// `Defaults.cleanupAttempts` tries, with a warning Event naming what was left behind: a finalizer
/// must never hold a deletion forever.
final class WarmupFinalizer: Sendable {
    let reader: any ObjectReader
    let writer: WriteExecutor
    let events: EventRecorder?
    /// Failed cleanups by pool uid.
    private let failures = Locked<[String: Int]>([:])

    init(reader: any ObjectReader, writer: WriteExecutor, events: EventRecorder?) {
        self.reader = reader
        self.writer = writer
        self.events = events
    }

    /// Adds the finalizer to a pool that lacks it (the list is replaced whole, so the write carries
    /// the resourceVersion: a finalizer someone else adds meanwhile is not lost, we get a 409).
    func ensure(on object: JSONValue, in scope: WriteScope? = nil) async throws(KubeError) {
        let meta = ObjectMeta(object)
        guard !meta.finalizers.contains(Defaults.warmupFinalizer) else { return }
        try await writer.apply(.finalizers(pool: meta.key, meta.finalizers + [Defaults.warmupFinalizer], basedOn: meta.resourceVersion), in: scope)
    }

    /// Cleans up for a pool being deleted, then releases it: true when done (or not ours to hold),
    /// false when a write had to wait for the cache to show our own last write to its object (the
    /// Deployment we just patched, the pool we just wrote): try again shortly; nothing is released
    /// before its cleanup has gone out. Throws to be retried (rate-limited).
    func finalize(_ object: JSONValue, in scope: WriteScope? = nil) async throws(KubeError) -> Bool {
        let meta = ObjectMeta(object)
        guard meta.finalizers.contains(Defaults.warmupFinalizer) else { return true }  // not ours to hold
        let uid = meta.uid ?? meta.key.description

        // Take the owned init containers (and the ownership annotation) out of the workload (only a
        // kind with known pod templates ever got them), unless an older pool holds it: then they are
        // that pool's, and this one never wrote to it.
        var holder: JSONValue?
        if let target = ElasticInferencePool.target(of: object) {
            let onTarget = try await reader.objects(.elasticInferencePools, namespace: target.namespace, indexedBy: PoolController.poolsByTarget,
                                                    value: target.description)
            holder = TargetClaims.holder(over: object, among: onTarget)
        }
        if holder == nil, let target = ElasticInferencePool.target(of: object), let kind = ElasticInferencePool.knownTargetKind(of: object),
           let workload = try await self.workload(kind, target),
           let patch = WarmupPlan.plan(WarmupStrategy(), for: workload).patch {
            do throws(KubeError) {
                let outcome = try await writer.apply(.patchTemplate(target: target, patch: patch, basedOn: workload.resourceVersion, resource: workload.resource),
                                                     in: scope)
                guard outcome != .awaitingCache else { return false }
                await events?.record(object, type: .normal, reason: "WarmupRemoved",
                                     message: "removed init containers \(workload.ownedInitContainerNames.joined(separator: ", ")) from \(kind.kind) \(target.name)")
            } catch where error.kind == .notFound {
                // Gone meanwhile: nothing left to clean.
            } catch {
                let attempts = failures.withLock { f -> Int in
                    f[uid, default: 0] += 1
                    return f[uid] ?? 0
                }
                guard attempts >= Defaults.cleanupAttempts else { throw error }
                await events?.record(object, type: .warning, reason: "CleanupFailed",
                                     message: "could not remove init containers \(workload.ownedInitContainerNames.joined(separator: ", ")) from \(kind.kind) \(target.name) after \(attempts) attempts (\(error.message)); releasing the pool, remove them by hand")
            }
        }

        // Let the pool go (already gone is as good).
        do throws(KubeError) {
            let release = WriteIntent.finalizers(pool: meta.key, meta.finalizers.filter { $0 != Defaults.warmupFinalizer }, basedOn: meta.resourceVersion)
            guard try await writer.apply(release, in: scope) != .awaitingCache else { return false }
        } catch where error.kind == .notFound {
        }
        failures.withLock { _ = $0.removeValue(forKey: uid) }
        return true
    }

    /// The workload as read (a Deployment from the cache; a StatefulSet or LeaderWorkerSet from the
    /// API server): only its templates and annotations matter here.
    private func workload(_ kind: WorkloadKind, _ key: ObjectKey) async throws(KubeError) -> WorkloadView? {
        if kind == .deployment { return try await reader.object(.deployments, key).flatMap(DeploymentView.init).map(WorkloadView.init) }
        guard let resource = kind.knownResource, let object = try await reader.object(resource, key)?.objectValue else { return nil }
        return WorkloadView(kind: kind, resource: resource, object: object, scale: ["metadata": object["metadata"] ?? [:]], pods: [])
    }
}
