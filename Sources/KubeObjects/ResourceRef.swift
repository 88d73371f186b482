/// A kind of object the API serves: group, version, plural resource name, and scope, and the REST
/// paths that name it. The custom resources of a program are declared next to their model (the
/// pool's is in `Autoscaling`); the built-in ones the operator uses are here.
public struct ResourceRef: Sendable, Hashable, CustomStringConvertible {
    /// The API group; "" for the core group (`/api/v1`).
    public let group: String
    /// The API version: `v1`, `v1alpha2`.
    public let version: String
    /// The plural resource name in paths: `deployments`.
    public let plural: String
    /// False for cluster-scoped resources (namespaces, CRDs): their paths have no namespace.
    public let namespaced: Bool

    /// A resource (namespaced unless said otherwise).
    public init(group: String, version: String, plural: String, namespaced: Bool = true) {
        self.group = group
        self.version = version
        self.plural = plural
        self.namespaced = namespaced
    }

    /// `apps/v1`, or `v1` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `deployments.apps`, or `pods` for the core group (kubectl's resource.group form).
    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// The REST path: `/apis/apps/v1/namespaces/NS/deployments[/NAME[/SUBRESOURCE]]` (namespace nil:
    /// all namespaces, or a cluster-scoped resource). The namespace and name are percent-escaped as
    /// path segments, so no name can reach another path.
    public func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { path += "/namespaces/\(Self.escape(namespace))" }
        path += "/\(plural)"
        if let name { path += "/\(Self.escape(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    /// A path segment with everything but RFC 3986's unreserved characters, sub-delimiters, `:` and
    /// `@` percent-encoded (`/` too): what Foundation's `urlPathAllowed` minus `/` keeps.
    static func escape(_ segment: String) -> String {
        var out = ""
        out.reserveCapacity(segment.utf8.count)
        let hex = Array("0123456789ABCDEF")
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case _ where "-._~!$&'()*+,;=:@".utf8.contains(byte):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }

    // The built-in resources the operator uses.
    /// core/v1 Pods.
    public static let pods = ResourceRef(group: "", version: "v1", plural: "pods")
    /// core/v1 Events.
    public static let events = ResourceRef(group: "", version: "v1", plural: "events")
    /// core/v1 Namespaces (cluster-scoped).
    public static let namespaces = ResourceRef(group: "", version: "v1", plural: "namespaces", namespaced: false)
    /// core/v1 ConfigMaps.
    public static let configMaps = ResourceRef(group: "", version: "v1", plural: "configmaps")
    /// apps/v1 Deployments.
    public static let deployments = ResourceRef(group: "apps", version: "v1", plural: "deployments")
    /// apps/v1 DaemonSets.
    public static let daemonSets = ResourceRef(group: "apps", version: "v1", plural: "daemonsets")
    /// coordination.k8s.io/v1 Leases.
    public static let leases = ResourceRef(group: "coordination.k8s.io", version: "v1", plural: "leases")
    /// autoscaling/v2 HorizontalPodAutoscalers.
    public static let horizontalPodAutoscalers = ResourceRef(group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers")
    /// apiextensions.k8s.io/v1 CustomResourceDefinitions (cluster-scoped).
    public static let customResourceDefinitions = ResourceRef(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", namespaced: false)
}
