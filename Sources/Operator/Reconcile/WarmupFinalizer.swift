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
    let client: KubeClient
    let deployments: Informer
    let events: EventRecorder?
    /// Failed cleanups by pool uid.
    private let failures = Locked<[String: Int]>([:])

    init(client: KubeClient, deployments: Informer, events: EventRecorder?) {
        self.client = client
        self.deployments = deployments
        self.events = events
    }

    static func finalizers(of object: JSONValue) -> [String] { ObjectMeta(object).finalizers }

    static func isDeleting(_ object: JSONValue) -> Bool { ObjectMeta(object).isBeingDeleted }

    /// Adds the finalizer to a pool that lacks it (the list is replaced whole, so the patch carries
    /// the resourceVersion: a finalizer someone else adds meanwhile is not lost, we get a 409).
    func ensure(on object: JSONValue) async throws(KubeError) -> Bool {
        let current = Self.finalizers(of: object)
        guard !current.contains(Defaults.warmupFinalizer) else { return false }
        try await setFinalizers(object, to: current + [Defaults.warmupFinalizer])
        return true
    }

    /// Cleans up for a pool being deleted, then releases it. Throws to be retried (rate-limited).
    func finalize(_ object: JSONValue) async throws(KubeError) {
        guard Self.finalizers(of: object).contains(Defaults.warmupFinalizer) else { return }  // not ours to hold
        let meta = ObjectMeta(object)
        let namespace = meta.namespace ?? "default"
        let uid = meta.uid ?? "\(namespace)/\(meta.name)"
        let target = ElasticInferencePool.targetName(of: object) ?? ""

        // Take the owned init containers (and the ownership annotation) out of the Deployment.
        if !target.isEmpty, let deployment = deployments.get(namespace: namespace, name: target).flatMap(DeploymentView.init),
           let patch = WarmupPlan.plan(WarmupStrategy(), for: deployment).patch {
            do throws(KubeError) {
                _ = try await client.patch(.deployments, namespace: namespace, name: target, .merge(patch))
                await events?.record(object, type: .normal, reason: "WarmupRemoved",
                                     message: "removed init containers \(deployment.ownedInitContainerNames.joined(separator: ", ")) from Deployment \(target)")
            } catch where error.kind == .notFound {
                // Gone meanwhile: nothing left to clean.
            } catch {
                let attempts = failures.withLock { f -> Int in
                    f[uid, default: 0] += 1
                    return f[uid] ?? 0
                }
                guard attempts >= Defaults.cleanupAttempts else { throw error }
                await events?.record(object, type: .warning, reason: "CleanupFailed",
                                     message: "could not remove init containers \(deployment.ownedInitContainerNames.joined(separator: ", ")) from Deployment \(target) after \(attempts) attempts (\(error.message)); releasing the pool, remove them by hand")
            }
        }

        // Let the pool go (already gone is as good).
        do throws(KubeError) {
            try await setFinalizers(object, to: Self.finalizers(of: object).filter { $0 != Defaults.warmupFinalizer })
        } catch where error.kind == .notFound {
        }
        failures.withLock { _ = $0.removeValue(forKey: uid) }
    }

    private func setFinalizers(_ object: JSONValue, to finalizers: [String]) async throws(KubeError) {
        let meta = ObjectMeta(object)
        var metadata: JSONObject = ["finalizers": .array(finalizers.map(JSONValue.string))]
        if let rv = meta.resourceVersion { metadata["resourceVersion"] = .string(rv) }
        _ = try await client.patch(.elasticInferencePools, namespace: meta.namespace, name: meta.name, .merge(["metadata": .object(metadata)]))
    }
}
