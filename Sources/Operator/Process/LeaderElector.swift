import Autoscaling
import Foundation
import JSON
import Kube
import Locking

/// Leader election on a `coordination.k8s.io/v1` Lease, as client-go does it: acquire when the
/// Lease is free or has not changed for its duration *as observed locally* (so clocks need not
/// agree), renew every retry period, and give up leadership when a renew has not succeeded for the
/// renew deadline. ``release()`` empties the holder so a standby takes over at once.
public final class LeaderElector: Sendable {
    /// 15 s, 10 s, 2 s: client-go's and controller-runtime's defaults (SPEC §7).
    public struct Timing: Sendable {
        /// How long a Lease nobody renews is held (written in the Lease, in whole seconds; default 15 s).
        public var leaseDuration: Duration = .seconds(15)
        /// Leadership is given up when no renew has succeeded for this long (default 10 s).
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
    private let leading = Locked(false)

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

    /// This process holds the Lease now.
    public var isLeader: Bool { leading.withLock { $0 } }

    /// Waits until this process holds the Lease (trying every retry period).
    public func acquire() async {
        while !Task.isCancelled {
            if await tryAcquireOrRenew() {
                leading.withLock { $0 = true }
                log?.info("acquired the lease", [("lease", "\(namespace)/\(name)"), ("identity", identity)])
                return
            }
            try? await clock.sleep(for: timing.retryPeriod)
        }
    }

    /// Renews every retry period; returns when leadership is lost (no renew for the renew deadline)
    /// or the task is cancelled.
    public func renewUntilLost() async {
        var lastRenew = clock.monotonicNow()
        while !Task.isCancelled {
            try? await clock.sleep(for: timing.retryPeriod)
            if Task.isCancelled { return }
            if await tryAcquireOrRenew() {
                lastRenew = clock.monotonicNow()
            } else if clock.monotonicNow() - lastRenew > timing.renewDeadline {
                leading.withLock { $0 = false }
                log?.error("lost the lease", [("lease", "\(namespace)/\(name)"), ("identity", identity)])
                return
            }
        }
    }

    /// Gives the Lease up (holder emptied) so that a standby takes over without waiting it out.
    public func release() async {
        guard leading.withLock({ $0 }) else { return }
        leading.withLock { $0 = false }
        guard let lease = try? await client.get(.leases, namespace: namespace, name: name),
              LeaseView(lease).holderIdentity == identity, var o = lease.objectValue else { return }
        var spec = o["spec"]?.objectValue ?? [:]
        spec["holderIdentity"] = ""
        spec["leaseDurationSeconds"] = 1
        spec["renewTime"] = .string(Self.microTime(clock.now()))
        o["spec"] = .object(spec)
        _ = try? await client.replace(.leases, namespace: namespace, name: name, .object(o))
        log?.info("released the lease", [("lease", "\(namespace)/\(name)"), ("identity", identity)])
    }

    /// One attempt: create the Lease, renew ours, or take over one that expired as we observed it.
    func tryAcquireOrRenew() async -> Bool {
        let now = clock.now()
        let observedNow = clock.monotonicNow()
        let current: JSONValue
        do throws(KubeError) {
            current = try await client.get(.leases, namespace: namespace, name: name)
        } catch {
            guard error.kind == .notFound else { return false }
            let lease: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                    "metadata": ["name": .string(name), "namespace": .string(namespace)],
                                    "spec": spec(acquireTime: now, transitions: 0)]
            return (try? await client.create(.leases, namespace: namespace, lease)) != nil
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
        guard let written = try? await client.replace(.leases, namespace: namespace, name: name, .object(updated)) else { return false }
        observed.withLock { $0 = (written["spec"], observedNow) }
        return true
    }

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
