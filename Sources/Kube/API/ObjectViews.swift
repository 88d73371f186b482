import Foundation
import JSON

/// Typed reads of the fields the operator uses, over objects kept as JSON (no hand-written model of
/// the whole Kubernetes API). Deployments have theirs in `Autoscaling` (`DeploymentView`), next to
/// the decisions that read them.
public struct ObjectMeta: Sendable {
    public let object: JSONValue
    public init(_ object: JSONValue) { self.object = object }

    private var metadata: JSONValue? { object["metadata"] }
    public var name: String { metadata?["name"]?.stringValue ?? "" }
    public var namespace: String? { metadata?["namespace"]?.stringValue }
    public var uid: String? { metadata?["uid"]?.stringValue }
    public var resourceVersion: String? { metadata?["resourceVersion"]?.stringValue }
    public var generation: Int? { metadata?["generation"]?.intValue }
    public var labels: [String: String] { (metadata?["labels"]?.objectValue ?? [:]).reduce(into: [:]) { $0[$1.key] = $1.value.stringValue } }
    public var annotations: [String: String] { (metadata?["annotations"]?.objectValue ?? [:]).reduce(into: [:]) { $0[$1.key] = $1.value.stringValue } }
    public var finalizers: [String] { metadata?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    public var isBeingDeleted: Bool { metadata?["deletionTimestamp"] != nil }
    public var creationTimestamp: Date? { metadata?["creationTimestamp"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) } }
    /// `Kind/name` of each owner.
    public var owners: [(kind: String, name: String, uid: String)] {
        (metadata?["ownerReferences"]?.arrayValue ?? []).map {
            ($0["kind"]?.stringValue ?? "", $0["name"]?.stringValue ?? "", $0["uid"]?.stringValue ?? "")
        }
    }
}

/// A Pod: phase, readiness, IP.
public struct PodView: Sendable {
    public let object: JSONValue
    public init(_ object: JSONValue) { self.object = object }

    public var meta: ObjectMeta { ObjectMeta(object) }
    public var phase: String? { object["status"]?["phase"]?.stringValue }
    public var podIP: String? { object["status"]?["podIP"]?.stringValue }
    /// The `Ready` condition is `True` (and the pod is not being deleted).
    public var isReady: Bool {
        !meta.isBeingDeleted && (object["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
    }
}

/// A `coordination.k8s.io/v1` Lease, as leader election reads it.
public struct LeaseView: Sendable {
    public let object: JSONValue
    public init(_ object: JSONValue) { self.object = object }

    public var holderIdentity: String? { object["spec"]?["holderIdentity"]?.stringValue }
    public var leaseDurationSeconds: Int? { object["spec"]?["leaseDurationSeconds"]?.intValue }
    public var leaseTransitions: Int { object["spec"]?["leaseTransitions"]?.intValue ?? 0 }
    public var renewTime: String? { object["spec"]?["renewTime"]?.stringValue }
    public var acquireTime: String? { object["spec"]?["acquireTime"]?.stringValue }
}

/// A DaemonSet's rollout numbers.
public struct DaemonSetView: Sendable {
    public let object: JSONValue
    public init(_ object: JSONValue) { self.object = object }

    public var desired: Int { object["status"]?["desiredNumberScheduled"]?.intValue ?? 0 }
    public var ready: Int { object["status"]?["numberReady"]?.intValue ?? 0 }
    public var updated: Int { object["status"]?["updatedNumberScheduled"]?.intValue ?? 0 }
    public var observedGeneration: Int? { object["status"]?["observedGeneration"]?.intValue }
    /// Fully rolled out: every node has an up-to-date, ready pod, for the current generation.
    public var isRolledOut: Bool {
        desired == ready && desired == updated && observedGeneration == ObjectMeta(object).generation
    }
}

/// A HorizontalPodAutoscaler's target.
public struct HorizontalPodAutoscalerView: Sendable {
    public let object: JSONValue
    public init(_ object: JSONValue) { self.object = object }

    public var targetKind: String? { object["spec"]?["scaleTargetRef"]?["kind"]?.stringValue }
    public var targetName: String? { object["spec"]?["scaleTargetRef"]?["name"]?.stringValue }
}

/// A core/v1 Event.
public struct EventView: Sendable {
    public let object: JSONValue
    public init(_ object: JSONValue) { self.object = object }

    public var reason: String? { object["reason"]?.stringValue }
    public var message: String? { object["message"]?.stringValue }
    public var type: String? { object["type"]?.stringValue }
    public var count: Int { object["count"]?.intValue ?? 1 }
    public var involvedObjectName: String? { object["involvedObject"]?["name"]?.stringValue }
}
