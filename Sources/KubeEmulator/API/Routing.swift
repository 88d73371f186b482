/// What a request path names.
enum Route {
    case version
    case healthz
    /// `/api`
    case coreVersions
    /// `/apis`
    case groups
    /// `/api/v1`, `/apis/GROUP/VERSION`
    case resources(group: String, version: String)
    /// `…/[namespaces/NS/]RESOURCE`
    case collection(ResourceType, namespace: String?)
    /// `/openapi/v3`: the index of group-version documents.
    case openAPIIndex
    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/GROUP/VERSION`
    case openAPIGroup(group: String, version: String)
    /// `…/[namespaces/NS/]RESOURCE/NAME[/SUBRESOURCE]`
    case item(ResourceType, namespace: String, name: String, subresource: String?)
    case notFound

    /// Resolves `path` against the served resources.
    static func resolve(_ path: String, lookup: (String, String, String) -> ResourceType?) -> Route {
        let parts = path.split(separator: "/").map(String.init)
        switch parts.first {
        case "version": return parts.count == 1 ? .version : .notFound
        case "healthz", "readyz", "livez": return .healthz
        case "openapi":
            guard parts.count >= 2, parts[1] == "v3" else { return .notFound }
            if parts.count == 2 { return .openAPIIndex }
            if parts.count == 4, parts[2] == "api" { return .openAPIGroup(group: "", version: parts[3]) }
            if parts.count == 5, parts[2] == "apis" { return .openAPIGroup(group: parts[3], version: parts[4]) }
            return .notFound
        case "api":
            if parts.count == 1 { return .coreVersions }
            return resolveResource(group: "", version: parts[1], rest: Array(parts.dropFirst(2)), lookup: lookup)
        case "apis":
            if parts.count == 1 { return .groups }
            guard parts.count >= 3 else { return .notFound }
            return resolveResource(group: parts[1], version: parts[2], rest: Array(parts.dropFirst(3)), lookup: lookup)
        default:
            return .notFound
        }
    }

    private static func resolveResource(group: String, version: String, rest: [String], lookup: (String, String, String) -> ResourceType?) -> Route {
        if rest.isEmpty { return .resources(group: group, version: version) }
        var rest = rest
        var namespace: String?
        // `namespaces/NS/RESOURCE…` unless this is the namespace object itself (or its subresource).
        if rest[0] == "namespaces", rest.count >= 3, lookup(group, version, rest[2])?.namespaced == true {
            namespace = rest[1]
            rest.removeFirst(2)
        }
        guard let type = lookup(group, version, rest[0]) else { return .notFound }
        if type.namespaced && namespace == nil && rest.count > 1 { return .notFound }
        switch rest.count {
        case 1: return .collection(type, namespace: namespace)
        case 2: return .item(type, namespace: namespace ?? "", name: rest[1], subresource: nil)
        case 3: return .item(type, namespace: namespace ?? "", name: rest[1], subresource: rest[2])
        default: return .notFound
        }
    }
}
