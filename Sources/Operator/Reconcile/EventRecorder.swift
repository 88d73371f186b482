import Autoscaling
import Foundation
import JSON
import Kube
import Locking

/// Records core/v1 Events about pools. A repeat of the same reason and message for the same object
/// bumps the existing Event's `count` and `lastTimestamp` instead of adding another (client-go's
/// event aggregation). Failures to record are logged by the caller and never fail a reconcile.
public final class EventRecorder: Sendable {
    let client: KubeClient
    let component: String
    let instance: String
    let clock: any WallClock
    private let recent = Locked<[String: (name: String, namespace: String, count: Int)]>([:])

    public init(client: KubeClient, component: String = "eip-operator", instance: String, clock: any WallClock = SystemWallClock()) {
        self.client = client
        self.component = component
        self.instance = instance
        self.clock = clock
    }

    public enum EventType: String, Sendable { case normal = "Normal", warning = "Warning" }

    /// Records an Event about `pool` (its metadata names the involved object).
    public func record(_ pool: JSONValue, type: EventType, reason: String, message: String) async {
        let meta = ObjectMeta(pool)
        guard let namespace = meta.namespace, let uid = meta.uid else { return }
        let key = "\(uid)|\(type.rawValue)|\(reason)|\(message)"
        let now = JSONValue.string(clock.now().rfc3339)
        if let existing = recent.withLock({ $0[key] }) {
            let count = existing.count + 1
            let patched = try? await client.patch(.events, namespace: existing.namespace, name: existing.name,
                                                  .merge(["count": .integer(count), "lastTimestamp": now]))
            if patched != nil {
                recent.withLock { $0[key]?.count = count }
                return
            }
        }
        let name = "\(meta.name).\(String(UInt64(clock.now().secondsSinceEpoch * 1e6), radix: 16))"
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "involvedObject": ["apiVersion": .string(ResourceRef.elasticInferencePools.apiVersion), "kind": "ElasticInferencePool",
                               "name": .string(meta.name), "namespace": .string(namespace), "uid": .string(uid),
                               "resourceVersion": .string(meta.resourceVersion ?? "")],
            "reason": .string(reason), "message": .string(message), "type": .string(type.rawValue),
            "source": ["component": .string(component)], "reportingComponent": .string(component), "reportingInstance": .string(instance),
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
        ]
        if (try? await client.create(.events, namespace: namespace, event)) != nil {
            recent.withLock { r in
                if r.count > 4096 { r.removeAll() }
                r[key] = (name, namespace, 1)
            }
        }
    }
}
