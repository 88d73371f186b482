import Foundation

/// A kind of object the API serves: group, version, plural resource name, and scope.
public struct ResourceRef: Sendable, Hashable, CustomStringConvertible {
    public let group: String
    public let version: String
    public let plural: String
    public let namespaced: Bool

    public init(group: String, version: String, plural: String, namespaced: Bool = true) {
        self.group = group
        self.version = version
        self.plural = plural
        self.namespaced = namespaced
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// The collection path: `/apis/apps/v1/namespaces/NS/deployments` (namespace nil: all namespaces).
    public func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { path += "/namespaces/\(Self.escape(namespace))" }
        path += "/\(plural)"
        if let name { path += "/\(Self.escape(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(.init(charactersIn: "/"))) ?? segment
    }

    // The resources the operator uses.
    public static let pods = ResourceRef(group: "", version: "v1", plural: "pods")
    public static let events = ResourceRef(group: "", version: "v1", plural: "events")
    public static let namespaces = ResourceRef(group: "", version: "v1", plural: "namespaces", namespaced: false)
    public static let configMaps = ResourceRef(group: "", version: "v1", plural: "configmaps")
    public static let deployments = ResourceRef(group: "apps", version: "v1", plural: "deployments")
    public static let daemonSets = ResourceRef(group: "apps", version: "v1", plural: "daemonsets")
    public static let leases = ResourceRef(group: "coordination.k8s.io", version: "v1", plural: "leases")
    public static let horizontalPodAutoscalers = ResourceRef(group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers")
    public static let customResourceDefinitions = ResourceRef(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", namespaced: false)
    public static let elasticInferencePools = ResourceRef(group: "aiops.example.com", version: "v1alpha2", plural: "elasticinferencepools")
}

