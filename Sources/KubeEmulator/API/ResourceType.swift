import JSON

/// One kind of object the emulator serves: where it lives in the API and how it behaves.
public struct ResourceType: Sendable, Hashable {
    public let group: String
    public let version: String
    /// The plural resource name in URLs: `deployments`.
    public let plural: String
    public let singular: String
    public let kind: String
    public let namespaced: Bool
    public let shortNames: [String]
    public let hasStatus: Bool
    public let hasScale: Bool
    /// For custom resources with a `scale` subresource: where the CRD says its replicas and selector are.
    public let scalePaths: ScalePaths?
    /// Whether `metadata.generation` is kept (bumped on spec changes).
    public let hasGeneration: Bool
    /// DELETE answers with the object (pods, custom resources) rather than a `Status`.
    public let returnsDeletedObject: Bool
    /// Served because a CustomResourceDefinition says so.
    public let isCustom: Bool
    /// For custom resources: the version's `openAPIV3Schema`.
    public let schema: JSONValue?
    public let categories: [String]

    public init(group: String, version: String, plural: String, singular: String, kind: String, namespaced: Bool,
                shortNames: [String] = [], hasStatus: Bool = false, hasScale: Bool = false, hasGeneration: Bool = false,
                returnsDeletedObject: Bool = false, isCustom: Bool = false, schema: JSONValue? = nil, categories: [String] = [],
                scalePaths: ScalePaths? = nil) {
        self.group = group
        self.version = version
        self.plural = plural
        self.singular = singular
        self.kind = kind
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.hasStatus = hasStatus
        self.hasScale = hasScale || scalePaths != nil
        self.scalePaths = scalePaths
        self.hasGeneration = hasGeneration
        self.returnsDeletedObject = returnsDeletedObject
        self.isCustom = isCustom
        self.schema = schema
        self.categories = categories
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `deployments.apps`, `pods`: how the API server names the resource in messages.
    public var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// Storage key: group and resource (versions share storage).
    var storageKey: String { "\(group)/\(plural)" }

    static let verbs: [JSONValue] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// The built-in resources (issue 3 §3, issue 20 §4).
    static let builtIn: [ResourceType] = [
        ResourceType(group: "", version: "v1", plural: "namespaces", singular: "namespace", kind: "Namespace", namespaced: false, shortNames: ["ns"], hasStatus: true),
        ResourceType(group: "", version: "v1", plural: "pods", singular: "pod", kind: "Pod", namespaced: true, shortNames: ["po"], hasStatus: true,
                     returnsDeletedObject: true, categories: ["all"]),
        ResourceType(group: "", version: "v1", plural: "events", singular: "event", kind: "Event", namespaced: true, shortNames: ["ev"]),
        ResourceType(group: "", version: "v1", plural: "configmaps", singular: "configmap", kind: "ConfigMap", namespaced: true, shortNames: ["cm"]),
        ResourceType(group: "", version: "v1", plural: "services", singular: "service", kind: "Service", namespaced: true, shortNames: ["svc"],
                     hasStatus: true, categories: ["all"]),
        ResourceType(group: "apps", version: "v1", plural: "deployments", singular: "deployment", kind: "Deployment", namespaced: true,
                     shortNames: ["deploy"], hasStatus: true, hasScale: true, hasGeneration: true, categories: ["all"]),
        ResourceType(group: "apps", version: "v1", plural: "daemonsets", singular: "daemonset", kind: "DaemonSet", namespaced: true,
                     shortNames: ["ds"], hasStatus: true, hasGeneration: true, categories: ["all"]),
        ResourceType(group: "coordination.k8s.io", version: "v1", plural: "leases", singular: "lease", kind: "Lease", namespaced: true),
        ResourceType(group: "events.k8s.io", version: "v1", plural: "events", singular: "event", kind: "Event", namespaced: true, shortNames: ["ev"]),
        ResourceType(group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers", singular: "horizontalpodautoscaler",
                     kind: "HorizontalPodAutoscaler", namespaced: true, shortNames: ["hpa"], hasStatus: true, categories: ["all"]),
        ResourceType(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", singular: "customresourcedefinition",
                     kind: "CustomResourceDefinition", namespaced: false, shortNames: ["crd", "crds"], hasStatus: true, hasGeneration: true),
        // What an operator's install manifests carry besides its workload (issue 20 §4): service
        // accounts and secrets, RBAC, disruption budgets, priority classes, admission webhooks, StatefulSets. Stored,
        // defaulted and validated as the API server does; RBAC is not enforced and webhooks are not
        // called (docs/kube-emulator.md).
        ResourceType(group: "", version: "v1", plural: "serviceaccounts", singular: "serviceaccount", kind: "ServiceAccount", namespaced: true,
                     shortNames: ["sa"]),
        ResourceType(group: "", version: "v1", plural: "secrets", singular: "secret", kind: "Secret", namespaced: true),
        // A webhook Service's addresses (no endpoints controller fills them: a test or demo writes
        // them), through which `service` webhooks are reached (``ValidatingWebhooks``).
        ResourceType(group: "", version: "v1", plural: "endpoints", singular: "endpoints", kind: "Endpoints", namespaced: true, shortNames: ["ep"]),
        ResourceType(group: "apps", version: "v1", plural: "statefulsets", singular: "statefulset", kind: "StatefulSet", namespaced: true,
                     shortNames: ["sts"], hasStatus: true, hasScale: true, hasGeneration: true, categories: ["all"]),
        ResourceType(group: "policy", version: "v1", plural: "poddisruptionbudgets", singular: "poddisruptionbudget", kind: "PodDisruptionBudget",
                     namespaced: true, shortNames: ["pdb"], hasStatus: true, hasGeneration: true),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", singular: "role", kind: "Role", namespaced: true),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", singular: "rolebinding", kind: "RoleBinding",
                     namespaced: true),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", singular: "clusterrole", kind: "ClusterRole",
                     namespaced: false),
        ResourceType(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings", singular: "clusterrolebinding",
                     kind: "ClusterRoleBinding", namespaced: false),
        ResourceType(group: "scheduling.k8s.io", version: "v1", plural: "priorityclasses", singular: "priorityclass", kind: "PriorityClass",
                     namespaced: false, shortNames: ["pc"]),
        ResourceType(group: "admissionregistration.k8s.io", version: "v1", plural: "validatingwebhookconfigurations",
                     singular: "validatingwebhookconfiguration", kind: "ValidatingWebhookConfiguration", namespaced: false, hasGeneration: true),
        ResourceType(group: "admissionregistration.k8s.io", version: "v1", plural: "mutatingwebhookconfigurations",
                     singular: "mutatingwebhookconfiguration", kind: "MutatingWebhookConfiguration", namespaced: false, hasGeneration: true),
    ]

    /// The CustomResourceDefinitions resource itself.
    var isDefinition: Bool { group == "apiextensions.k8s.io" && plural == "customresourcedefinitions" }

    /// Built-in list items carry no `kind`/`apiVersion` (the typed list encodes them without); custom ones do.
    var listItemsCarryTypeMeta: Bool { isCustom }
}

/// A CRD version's `subresources.scale`: the JSON paths (`.spec.replicas`) of the custom resource's
/// desired and observed replicas and of its pods' selector (a string in the serialized form, as
/// `status.selector` of a `Scale`; absent when the CRD names no `labelSelectorPath`).
public struct ScalePaths: Sendable, Hashable {
    public let specReplicas: [String]
    public let statusReplicas: [String]
    public let labelSelector: [String]?

    /// From the CRD's `scale` object; nil when it is not one.
    init?(_ scale: JSONValue?) {
        func path(_ key: String) -> [String]? {
            scale?[key]?.stringValue.map { $0.split(separator: ".").map(String.init) }
        }
        guard scale?.objectValue != nil, let spec = path("specReplicasPath"), let status = path("statusReplicasPath") else { return nil }
        specReplicas = spec
        statusReplicas = status
        labelSelector = path("labelSelectorPath")
    }
}
