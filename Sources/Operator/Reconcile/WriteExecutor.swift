import Autoscaling
import JSON
import Kube
import Locking

/// The one place the controller writes to the API server. Every write of a reconcile passes here:
/// the plan's intents through ``apply(_:)``, Events and anything else through ``send(_:)``; so what
/// guards writes guards them all, in this order:
///
/// 1. **The cache has caught up with our own writes** (``apply(_:)``, ``WriteExpectations``): once
///    an intent has changed an object, intents decided from a version older than the one that write
///    produced are not sent (``Outcome/awaitingCache``, or ``Outcome/repeated`` for the same intent
///    again) until the informer's cache shows the write (``settle(_:at:)``): after an outage the
///    cache lags, and a plan from it would undo, repeat or step twice what the operator just did.
///    After a write with no clear answer (a timeout), the object is read live before the same
///    change is sent again from the same version.
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
    /// What it remembers of its own writes until the cache shows them.
    let expectations: WriteExpectations
    private let fenced = Locked(0)
    /// No write before this (monotonic): the `Retry-After` of the last write the server throttled.
    private let notBefore = Locked<Duration?>(nil)

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
        expectations = WriteExpectations(clock: clock)
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

    /// A new scope, for the writes of one reconcile: what some of them write does not hold back
    /// the others (they were decided together, from the same reads).
    public func scope() -> WriteScope { expectations.scope() }

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
        let held = intents.map { expectations.heldBack($0, in: scope) }
        for (intent, hold) in zip(intents, held) {
            if let hold {
                result.outcomes.append(hold)
                continue
            }
            do throws(KubeError) {
                if try await wentThroughBefore(intent) {
                    result.outcomes.append(.awaitingCache)
                    continue
                }
                written.append((intent, try await send(Self.request(for: intent))))
                result.outcomes.append(.sent)
            } catch {
                // Without a clear answer the write may have been applied: read before sending it again.
                if error.outcomeUnknown { expectations.markUnsure(intent) }
                result.error = error
                break
            }
        }
        expectations.remember(written, in: scope)
        return result
    }

    /// After a write to the object whose outcome is unknown, decided from the same version as
    /// `intent`: reads the object live. Changed since that version (our write went through, or
    /// someone else's did): true, and intents from that version wait for the cache to show it, so
    /// the same change is neither sent nor announced twice. Unchanged: false, send it.
    private func wentThroughBefore(_ intent: WriteIntent) async throws(KubeError) -> Bool {
        guard expectations.isUnsure(intent) else { return false }
        let live: String?
        do throws(KubeError) {
            let object = try await client.get(intent.resource, namespace: intent.object.namespace, name: intent.object.name)
            live = object["metadata"]?["resourceVersion"]?.stringValue
        } catch where error.kind == .notFound {
            live = nil
        }
        return expectations.resolveUnsure(intent, live: live)
    }

    /// Tells the executor which version of `object` (of `resource`) the cache shows now (nil: none):
    /// once it shows our last write, intents decided from it may go (``WriteExpectations/settle(_:_:at:)``).
    public func settle(_ resource: ResourceRef, _ object: ObjectKey, at version: String?) {
        expectations.settle(WrittenObject(resource: resource, key: object), at: version)
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

    /// The request an intent stands for: its resource, verb, patch type and body. Every write names
    /// the operator's field manager (``Defaults/fieldManager``), so `managedFields` shows what it owns:
    /// - the warmup's template edits are a **server-side apply** with `force=true`: the init containers
    ///   and annotation are the pool's to declare (the operator never takes a name the workload uses
    ///   for its own, ``WarmupPlan/clashes``), so a conflict on them is someone's hand edit the pool
    ///   must win, as the API documentation advises controllers ("Using Server-Side Apply in a
    ///   controller"); the body's resourceVersion keeps the clash check true at write time;
    /// - `spec.replicas` through `scale`, the finalizer and the status are `Update`s (merge patches),
    ///   as kube-controller-manager's HPA writes `scale`: they take the field and never conflict.
    public static func request(for intent: WriteIntent) -> KubeRequest {
        var request: KubeRequest
        switch intent {
        case .patchTemplate(let target, let configuration, _, let resource):
            return .patch(resource, namespace: target.namespace, name: target.name, .apply(configuration, fieldManager: Defaults.fieldManager, force: true))
        case .scale(let target, let replicas, _, let resource):
            request = .scale(resource, namespace: target.namespace, name: target.name, replicas: replicas)
        case .prePull(let daemonSet, .create(let object), _):
            request = .create(.daemonSets, namespace: daemonSet.namespace, object)
        case .prePull(let daemonSet, .replace(let object), _):
            request = .update(.daemonSets, namespace: daemonSet.namespace, name: daemonSet.name, object)
        case .prePull(let daemonSet, .delete, _):
            return .delete(.daemonSets, namespace: daemonSet.namespace, name: daemonSet.name, propagation: .background)
        case .finalizers(let pool, let finalizers, let resourceVersion):
            var metadata: JSONObject = ["finalizers": .array(finalizers.map(JSONValue.string))]
            if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
            request = .patch(.elasticInferencePools, namespace: pool.namespace, name: pool.name, .merge(["metadata": .object(metadata)]))
        case .status(let pool, let fields, _):
            request = .patch(.elasticInferencePools, namespace: pool.namespace, name: pool.name, .merge(["status": .object(fields)]), subresource: "status")
        }
        request.query.append(KubeRequest.QueryItem("fieldManager", Defaults.fieldManager))
        return request
    }
}

extension KubeError {
    /// The request may or may not have been applied: it timed out, its connection broke, or the
    /// server failed inside (500, 504). A 429, a 503 and the 4xx answers are refusals: not applied.
    var outcomeUnknown: Bool {
        [.timedOut, .connectionFailed, .transport, .serverTimeout, .internalError, .malformedResponse].contains(kind)
    }
}
