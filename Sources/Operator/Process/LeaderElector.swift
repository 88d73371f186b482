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
    public struct Timing: Sendable {
        /// 15 s, 10 s, 2 s: client-go's and controller-runtime's defaults (SPEC §7).
        public var leaseDuration = 15.0
        public var renewDeadline = 10.0
        public var retryPeriod = 2.0
        public init() {}
    }

    let client: KubeClient
    let namespace: String
    let name: String
    public let identity: String
    let timing: Timing
    let log: Logger?
    private let observed = Locked<(record: JSONValue?, at: Date)>((nil, Date.distantPast))
    private let leading = Locked(false)

    public init(client: KubeClient, namespace: String, name: String, identity: String, timing: Timing = Timing(), log: Logger? = nil) {
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.timing = timing
        self.log = log
    }

    /// `hostname_<random>`, as controller-runtime builds identities.
    public static func defaultIdentity() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    public var isLeader: Bool { leading.withLock { $0 } }

    /// Waits until this process holds the Lease (trying every retry period).
    public func acquire() async {
        while !Task.isCancelled {
            if await tryAcquireOrRenew() {
                leading.withLock { $0 = true }
                log?.info("acquired the lease", [("lease", "\(namespace)/\(name)"), ("identity", identity)])
                return
            }
            try? await Task.sleep(nanoseconds: UInt64(timing.retryPeriod * 1e9))
        }
    }

    /// Renews every retry period; returns when leadership is lost (no renew for the renew deadline)
    /// or the task is cancelled.
    public func renewUntilLost() async {
        var lastRenew = Date()
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(timing.retryPeriod * 1e9))
            if Task.isCancelled { return }
            if await tryAcquireOrRenew() {
                lastRenew = Date()
            } else if Date().timeIntervalSince(lastRenew) > timing.renewDeadline {
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
        spec["renewTime"] = .string(Self.microTime(Date()))
        o["spec"] = .object(spec)
        _ = try? await client.replace(.leases, namespace: namespace, name: name, .object(o))
        log?.info("released the lease", [("lease", "\(namespace)/\(name)"), ("identity", identity)])
    }

    /// One attempt: create the Lease, renew ours, or take over one that expired as we observed it.
    func tryAcquireOrRenew() async -> Bool {
        let now = Date()
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
        let observedAt = observed.withLock { o -> Date in
            if o.record != record { o = (record, now) }
            return o.at
        }
        let holder = view.holderIdentity ?? ""
        let duration = Double(view.leaseDurationSeconds ?? Int(timing.leaseDuration))
        if holder != identity && !holder.isEmpty && now.timeIntervalSince(observedAt) < duration {
            return false
        }
        var updated = current.objectValue ?? [:]
        if holder == identity {
            var s = updated["spec"]?.objectValue ?? [:]
            s["renewTime"] = .string(Self.microTime(now))
            s["leaseDurationSeconds"] = .integer(Int(timing.leaseDuration))
            updated["spec"] = .object(s)
        } else {
            updated["spec"] = spec(acquireTime: now, transitions: view.leaseTransitions + 1)
        }
        // The resourceVersion read guards against a racing candidate (409 means it won).
        guard let written = try? await client.replace(.leases, namespace: namespace, name: name, .object(updated)) else { return false }
        observed.withLock { $0 = (written["spec"], now) }
        return true
    }

    private func spec(acquireTime: Date, transitions: Int) -> JSONValue {
        ["holderIdentity": .string(identity), "leaseDurationSeconds": .integer(Int(timing.leaseDuration)),
         "acquireTime": .string(Self.microTime(acquireTime)), "renewTime": .string(Self.microTime(acquireTime)),
         "leaseTransitions": .integer(transitions)]
    }

    /// `metav1.MicroTime`: RFC 3339 with microseconds.
    static func microTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let text = formatter.string(from: date)  // …:SS.mmmZ
        return text.replacingOccurrences(of: "Z", with: "000Z")
    }
}
