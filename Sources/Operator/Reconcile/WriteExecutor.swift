import Autoscaling
import JSON
import Kube
import Locking

/// The one place the controller writes to the API server. Every write of a reconcile passes here:
/// the plan's intents through ``apply(_:)``, Events and anything else through ``send(_:)``; so what
/// guards writes guards them all, in this order:
///
/// 1. **The cache has caught up with our own writes** (``apply(_:)``): once an intent has changed an
///    object, intents decided from a version older than the one that write produced are not sent
///    (``Outcome/awaitingCache``, or ``Outcome/repeated`` for the same intent again) until the
///    informer's cache shows the write (``settle(_:at:)``). This is client-go's mutation cache
///    (`tools/cache/mutation_cache.go`: integer resourceVersions compared, a 5 minute TTL) and the
///    expectations of kube-controller-manager's controllers (`ExpectationsTimeout`, 5 minutes):
///    after an outage the cache lags, and a plan from it would undo, repeat or step twice what the
///    operator just did. resourceVersions are compared as integers, as that cache compares them
///    (etcd's revisions); a server with other versions is compared by equality with the replaced one.
/// 2. **The client-side rate limit** (``send(_:)``): a token bucket, 20 writes/s with bursts of 30
///    (kube-controller-manager's `--kube-api-qps`/`--kube-api-burst`; client-go's own default is
///    5/10, and controller-runtime turns it off to rely on API Priority and Fairness). A write
///    waits for its token, as a client-go request does.
/// 3. **The server's `Retry-After`** (``send(_:)``): once a write is answered 429 or 5xx with
///    `Retry-After: N`, no write goes out for N seconds: one tried sooner fails at once with
///    `.tooManyRequests` and the time left, and is retried no sooner (client-go's rest client waits
///    the time out before retrying, `rest/with_retry.go`; failing instead holds no worker).
/// 4. **The fence** (``send(_:)``): checked after the wait, right before the request goes out. With
///    leader election, only a process that renewed the Lease within the renew deadline writes;
///    otherwise the write fails with `.notLeader` and is counted (``refusedByFence``).
///
/// ``request(for:)`` says how an intent is sent; `eipctl reconcile --dry-run` prints its answer, so
/// the dry run shows exactly the requests the operator makes.
public final class WriteExecutor: Sendable {
    let client: KubeClient
    let fence: (any WriteFence)?
    let limiter: TokenBucketRateLimiter<Int>?
    let clock: any Clock
    /// The last intent applied per kind and object (to tell a repeat from a new intent).
    private let applied = Locked<[Slot: WriteIntent]>([:])
    private struct Slot: Hashable {
        let kind: WriteIntent.Kind
        let object: ObjectKey
    }
    /// Per object written: the version our write replaced and the one it produced (nil: deleted),
    /// and when (monotonic). Until the cache shows the write, the cache lags it.
    private let expectations = Locked<[ObjectKey: Expectation]>([:])
    struct Expectation {
        /// The version the first write of the scope was decided from (nil: the object did not exist).
        let replaced: String?
        /// The version the last write produced (nil: it deleted the object).
        let written: String?
        let at: Duration
        /// The reconcile whose writes these were: they do not hold back each other.
        let scope: WriteScope

        /// Whether a cache showing `version` (nil: no object) has not yet seen the write.
        func lags(_ version: String?) -> Bool {
            guard let version else {
                // No object: our create not seen yet; or, after our update or delete, gone: caught up.
                return replaced == nil && written != nil
            }
            if let shown = Int(version), let written = written.flatMap({ Int($0) }) { return shown < written }
            if let shown = Int(version), written == nil, let replaced = replaced.flatMap({ Int($0) }) { return shown <= replaced }
            return version == replaced
        }
    }
    private let fenced = Locked(0)
    private let scopes = Locked<UInt64>(0)
    /// No write before this (monotonic): the `Retry-After` of the last write the server throttled.
    private let notBefore = Locked<Duration?>(nil)
    /// Objects remembered at most; past it the memory starts over (a held intent may then be sent
    /// once from a lagging cache, as before the expectation).
    static let memoryLimit = 10_000
    /// How long a write waits for the cache to show it before intents go out anyway (5 min:
    /// kube-controller-manager's `ExpectationsTimeout`).
    public static let expectationTimeout: Duration = .seconds(300)

    /// The client-side write rate limit (kube-controller-manager's `--kube-api-qps` 20, `--kube-api-burst` 30).
    public struct RateLimit: Sendable {
        /// Writes per second, sustained (default 20).
        public var writesPerSecond: Double = 20
        /// Writes at once after a quiet spell (default 30).
        public var burst = 30
        public init() {}
    }

    /// An executor sending through `client`; with a `fence`, only while it allows; at most
    /// `rateLimit` (nil: no client-side limit); waits and expectations on `clock`.
    public init(client: KubeClient, fence: (any WriteFence)? = nil, rateLimit: RateLimit? = RateLimit(), clock: any Clock = SystemClock()) {
        self.client = client
        self.fence = fence
        self.clock = clock
        limiter = rateLimit.map { TokenBucketRateLimiter<Int>(rate: $0.writesPerSecond, burst: $0.burst, clock: clock) }
    }

    /// What happened to an intent.
    public enum Outcome: Sendable, Equatable {
        /// Its request went through.
        case sent
        /// It repeats the last one applied for its object, from the same version: not sent again.
        case repeated
        /// It was decided from a version of its object that our own write has replaced, which the
        /// cache has not shown yet: not sent (the cache's next change brings a fresh decision).
        case awaitingCache
    }

    /// The writes of one reconcile, decided together from the same reads: what some of them write
    /// does not hold back the others (a finalizer added, then status written, on the same pool).
    public struct WriteScope: Sendable, Hashable {
        let id: UInt64
    }

    /// A new scope, for the writes of one reconcile.
    public func scope() -> WriteScope {
        WriteScope(id: scopes.withLock { $0 += 1; return $0 })
    }

    /// Sends an intent's request, unless the cache has not caught up with what was last written to
    /// its object by an earlier scope (``Outcome/repeated``, ``Outcome/awaitingCache``). Throws the
    /// request's ``KubeError`` (`.notLeader` from the fence); a failed intent is not remembered, so
    /// it is tried again.
    @discardableResult
    public func apply(_ intent: WriteIntent, in scope: WriteScope? = nil) async throws(KubeError) -> Outcome {
        let applied = await apply([intent], in: scope)
        if let error = applied.error { throw error }
        return applied.outcomes.first ?? .sent
    }

    /// What applying a plan's intents came to.
    public struct Applied: Sendable {
        /// Per intent tried, in order (those after a failure are not tried).
        public var outcomes: [Outcome] = []
        /// The failure that stopped the rest, if any.
        public var error: KubeError?
    }

    /// Applies one plan's intents in order, stopping at the first failure. The intents of one scope
    /// (by default, the batch) are decided together, so the cache check is made against what was
    /// written by *other* scopes (a template patch and a scale of the same Deployment, both from its
    /// version as read, go out together); what they write holds back later scopes until the cache
    /// has caught up.
    public func apply(_ intents: [WriteIntent], in scope: WriteScope? = nil) async -> Applied {
        let scope = scope ?? self.scope()
        var result = Applied()
        var written: [(WriteIntent, JSONValue)] = []
        let held = intents.map { heldBack($0, in: scope) }
        for (intent, hold) in zip(intents, held) {
            if let hold {
                result.outcomes.append(hold)
                continue
            }
            do throws(KubeError) {
                written.append((intent, try await send(Self.request(for: intent))))
                result.outcomes.append(.sent)
            } catch {
                result.error = error
                break
            }
        }
        remember(written, in: scope)
        return result
    }

    /// Why an intent must wait for the cache, or nil when it may go.
    private func heldBack(_ intent: WriteIntent, in scope: WriteScope) -> Outcome? {
        let now = clock.monotonicNow()
        guard let expected = expectations.withLock({ $0[intent.object] }), expected.scope != scope, now - expected.at < Self.expectationTimeout,
              expected.lags(intent.basedOn) else { return nil }
        let last = applied.withLock { $0[Slot(kind: intent.kind, object: intent.object)] }
        return last.map(intent.repeats) == true ? .repeated : .awaitingCache
    }

    /// Records what went out: per object, the version the plan's first write to it was decided
    /// from, and the version its last write produced.
    private func remember(_ written: [(WriteIntent, JSONValue)], in scope: WriteScope) {
        guard !written.isEmpty else { return }
        let now = clock.monotonicNow()
        var versions: [ObjectKey: (replaced: String?, written: String?)] = [:]
        for (intent, answer) in written {
            // A deletion produces no version; every other write answers the object (a Scale carries
            // its Deployment's resourceVersion).
            let produced: String?
            if case .prePull(_, .delete, _) = intent { produced = nil } else { produced = answer["metadata"]?["resourceVersion"]?.stringValue }
            versions[intent.object] = (versions[intent.object].map { $0.replaced } ?? intent.basedOn, produced)
        }
        applied.withLock { memory in
            if memory.count >= Self.memoryLimit { memory.removeAll() }
            for (intent, _) in written { memory[Slot(kind: intent.kind, object: intent.object)] = intent }
        }
        expectations.withLock { memory in
            if memory.count >= Self.memoryLimit { memory.removeAll() }
            for (object, v) in versions {
                // A scope's earlier write to the same object keeps the version it replaced.
                let replaced = memory[object].flatMap { $0.scope == scope ? .some($0.replaced) : nil } ?? v.replaced
                memory[object] = Expectation(replaced: replaced, written: v.written, at: now, scope: scope)
            }
        }
    }

    /// Tells the executor which version of `object` the cache shows now (nil: none). Once it shows
    /// our last write (that version or a later one), intents decided from it may go, and what was
    /// applied from older versions is forgotten (a steady fleet remembers nothing).
    public func settle(_ object: ObjectKey, at version: String?) {
        let caughtUp = expectations.withLock { memory -> Bool in
            guard let expected = memory[object] else { return true }
            guard !expected.lags(version) else { return false }
            memory[object] = nil
            return true
        }
        guard caughtUp else { return }
        applied.withLock { memory in
            for kind in WriteIntent.Kind.allCases {
                let slot = Slot(kind: kind, object: object)
                if let last = memory[slot], last.basedOn != version { memory[slot] = nil }
            }
        }
    }

    /// Sends one request, after the rate limit's wait and the server's `Retry-After`, and past the
    /// fence: every write of the controller passes here. Throws `.notLeader` when the fence refuses
    /// it, `.cancelled` when the task is cancelled while it waits for its turn.
    @discardableResult
    public func send(_ request: KubeRequest) async throws(KubeError) -> JSONValue {
        if let until = notBefore.withLock({ $0 }), until > clock.monotonicNow() {
            // Not before the server said: fail at once (the caller retries no sooner), holding no worker.
            let left = until - clock.monotonicNow()
            throw KubeError(.tooManyRequests, "\(request.method) \(request.resource) not sent: the API server asked to wait \(LeaderElector.seconds(left)) more (Retry-After)",
                            retryAfter: left.inSeconds)
        }
        if let wait = limiter?.when(0), wait > .zero {
            do { try await clock.sleep(for: wait) } catch { throw KubeError(.cancelled, "cancelled while waiting for the write rate limit") }
        }
        if let fence, let reason = fence.writesBlocked() {
            fenced.withLock { $0 += 1 }
            throw KubeError(.notLeader, "\(request.method) \(request.resource) not sent: \(reason)")
        }
        do throws(KubeError) {
            return try await client.send(request)
        } catch {
            if let asked = error.retryAfterDuration {
                let until = clock.monotonicNow() + asked
                notBefore.withLock { $0 = max($0 ?? until, until) }
            }
            throw error
        }
    }

    /// Writes the fence refused so far.
    public var refusedByFence: Int { fenced.withLock { $0 } }

    /// The request an intent stands for: its resource, verb, patch type and body.
    public static func request(for intent: WriteIntent) -> KubeRequest {
        switch intent {
        case .patchTemplate(let deployment, let patch, _):
            return .patch(.deployments, namespace: deployment.namespace, name: deployment.name, .merge(patch))
        case .scale(let deployment, let replicas, _):
            return .scale(.deployments, namespace: deployment.namespace, name: deployment.name, replicas: replicas)
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
