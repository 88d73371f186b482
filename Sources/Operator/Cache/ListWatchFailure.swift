import Autoscaling
import Kube
import Locking

/// One failed list or watch of an informer, said the way an operator of a cluster needs to read
/// it: the resource, the verb, the API server's status and its own message, and, for the failures
/// that keep a cache from ever syncing, what is missing (a CRD not installed, a permission not
/// granted, credentials refused, a server out of reach).
public struct ListWatchFailure: Sendable, Equatable {
    /// `list` or `watch`.
    public enum Verb: String, Sendable { case list, watch }

    /// The resource listed or watched.
    public let resource: ResourceRef
    /// Which request failed.
    public let verb: Verb
    /// Its kind (`Forbidden`, `NotFound`, `InternalError`, `ConnectionFailed`, `Gone`, …).
    public let reason: String
    /// The HTTP status, when the API server answered.
    public let statusCode: Int?
    /// The API server's message (its `Status`), or the transport's.
    public let message: String
    /// Seconds the server asked to wait (`Retry-After`), when it did.
    public let retryAfter: Double?

    /// The failure `error` stands for.
    public init(resource: ResourceRef, verb: Verb, error: KubeError) {
        self.resource = resource
        self.verb = verb
        reason = error.kind.description
        statusCode = error.statusCode
        message = error.message
        retryAfter = error.retryAfter
    }

    /// Failures that will not go away by themselves (a missing CRD, RBAC, credentials): said at
    /// `error`; the others (5xx, 429, timeouts, a server restarting) at `warning`.
    public var isPersistent: Bool { [401, 403, 404].contains(statusCode ?? 0) }

    /// What keeps the cache from syncing, in words that name the fix:
    /// `the CRD elasticinferencepools.aiops.example.com is not installed`,
    /// `forbidden: deployments.apps is forbidden: User "…" cannot list resource "deployments" …`.
    public var diagnosis: String {
        switch statusCode {
        case 404? where resource.isCustom:
            return "the CRD \(resource) is not installed (\(verb) \(resource.path(namespace: nil)) answered 404: \(message))"
        case 404?:
            return "the API server does not serve \(resource) (\(verb) answered 404: \(message))"
        case 403?:
            return "forbidden: \(message) (grant the operator's ServiceAccount \(verb) on \(resource))"
        case 401?:
            return "unauthorized: the API server refused the operator's credentials (\(message))"
        case let code?:
            return "\(verb) \(resource) answered \(code) \(reason): \(message)"
        case nil where reason == KubeError.Kind.connectionFailed.description || reason == KubeError.Kind.timedOut.description:
            return "cannot reach the API server: \(message)"
        case nil:
            return "\(verb) \(resource) failed (\(reason)): \(message)"
        }
    }

    /// The fields of its log line: resource, verb, code, reason, the server's message, Retry-After.
    var logFields: [(String, any LogFieldValue)] {
        var fields: [(String, any LogFieldValue)] = [("resource", resource.description), ("verb", verb.rawValue), ("reason", reason)]
        if let statusCode { fields.append(("code", statusCode)) }
        fields.append(("error", message))
        if let retryAfter { fields.append(("retryAfter", retryAfter)) }
        return fields
    }
}

extension ResourceRef {
    /// A resource some CRD defines: its group is a domain outside Kubernetes' own (`*.k8s.io`, and
    /// the single-word built-in groups such as `apps`).
    var isCustom: Bool { group.contains(".") && !group.hasSuffix(".k8s.io") }
}

/// Rate-limits repeated log lines without silencing them, as klog's `HandleError` does for
/// controllers: the first line for a given failure is written at once; the same failure again
/// within `quietPeriod` is only counted, and the next line written for it says how many were not
/// (`repeated`). A different failure is always written at once.
public final class RepeatedLineLimiter: Sendable {
    /// How long identical lines are held back (default 30 s: the reflector's longest backoff, so a
    /// failure that lasts writes about two lines a minute).
    public let quietPeriod: Duration
    let clock: any Clock
    private let seen = Locked<[String: (lastWritten: Duration, held: Int)]>([:])

    /// A limiter on `clock`'s monotonic time.
    public init(quietPeriod: Duration = .seconds(30), clock: any Clock = SystemClock()) {
        self.quietPeriod = quietPeriod
        self.clock = clock
    }

    /// Whether to write the line identified by `key` now, and how many like it were held back
    /// since the last one written (nil: write nothing now).
    public func admit(_ key: String) -> Int? {
        let now = clock.monotonicNow()
        return seen.withLock { seen -> Int? in
            if let last = seen[key], now - last.lastWritten < quietPeriod {
                seen[key]?.held += 1
                return nil
            }
            let held = seen[key]?.held ?? 0
            if seen.count > 1000 { seen.removeAll() }
            seen[key] = (now, 0)
            return held
        }
    }

    /// Forgets everything (after a recovery: the next failure is news).
    public func reset() { seen.withLock { $0.removeAll() } }
}
