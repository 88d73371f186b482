import Autoscaling
import JSON
import Kube
import Locking

/// The one place the controller writes to the API server. Every write of a reconcile passes here:
/// the plan's intents through ``apply(_:)``, Events and anything else through ``send(_:)``, so that
/// what guards writes (today: no repeats from a stale cache; later: the leader's fence, a write rate
/// limit) guards them all.
///
/// ``request(for:)`` says how an intent is sent; `eipctl reconcile --dry-run` prints its answer, so
/// the dry run shows exactly the requests the operator makes.
public final class WriteExecutor: Sendable {
    let client: KubeClient
    /// The last intent applied per kind and object. While the cache still shows the version an
    /// intent was decided from (it has not caught up with our own write yet), the same intent is a
    /// repeat and is not sent again: stale reads make no duplicate writes.
    private let applied = Locked<[Slot: WriteIntent]>([:])
    private struct Slot: Hashable {
        let kind: WriteIntent.Kind
        let object: ObjectKey
    }
    /// Slots kept at most; past it the memory starts over (a repeat is then sent once more, which is harmless).
    static let memoryLimit = 10_000

    /// An executor sending through `client`.
    public init(client: KubeClient) {
        self.client = client
    }

    /// What happened to an intent.
    public enum Outcome: Sendable, Equatable {
        /// Its request went through.
        case sent
        /// It repeats the last one applied for its object, from the same version: not sent again.
        case repeated
    }

    /// Sends an intent's request, unless it repeats the last one applied (``WriteIntent/repeats(_:)``).
    /// Throws the request's ``KubeError``; a failed intent is not remembered, so it is tried again.
    @discardableResult
    public func apply(_ intent: WriteIntent) async throws(KubeError) -> Outcome {
        let slot = Slot(kind: intent.kind, object: intent.object)
        if let last = applied.withLock({ $0[slot] }), intent.repeats(last) { return .repeated }
        _ = try await send(Self.request(for: intent))
        applied.withLock { memory in
            if memory.count >= Self.memoryLimit { memory.removeAll() }
            memory[slot] = intent
        }
        return .sent
    }

    /// Forgets the intents applied to `object` from versions other than `version`, the one the cache
    /// shows now: once the cache has moved on, no intent decided from an older version can come
    /// again, and remembering it would only take memory (a steady fleet remembers nothing).
    public func settle(_ object: ObjectKey, at version: String?) {
        applied.withLock { memory in
            for kind in WriteIntent.Kind.allCases {
                let slot = Slot(kind: kind, object: object)
                if let last = memory[slot], last.basedOn != version { memory[slot] = nil }
            }
        }
    }

    /// Sends one request: every write of the controller passes here.
    @discardableResult
    public func send(_ request: KubeRequest) async throws(KubeError) -> JSONValue {
        try await client.send(request)
    }

    /// The request an intent stands for: its resource, verb, patch type and body.
    public static func request(for intent: WriteIntent) -> KubeRequest {
        switch intent {
        case .patchTemplate(let target, let patch, _, let resource):
            return .patch(resource, namespace: target.namespace, name: target.name, .merge(patch))
        case .scale(let target, let replicas, _, let resource):
            return .scale(resource, namespace: target.namespace, name: target.name, replicas: replicas)
        case .prePull(let daemonSet, .create(let object), _):
            return .create(.daemonSets, namespace: daemonSet.namespace, object)
        case .prePull(let daemonSet, .replace(let object), _):
            return .update(.daemonSets, namespace: daemonSet.namespace, name: daemonSet.name, object)
        case .prePull(let daemonSet, .delete, _):
            return .delete(.daemonSets, namespace: daemonSet.namespace, name: daemonSet.name, propagation: .background)
        case .finalizers(let pool, let finalizers, let resourceVersion):
            var metadata: JSONObject = ["finalizers": .array(finalizers.map(JSONValue.string))]
            if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
            return .patch(.elasticInferencePools, namespace: pool.namespace, name: pool.name, .merge(["metadata": .object(metadata)]))
        case .status(let pool, let fields, _):
            return .patch(.elasticInferencePools, namespace: pool.namespace, name: pool.name, .merge(["status": .object(fields)]), subresource: "status")
        }
    }
}
