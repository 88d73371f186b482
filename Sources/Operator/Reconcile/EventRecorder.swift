import Autoscaling
import JSON
import Kube
import Locking

/// Records core/v1 Events about pools, through the controller's ``WriteExecutor``. A repeat of the
/// same reason and message for the same object bumps the existing Event's `count` and
/// `lastTimestamp` instead of adding another (client-go's event aggregation). Failures to record
/// are dropped and never fail a reconcile.
public final class EventRecorder: Sendable {
    /// Who reports the Events (the `source` and `reporting*` fields), as `v1.EventSource`.
    public struct Source: Sendable {
        /// `eip-operator` by default.
        public var component: String
        /// This process (its leader-election identity).
        public var instance: String

        /// A source.
        public init(component: String = "eip-operator", instance: String) {
            self.component = component
            self.instance = instance
        }
    }

    /// `Normal` (something changed as intended) or `Warning` (something is wrong).
    public enum EventType: String, Sendable { case normal = "Normal", warning = "Warning" }

    let writer: WriteExecutor
    let source: Source
    let clock: any Clock
    private let recent = Locked<[String: (name: String, namespace: String, count: Int)]>([:])
    /// The last name suffix handed out (nanoseconds of wall time, made unique).
    private let lastSuffix = Locked<UInt64>(0)

    /// A recorder writing through `writer` (a controller's, so that Events pass its guards too), stamping with `clock`'s wall time.
    public init(writer: WriteExecutor, source: Source, clock: any Clock = SystemClock()) {
        self.writer = writer
        self.source = source
        self.clock = clock
    }

    /// A recorder writing through an executor of its own (for callers outside a controller).
    public convenience init(client: KubeClient, component: String = "eip-operator", instance: String, clock: any Clock = SystemClock()) {
        self.init(writer: WriteExecutor(client: client), source: Source(component: component, instance: instance), clock: clock)
    }

    /// Records an Event about `pool` (its metadata names the involved object).
    public func record(_ pool: JSONValue, type: EventType, reason: String, message: String) async {
        let meta = ObjectMeta(pool)
        guard let namespace = meta.namespace, let uid = meta.uid else { return }
        let key = "\(uid)|\(type.rawValue)|\(reason)|\(message)"
        let time = clock.now()
        let now = JSONValue.string(time.rfc3339)
        if let existing = recent.withLock({ $0[key] }) {
            let count = existing.count + 1
            let patched = try? await writer.send(.patch(.events, namespace: existing.namespace, name: existing.name,
                                                        .merge(["count": .integer(count), "lastTimestamp": now])))
            if patched != nil {
                recent.withLock { $0[key]?.count = count }
                return
            }
        }
        let name = "\(meta.name).\(String(uniqueSuffix(time), radix: 16))"
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "involvedObject": ["apiVersion": .string(ResourceRef.elasticInferencePools.apiVersion), "kind": .string(ElasticInferencePool.kind),
                               "name": .string(meta.name), "namespace": .string(namespace), "uid": .string(uid),
                               "resourceVersion": .string(meta.resourceVersion ?? "")],
            "reason": .string(reason), "message": .string(message), "type": .string(type.rawValue),
            "source": ["component": .string(source.component)], "reportingComponent": .string(source.component),
            "reportingInstance": .string(source.instance),
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
        ]
        if (try? await writer.send(.create(.events, namespace: namespace, event))) != nil {
            recent.withLock { r in
                if r.count > 4096 { r.removeAll() }
                r[key] = (name, namespace, 1)
            }
        }
    }

    /// client-go names Events `<object>.<unix nanoseconds in hex>`; two Events in the same
    /// nanosecond (or under a clock that stands still, in tests) get the next one up.
    private func uniqueSuffix(_ time: Timestamp) -> UInt64 {
        let nanoseconds = UInt64(max(0, time.secondsSinceEpoch) * 1e9)
        return lastSuffix.withLock { last in
            last = max(nanoseconds, last + 1)
            return last
        }
    }
}
