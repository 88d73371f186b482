import JSON

/// The discovery documents kubectl and client-go read to find resources.
enum Discovery {
    static func version() -> JSONValue {
        ["major": "1", "minor": "30", "gitVersion": "v1.30.0-eip-emulator", "gitCommit": "0000000000000000000000000000000000000000",
         "gitTreeState": "clean", "buildDate": "2026-11-27T00:00:00Z", "goVersion": "go1.22.0", "compiler": "gc", "platform": "linux/amd64"]
    }

    static func coreVersions(serverAddress: String) -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]]]
    }

    static func groups(_ types: [ResourceType]) -> JSONValue {
        var versionsByGroup: [(String, [String])] = []
        for type in types where !type.group.isEmpty {
            if let i = versionsByGroup.firstIndex(where: { $0.0 == type.group }) {
                if !versionsByGroup[i].1.contains(type.version) { versionsByGroup[i].1.append(type.version) }
            } else {
                versionsByGroup.append((type.group, [type.version]))
            }
        }
        let groups: [JSONValue] = versionsByGroup.map { group, versions in
            let entries: [JSONValue] = versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }
            return ["name": .string(group), "versions": .array(entries), "preferredVersion": entries[0]]
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    static func resources(group: String, version: String, _ types: [ResourceType]) -> JSONValue {
        var resources: [JSONValue] = []
        for type in types where type.group == group && type.version == version {
            var entry: JSONObject = ["name": .string(type.plural), "singularName": .string(type.singular), "namespaced": .bool(type.namespaced),
                                     "kind": .string(type.kind), "verbs": .array(ResourceType.verbs)]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map(JSONValue.string)) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map(JSONValue.string)) }
            resources.append(.object(entry))
            if type.hasStatus {
                resources.append(["name": .string("\(type.plural)/status"), "singularName": "", "namespaced": .bool(type.namespaced),
                                  "kind": .string(type.kind), "verbs": ["get", "patch", "update"]])
            }
            if type.hasScale {
                resources.append(["name": .string("\(type.plural)/scale"), "singularName": "", "namespaced": .bool(type.namespaced),
                                  "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]])
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }
}
