import Autoscaling
import Foundation
import JSON
import Kube
import Locking

/// Leader election on a `coordination.k8s.io/v1` Lease, as client-go's `leaderelection` does it:
/// acquire when the Lease is free or has not changed for its duration *as observed locally* (so
/// clocks need not agree), renew every retry period, and give up leadership when no renew has
/// succeeded for the renew deadline. Each attempt is bounded by the time left before that deadline
/// (client-go runs each renew round under a context with the deadline), so a Lease request that
/// hangs cannot hold leadership past it; ``release()`` empties the holder so a standby takes over at
/// once (client-go's `ReleaseOnCancel`).
///
/// It is also the process's ``WriteFence``: writes may go out only while this process renewed the
/// Lease, counting from when the renewing request was *sent*, less than the renew deadline ago on
/// the monotonic clock. A standby takes over no sooner than the lease duration after it last saw the
/// Lease change, which was after that request was sent: with client-go's 15 s / 10 s, the old leader
/// stops writing at least 5 s before anyone else may start, whatever its requests are doing.
public final class LeaderElector: WriteFence {
    /// 15 s, 10 s, 2 s: client-go's and controller-runtime's defaults (SPEC §7; controller-runtime's
    /// `defaultLeaseDuration`, `defaultRenewDeadline`, `defaultRetryPeriod` in `pkg/manager/internal.go`).
    public struct Timing: Sendable {
        /// How long a Lease nobody renews is held (written in the Lease, in whole seconds; default 15 s).
        public var leaseDuration: Duration = .seconds(15)
        /// Leadership, and with it every write, is given up when no renew has succeeded for this long (default 10 s).
        public var renewDeadline: Duration = .seconds(10)
        /// Time between attempts to acquire or renew (default 2 s).
        public var retryPeriod: Duration = .seconds(2)
        public init() {}
    }

    let client: KubeClient
    let namespace: String
    let name: String
    /// This candidate's name in the Lease (`hostname_random`).
    public let identity: String
    let timing: Timing
    let log: Logger?
    /// Renew deadlines and expiry are measured on its monotonic time; Lease times are its wall time.
    let clock: any Clock
    /// The Lease record last seen and when it was first seen so (monotonic); nil before any.
    private let observed = Locked<(record: JSONValue?, at: Duration?)>((nil, nil))
    /// Whether this process leads, and when the request of its last successful acquire or renew
    /// was sent (monotonic).
    private let leadership = Locked<(leading: Bool, renewedAt: Duration?)>((false, nil))
    /// The Lease as this process last wrote it: the next renewal updates it directly (client-go's
    /// fast path), without reading it first.
    private let written = Locked<JSONValue?>(nil)
    /// Attempts to acquire or renew under way (for tests that move a manual clock).
    let attempts = Locked(0)
    /// How long ``release()`` may take before the Lease is left to expire instead (3 s).
    static let releaseTimeout: Duration = .seconds(3)

    /// A candidate for the Lease `namespace/name`; renew deadlines run on `clock`'s monotonic time.
    public init(client: KubeClient, namespace: String, name: String, identity: String, timing: Timing = Timing(), log: Logger? = nil,
                clock: any Clock = SystemClock()) {
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.timing = timing
        self.log = log
        self.clock = clock
    }

    /// `hostname_<random>`, as controller-runtime builds identities.
    public static func defaultIdentity() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// This process holds the Lease now (it may still be past its renew deadline: see ``writesBlocked()``).
    public var isLeader: Bool { leadership.withLock { $0.leading } }

    /// nil while this process leads and last renewed the Lease less than the renew deadline ago.
    public func writesBlocked() -> String? {
        let (leading, renewedAt) = leadership.withLock { ($0.leading, $0.renewedAt) }
        guard leading, let renewedAt else { return "this process does not hold the Lease \(namespace)/\(name)" }
        let age = clock.monotonicNow() - renewedAt
        guard age < timing.renewDeadline else {
            return "the Lease \(namespace)/\(name) was last renewed \(Self.seconds(age)) ago, past the renew deadline of \(Self.seconds(timing.renewDeadline))"
        }
        return nil
    }

    /// Waits until this process holds the Lease (trying every retry period).
    public func acquire() async {
        while !Task.isCancelled {
            if await attempt(within: timing.renewDeadline) {
                log?.info("acquired the lease", [("lease", "\(namespace)/\(name)"), ("identity", identity)])
                return
            }
            try? await clock.sleep(for: timing.retryPeriod)
        }
    }

    /// Renews every retry period; returns when leadership is lost (no renew for the renew deadline)
    /// or the task is cancelled. Each attempt may take only the time left before the deadline.
    public func renewUntilLost() async {
        while !Task.isCancelled {
            if timeLeft() > .zero { try? await clock.sleep(for: min(timing.retryPeriod, timeLeft())) }
            if Task.isCancelled { return }
            let left = timeLeft()
            if left > .zero, await attempt(within: left) { continue }
            if timeLeft() <= .zero {
                leadership.withLock { $0.leading = false }
                log?.error("lost the lease", [("lease", "\(namespace)/\(name)"), ("identity", identity),
                                              ("reason", "not renewed within the renew deadline of \(Self.seconds(timing.renewDeadline))")])
                return
            }
        }
    }

    /// Gives the Lease up (holder emptied) so that a standby takes over without waiting it out.
    /// Writes are refused from the moment it starts. Bounded: past ``releaseTimeout`` the Lease is
    /// left to expire.
    public func release() async {
        guard leadership.withLock({ l -> Bool in
            defer { l.leading = false }
            return l.leading
        }) else { return }
        let released = await withTimeLimit(Self.releaseTimeout, clock: clock) { [self] in await emptyHolder() } ?? false
        if released {
            log?.info("released the lease", [("lease", "\(namespace)/\(name)"), ("identity", identity)])
        } else {
            log?.warning("could not release the lease; it expires by itself", [("lease", "\(namespace)/\(name)"), ("identity", identity)])
        }
    }

    private func emptyHolder() async -> Bool {
        var lease = written.withLock { $0 }
        if lease == nil { lease = try? await client.get(.leases, namespace: namespace, name: name) }
        guard let lease, LeaseView(lease).holderIdentity == identity, var o = lease.objectValue else { return false }
        var spec = o["spec"]?.objectValue ?? [:]
        spec["holderIdentity"] = ""
        spec["leaseDurationSeconds"] = 1
        spec["renewTime"] = .string(Self.microTime(clock.now()))
        o["spec"] = .object(spec)
        return (try? await client.replace(.leases, namespace: namespace, name: name, .object(o))) != nil
    }

    /// The renew deadline less the time since the last successful renew (zero or less: past it).
    private func timeLeft() -> Duration {
        guard let renewedAt = leadership.withLock({ $0.renewedAt }) else { return .zero }
        return timing.renewDeadline - (clock.monotonicNow() - renewedAt)
    }

    /// One attempt to acquire or renew, given up after `limit`; on success this process leads,
    /// renewed as of when the attempt started.
    private func attempt(within limit: Duration) async -> Bool {
        attempts.withLock { $0 += 1 }
        defer { attempts.withLock { $0 -= 1 } }
        let started = clock.monotonicNow()
        guard await withTimeLimit(limit, clock: clock, { [self] in await tryAcquireOrRenew() }) == true else { return false }
        leadership.withLock { $0 = (true, started) }
        return true
    }

    /// One attempt: renew ours directly from what we last wrote, else read the Lease and create it,
    /// renew ours, or take over one that expired as we observed it.
    func tryAcquireOrRenew() async -> Bool {
        let now = clock.now()
        let observedNow = clock.monotonicNow()
        // Fast path (client-go's): the leader renews the Lease it last wrote, without reading it.
        if isLeader, let last = written.withLock({ $0 }), var o = last.objectValue {
            var spec = o["spec"]?.objectValue ?? [:]
            spec["renewTime"] = .string(Self.microTime(now))
            spec["leaseDurationSeconds"] = .integer(leaseDurationSeconds)
            o["spec"] = .object(spec)
            if let renewed = try? await client.replace(.leases, namespace: namespace, name: name, .object(o)) {
                remember(renewed, at: observedNow)
                return true
            }
            if Task.isCancelled { return false }
        }
        let current: JSONValue
        do throws(KubeError) {
            current = try await client.get(.leases, namespace: namespace, name: name)
        } catch {
            guard error.kind == .notFound else { return false }
            let lease: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                    "metadata": ["name": .string(name), "namespace": .string(namespace)],
                                    "spec": spec(acquireTime: now, transitions: 0)]
            guard let created = try? await client.create(.leases, namespace: namespace, lease) else { return false }
            remember(created, at: observedNow)
            return true
        }
        let view = LeaseView(current)
        // Expiry is judged by when *we* last saw the record change, not by the times written in it.
        let record = current["spec"]
        let observedAt = observed.withLock { o -> Duration in
            if o.record != record || o.at == nil { o = (record, observedNow) }
            return o.at ?? observedNow
        }
        let holder = view.holderIdentity ?? ""
        let duration = view.leaseDurationSeconds.map { Duration.seconds($0) } ?? timing.leaseDuration
        if holder != identity && !holder.isEmpty && observedNow - observedAt < duration {
            return false
        }
        var updated = current.objectValue ?? [:]
        if holder == identity {
            var s = updated["spec"]?.objectValue ?? [:]
            s["renewTime"] = .string(Self.microTime(now))
            s["leaseDurationSeconds"] = .integer(leaseDurationSeconds)
            updated["spec"] = .object(s)
        } else {
            updated["spec"] = spec(acquireTime: now, transitions: view.leaseTransitions + 1)
        }
        // The resourceVersion read guards against a racing candidate (409 means it won).
        guard let stored = try? await client.replace(.leases, namespace: namespace, name: name, .object(updated)) else { return false }
        remember(stored, at: observedNow)
        return true
    }

    /// What this process wrote: the record it observed, as of `time`, and the object to renew next.
    private func remember(_ lease: JSONValue, at time: Duration) {
        observed.withLock { $0 = (lease["spec"], time) }
        written.withLock { $0 = lease }
    }

    /// `3.2s`.
    static func seconds(_ duration: Duration) -> String { String(format: "%.1fs", duration.inSeconds) }

    /// `spec.leaseDurationSeconds`: the lease duration in whole seconds (at least 1).
    private var leaseDurationSeconds: Int { max(1, Int(timing.leaseDuration.inSeconds.rounded())) }

    private func spec(acquireTime: Timestamp, transitions: Int) -> JSONValue {
        ["holderIdentity": .string(identity), "leaseDurationSeconds": .integer(leaseDurationSeconds),
         "acquireTime": .string(Self.microTime(acquireTime)), "renewTime": .string(Self.microTime(acquireTime)),
         "leaseTransitions": .integer(transitions)]
    }

    /// `metav1.MicroTime`: RFC 3339 with microseconds (`2026-11-27T10:00:00.123456Z`).
    static func microTime(_ time: Timestamp) -> String {
        let whole = time.rfc3339  // …:SS Z, whole seconds
        let seconds = time.secondsSinceEpoch
        let micros = Int(((seconds - seconds.rounded(.down)) * 1e6).rounded(.down))
        let digits = String(micros)
        return String(whole.dropLast()) + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }
}
