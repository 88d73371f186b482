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
                returnsDeletedObject: Bool = false, isCustom: Bool = false, schema: JSONValue? = nil, categories: [String] = []) {
        self.group = group
        self.version = version
        self.plural = plural
        self.singular = singular
        self.kind = kind
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.hasStatus = hasStatus
        self.hasScale = hasScale
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

    /// The built-in resources (issue 3 §3).
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
    ]

    /// Built-in list items carry no `kind`/`apiVersion` (the typed list encodes them without); custom ones do.
    var listItemsCarryTypeMeta: Bool { isCustom }
}
