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
    func ensure(on object: JSONValue) async throws(KubeError) {
        let meta = ObjectMeta(object)
        guard !meta.finalizers.contains(Defaults.warmupFinalizer) else { return }
        try await writer.apply(.finalizers(pool: meta.key, meta.finalizers + [Defaults.warmupFinalizer], basedOn: meta.resourceVersion))
    }

    /// Cleans up for a pool being deleted, then releases it. Throws to be retried (rate-limited).
    func finalize(_ object: JSONValue) async throws(KubeError) {
        let meta = ObjectMeta(object)
        guard meta.finalizers.contains(Defaults.warmupFinalizer) else { return }  // not ours to hold
        let uid = meta.uid ?? meta.key.description

        // Take the owned init containers (and the ownership annotation) out of the Deployment, unless
        // an older pool holds it: then they are that pool's, and this one never wrote to it.
        let holder = try await ElasticInferencePool.target(of: object) == nil ? nil
            : TargetClaims.holder(over: object, among: reader.objects(.elasticInferencePools, namespace: meta.namespace ?? "default"))
        if holder == nil, let target = ElasticInferencePool.target(of: object),
           let deployment = try await reader.object(.deployments, target).flatMap(DeploymentView.init),
           let patch = WarmupPlan.plan(WarmupStrategy(), for: deployment).patch {
            do throws(KubeError) {
                try await writer.apply(.patchTemplate(deployment: target, patch: patch, basedOn: deployment.resourceVersion))
                await events?.record(object, type: .normal, reason: "WarmupRemoved",
                                     message: "removed init containers \(deployment.ownedInitContainerNames.joined(separator: ", ")) from Deployment \(target.name)")
            } catch where error.kind == .notFound {
                // Gone meanwhile: nothing left to clean.
            } catch {
                let attempts = failures.withLock { f -> Int in
                    f[uid, default: 0] += 1
                    return f[uid] ?? 0
                }
                guard attempts >= Defaults.cleanupAttempts else { throw error }
                await events?.record(object, type: .warning, reason: "CleanupFailed",
                                     message: "could not remove init containers \(deployment.ownedInitContainerNames.joined(separator: ", ")) from Deployment \(target.name) after \(attempts) attempts (\(error.message)); releasing the pool, remove them by hand")
            }
        }

        // Let the pool go (already gone is as good).
        do throws(KubeError) {
            try await writer.apply(.finalizers(pool: meta.key, meta.finalizers.filter { $0 != Defaults.warmupFinalizer }, basedOn: meta.resourceVersion))
        } catch where error.kind == .notFound {
        }
        failures.withLock { _ = $0.removeValue(forKey: uid) }
    }
}
