import JSON

/// A kind of workload a pool can scale: any kind with a `scale` subresource, as HPA's
/// `scaleTargetRef` names one (`apiVersion`, `kind`). The kinds the operator knows besides say
/// where their resource is and where their pod templates are, which warmup needs; for any other
/// kind the resource is found through discovery and warmup is refused.
public struct WorkloadKind: Sendable, Hashable, CustomStringConvertible {
    /// `apps/v1`, `leaderworkerset.x-k8s.io/v1`.
    public let apiVersion: String
    /// `Deployment`, `StatefulSet`, `LeaderWorkerSet`, ….
    public let kind: String

    /// A kind, as a pool's `targetRef` names it.
    public init(apiVersion: String, kind: String) {
        self.apiVersion = apiVersion
        self.kind = kind
    }

    /// `apps/v1` Deployments: the default target.
    public static let deployment = WorkloadKind(apiVersion: "apps/v1", kind: "Deployment")
    /// `apps/v1` StatefulSets.
    public static let statefulSet = WorkloadKind(apiVersion: "apps/v1", kind: "StatefulSet")
    /// LeaderWorkerSets (`leaderworkerset.x-k8s.io/v1`, kubernetes-sigs/lws): `replicas` groups of a
    /// leader and `size - 1` workers; its scale selects the leaders (`status.hpaPodSelector`).
    public static let leaderWorkerSet = WorkloadKind(apiVersion: "leaderworkerset.x-k8s.io/v1", kind: "LeaderWorkerSet")
    /// The kinds whose resource and pod templates are known without asking the API server.
    public static let known = [deployment, statefulSet, leaderWorkerSet]

    /// The API group ("" for the core group).
    public var group: String { apiVersion.contains("/") ? String(apiVersion.prefix { $0 != "/" }) : "" }
    /// The API version.
    public var version: String { apiVersion.contains("/") ? String(apiVersion.drop { $0 != "/" }.dropFirst()) : apiVersion }

    /// The resource of a known kind; nil for others (discovery finds theirs).
    public var knownResource: ResourceRef? {
        switch self {
        case .deployment: return .deployments
        case .statefulSet: return .statefulSets
        case .leaderWorkerSet: return .leaderWorkerSets
        default: return nil
        }
    }

    /// Where the kind keeps the pod templates of its pods (each a path of keys to a
    /// `PodTemplateSpec`): Deployments' and StatefulSets' `spec.template`; a LeaderWorkerSet's
    /// worker template, then its leader template (which defaults to the worker's when absent).
    /// Empty for other kinds: the operator cannot know, and refuses warmup for them.
    public var podTemplatePaths: [[String]] {
        switch self {
        case .deployment, .statefulSet: return [["spec", "template"]]
        case .leaderWorkerSet: return [["spec", "leaderWorkerTemplate", "workerTemplate"], ["spec", "leaderWorkerTemplate", "leaderTemplate"]]
        default: return []
        }
    }

    /// Whether warmup applies: the kind has pod templates at known paths.
    public var supportsWarmup: Bool { !podTemplatePaths.isEmpty }

    /// `StatefulSet.apps/v1`, `Deployment`: how messages name it (the default kind by its name alone).
    public var description: String { self == .deployment || self == .statefulSet ? kind : "\(kind).\(apiVersion)" }

    /// The plural a kind's resource most likely has, as kubectl guesses it without discovery
    /// (`meta.UnsafeGuessKindToResource`): lower case, `y` → `ies`, `s`/`x`/`ch`/`sh` → `es`, else `s`.
    public var guessedResource: ResourceRef {
        let lower = kind.lowercased()
        let plural: String
        if lower.hasSuffix("y"), let before = lower.dropLast().last, !"aeiou".contains(before) {
            plural = lower.dropLast() + "ies"
        } else if lower.hasSuffix("s") || lower.hasSuffix("x") || lower.hasSuffix("ch") || lower.hasSuffix("sh") {
            plural = lower + "es"
        } else {
            plural = lower + "s"
        }
        return ResourceRef(group: group, version: version, plural: plural)
    }
}

extension ResourceRef {
    /// apps/v1 StatefulSets.
    public static let statefulSets = ResourceRef(group: "apps", version: "v1", plural: "statefulsets")
    /// leaderworkerset.x-k8s.io/v1 LeaderWorkerSets.
    public static let leaderWorkerSets = ResourceRef(group: "leaderworkerset.x-k8s.io", version: "v1", plural: "leaderworkersets")
}

/// The workload a pool scales, as the plan reads it: what it is (kind and resource), its replicas
/// (`spec.replicas` through its `scale` subresource), how many of them are ready (from its pods),
/// the selector of its pods, and its pod templates, when its kind has them at known paths.
/// Built from a Deployment as read (``init(_:)``), or from any kind's object, `Scale` and pods
/// (``init(kind:resource:object:scale:pods:)``).
public struct WorkloadView: Sendable, Hashable {
    /// The workload as read; for a kind read only through its `scale` subresource, its `Scale`.
    public let object: JSONObject
    /// Its kind.
    public let kind: WorkloadKind
    /// Its resource: where its `scale` subresource and template patches go.
    public let resource: ResourceRef
    /// Replicas asked for (`spec.replicas`; groups for a LeaderWorkerSet).
    public let replicas: Int
    /// Replicas ready: for a Deployment its `status.readyReplicas`; for other kinds its pods that
    /// are Ready, and for a LeaderWorkerSet its groups whose leader and workers all are.
    public let readyReplicas: Int
    /// The selector of its pods (the Deployment's `spec.selector`, else the `Scale`'s `status.selector`);
    /// nil when it has none.
    public let selector: LabelSelector?

    /// A Deployment as read (its own replicas, ready replicas and selector).
    public init(_ deployment: DeploymentView) {
        object = deployment.object
        kind = .deployment
        resource = .deployments
        replicas = deployment.replicas
        readyReplicas = deployment.readyReplicas
        selector = deployment.selector
    }

    /// Any kind: replicas and the pods' selector from its `scale` subresource (an `autoscaling/v1`
    /// `Scale`), readiness from `pods` (those the selector picks; for a LeaderWorkerSet, the groups
    /// whose leader and `size - 1` workers are Ready). `object` is the workload itself when it was
    /// read (its templates, annotations and resourceVersion), nil to go by the `Scale` alone.
    public init(kind: WorkloadKind, resource: ResourceRef, object: JSONObject?, scale: JSONValue, pods: [JSONValue]) {
        self.kind = kind
        self.resource = resource
        self.object = object ?? ["apiVersion": .string(kind.apiVersion), "kind": .string(kind.kind), "metadata": scale["metadata"] ?? [:]]
        replicas = scale["spec"]?["replicas"]?.intValue ?? 0
        let selector = scale["status"]?["selector"]?.stringValue.flatMap { LabelSelector(selector: $0) }
        self.selector = selector
        let selected = selector.map { s in pods.filter(s.matches) } ?? []
        if kind == .leaderWorkerSet {
            let size = max(1, object?["spec"]?["leaderWorkerTemplate"]?["size"]?.intValue ?? 1)
            readyReplicas = Self.readyGroups(leaders: selected, pods: pods, size: size)
        } else {
            readyReplicas = selected.filter { PodView($0).isReady }.count
        }
    }

    /// LeaderWorkerSet groups that are ready: a Ready leader and `size - 1` Ready workers of its
    /// group (pods labelled with the set's name and the leader's group index, worker index not 0).
    static func readyGroups(leaders: [JSONValue], pods: [JSONValue], size: Int) -> Int {
        let nameLabel = "leaderworkerset.sigs.k8s.io/name", groupLabel = "leaderworkerset.sigs.k8s.io/group-index"
        let workerLabel = "leaderworkerset.sigs.k8s.io/worker-index"
        var readyWorkers: [String: Int] = [:]  // "name/group" → Ready workers
        for pod in pods where PodView(pod).isReady {
            let labels = pod["metadata"]?["labels"]
            guard let set = labels?[nameLabel]?.stringValue, let group = labels?[groupLabel]?.stringValue,
                  let worker = labels?[workerLabel]?.stringValue, worker != "0" else { continue }
            readyWorkers["\(set)/\(group)", default: 0] += 1
        }
        return leaders.filter { leader in
            let labels = leader["metadata"]?["labels"]
            guard PodView(leader).isReady, let set = labels?[nameLabel]?.stringValue, let group = labels?[groupLabel]?.stringValue else { return false }
            return readyWorkers["\(set)/\(group)", default: 0] >= size - 1
        }.count
    }

    /// `metadata.name`.
    public var name: String { object["metadata"]?["name"]?.stringValue ?? "" }
    /// The namespace; "default" when the object does not say (a manifest).
    public var namespace: String { object["metadata"]?["namespace"]?.stringValue ?? "default" }
    /// Its namespace and name.
    public var key: ObjectKey { ObjectKey(namespace: namespace, name: name) }
    /// `metadata.resourceVersion` (nil in a manifest).
    public var resourceVersion: String? { object["metadata"]?["resourceVersion"]?.stringValue }
    /// `metadata.annotations`.
    public var annotations: JSONObject { object["metadata"]?["annotations"]?.objectValue ?? JSONObject() }
    /// `Kind/name`, for messages: `StatefulSet/llama`.
    public var reference: String { "\(kind.kind)/\(name)" }

    /// The pod templates present at its kind's paths, with their paths (a LeaderWorkerSet without a
    /// leader template has one: the workers', which its leaders use too).
    public var podTemplates: [(path: [String], template: JSONObject)] {
        kind.podTemplatePaths.compactMap { path in
            var value: JSONValue? = .object(object)
            for key in path { value = value?[key] }
            return value?.objectValue.map { (path, $0) }
        }
    }

    /// The first template's pod spec (where the pods run: the pre-pull DaemonSet copies its placement).
    public var podSpec: JSONObject { podTemplates.first?.template["spec"]?.objectValue ?? JSONObject() }
}
