import JSON

// Typed reads of the fields the operator uses, over objects kept as JSON (no hand-written model of
// the whole Kubernetes API). Each view is defined once, here, and read wherever the object is: the
// pool planning (`Autoscaling`), the metrics sources, the controller and `eipctl`.

/// `metadata` of any object.
public struct ObjectMeta: Sendable {
    /// The object as read.
    public let object: JSONValue
    /// A view of `object` (no check of its kind: fields it lacks read as absent).
    public init(_ object: JSONValue) { self.object = object }

    private var metadata: JSONValue? { object["metadata"] }
    /// `metadata.name` ("" when absent).
    public var name: String { metadata?["name"]?.stringValue ?? "" }
    /// nil for cluster-scoped objects (and objects that do not say, such as manifests).
    public var namespace: String? { metadata?["namespace"]?.stringValue }
    /// Its namespace and name.
    public var key: ObjectKey { ObjectKey(of: object) }
    /// `metadata.uid`.
    public var uid: String? { metadata?["uid"]?.stringValue }
    /// `metadata.resourceVersion`: the version as read (optimistic concurrency).
    public var resourceVersion: String? { metadata?["resourceVersion"]?.stringValue }
    /// `metadata.generation`: the spec's version.
    public var generation: Int? { metadata?["generation"]?.intValue }
    /// `metadata.labels` (values that are not strings are left out).
    public var labels: [String: String] { (metadata?["labels"]?.objectValue ?? [:]).reduce(into: [:]) { $0[$1.key] = $1.value.stringValue } }
    /// `metadata.annotations` (values that are not strings are left out).
    public var annotations: [String: String] { (metadata?["annotations"]?.objectValue ?? [:]).reduce(into: [:]) { $0[$1.key] = $1.value.stringValue } }
    /// `metadata.finalizers`.
    public var finalizers: [String] { metadata?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    /// `deletionTimestamp` is set (and not null): the object is going, held only by its finalizers.
    public var isBeingDeleted: Bool {
        guard let stamp = metadata?["deletionTimestamp"] else { return false }
        return !stamp.isNull
    }
    /// `creationTimestamp` as written (RFC 3339).
    public var creationTimestamp: String? { metadata?["creationTimestamp"]?.stringValue }
    /// Each owner reference: its kind, name and uid.
    public var owners: [(kind: String, name: String, uid: String)] {
        (metadata?["ownerReferences"]?.arrayValue ?? []).map {
            ($0["kind"]?.stringValue ?? "", $0["name"]?.stringValue ?? "", $0["uid"]?.stringValue ?? "")
        }
    }
}

/// A core/v1 Pod: phase, readiness, IP.
public struct PodView: Sendable {
    /// The object as read.
    public let object: JSONValue
    /// A view of `object` (no check of its kind: fields it lacks read as absent).
    public init(_ object: JSONValue) { self.object = object }

    /// Its metadata.
    public var meta: ObjectMeta { ObjectMeta(object) }
    /// `status.phase`: `Pending`, `Running`, ….
    public var phase: String? { object["status"]?["phase"]?.stringValue }
    /// `status.podIP`; nil until the pod has one (an empty string counts as none).
    public var podIP: String? {
        guard let ip = object["status"]?["podIP"]?.stringValue, !ip.isEmpty else { return nil }
        return ip
    }
    /// The `Ready` condition is `True` and the pod is not being deleted.
    public var isReady: Bool {
        !meta.isBeingDeleted && (object["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
    }
}

/// A `coordination.k8s.io/v1` Lease, as leader election reads it.
public struct LeaseView: Sendable {
    /// The object as read.
    public let object: JSONValue
    /// A view of `object` (no check of its kind: fields it lacks read as absent).
    public init(_ object: JSONValue) { self.object = object }

    /// `spec.holderIdentity`: who holds it ("" or nil: nobody).
    public var holderIdentity: String? { object["spec"]?["holderIdentity"]?.stringValue }
    /// Seconds.
    public var leaseDurationSeconds: Int? { object["spec"]?["leaseDurationSeconds"]?.intValue }
    /// `spec.leaseTransitions`: how many times it changed hands.
    public var leaseTransitions: Int { object["spec"]?["leaseTransitions"]?.intValue ?? 0 }
    /// `metav1.MicroTime` text.
    public var renewTime: String? { object["spec"]?["renewTime"]?.stringValue }
    /// `spec.acquireTime` (`metav1.MicroTime` text).
    public var acquireTime: String? { object["spec"]?["acquireTime"]?.stringValue }
}

/// An `apps/v1` DaemonSet's rollout numbers.
public struct DaemonSetView: Sendable {
    /// A rollout as the DaemonSet's status reports it, for its current generation.
    public struct Rollout: Sendable, Hashable {
        /// Nodes that should run the pod (`desiredNumberScheduled`).
        public let desired: Int
        /// Nodes whose pod is ready (`numberReady`).
        public let ready: Int
        /// Nodes whose pod runs the current template (`updatedNumberScheduled`).
        public let updated: Int
        /// Desired = ready = updated.
        public var isComplete: Bool { ready == desired && updated == desired }

        /// A rollout from its numbers.
        public init(desired: Int, ready: Int, updated: Int) {
            self.desired = desired
            self.ready = ready
            self.updated = updated
        }
    }

    /// The object as read.
    public let object: JSONValue
    /// A view of `object` (no check of its kind: fields it lacks read as absent).
    public init(_ object: JSONValue) { self.object = object }

    /// `status.desiredNumberScheduled` (0 when absent).
    public var desired: Int { object["status"]?["desiredNumberScheduled"]?.intValue ?? 0 }
    /// `status.numberReady`.
    public var ready: Int { object["status"]?["numberReady"]?.intValue ?? 0 }
    /// `status.updatedNumberScheduled`.
    public var updated: Int { object["status"]?["updatedNumberScheduled"]?.intValue ?? 0 }
    /// `status.observedGeneration`: the generation the controller has acted on.
    public var observedGeneration: Int? { object["status"]?["observedGeneration"]?.intValue }
    /// The rollout; nil when there is no status yet, or it has not caught up with the spec
    /// (`observedGeneration` < `generation`).
    public var rollout: Rollout? {
        guard object["status"] != nil, (observedGeneration ?? 0) >= (ObjectMeta(object).generation ?? 0) else { return nil }
        return Rollout(desired: desired, ready: ready, updated: updated)
    }
    /// Fully rolled out: every node has an up-to-date, ready pod, for the current generation.
    public var isRolledOut: Bool { rollout?.isComplete ?? false }
}

/// An `autoscaling/v2` HorizontalPodAutoscaler's target.
public struct HorizontalPodAutoscalerView: Sendable {
    /// The object as read.
    public let object: JSONValue
    /// A view of `object` (no check of its kind: fields it lacks read as absent).
    public init(_ object: JSONValue) { self.object = object }

    /// Its metadata.
    public var meta: ObjectMeta { ObjectMeta(object) }
    /// `spec.scaleTargetRef.kind`.
    public var targetKind: String? { object["spec"]?["scaleTargetRef"]?["kind"]?.stringValue }
    /// `spec.scaleTargetRef.name`.
    public var targetName: String? { object["spec"]?["scaleTargetRef"]?["name"]?.stringValue }
    /// The Deployment it scales, when it scales one: its key (the HPA's own namespace; "default"
    /// when the object does not say).
    public var targetDeployment: ObjectKey? {
        guard targetKind == "Deployment" else { return nil }
        return targetKey
    }
    /// The workload it scales, of whatever kind: its key (the HPA's own namespace).
    public var targetKey: ObjectKey? {
        guard let name = targetName else { return nil }
        return ObjectKey(namespace: meta.namespace ?? "default", name: name)
    }
}

/// A core/v1 Event.
public struct EventView: Sendable {
    /// The object as read.
    public let object: JSONValue
    /// A view of `object` (no check of its kind: fields it lacks read as absent).
    public init(_ object: JSONValue) { self.object = object }

    /// `reason`: CamelCase.
    public var reason: String? { object["reason"]?.stringValue }
    /// `message`.
    public var message: String? { object["message"]?.stringValue }
    /// `Normal` or `Warning`.
    public var type: String? { object["type"]?.stringValue }
    /// Occurrences aggregated on this Event (1 when absent).
    public var count: Int { object["count"]?.intValue ?? 1 }
    /// `involvedObject.name`: what the Event is about.
    public var involvedObjectName: String? { object["involvedObject"]?["name"]?.stringValue }
}
