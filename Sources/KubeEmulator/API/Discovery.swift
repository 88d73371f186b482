import JSON

/// The discovery documents kubectl and client-go read to find resources.
enum Discovery {
    static func version() -> JSONValue {
        ["major": "1", "minor": "36", "gitVersion": "v1.36.0-eip-emulator", "gitCommit": "0000000000000000000000000000000000000000",
         "gitTreeState": "clean", "buildDate": "2026-11-27T00:00:00Z", "goVersion": "go1.25.0", "compiler": "gc", "platform": "linux/amd64"]
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

    /// `/openapi/v3`: one entry per served group-version.
    static func openAPIIndex(_ types: [ResourceType]) -> JSONValue {
        var paths = JSONObject()
        for type in types {
            let key = type.group.isEmpty ? "api/\(type.version)" : "apis/\(type.group)/\(type.version)"
            paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)")]
        }
        return ["paths": .object(paths)]
    }

    /// A group-version's OpenAPI v3 document, reduced to what clients probe: each kind's PATCH
    /// operation, tagged with its group-version-kind and declaring the `fieldValidation` parameter,
    /// which tells kubectl the server validates fields itself. No schemas (see docs/kube-emulator.md).
    static func openAPIGroup(group: String, version: String, _ types: [ResourceType]) -> JSONValue {
        var paths = JSONObject()
        for type in types where type.group == group && type.version == version {
            let prefix = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
            let path = prefix + (type.namespaced ? "/namespaces/{namespace}" : "") + "/\(type.plural)/{name}"
            let parameters: JSONValue = [
                ["name": "dryRun", "in": "query", "schema": ["type": "string"]],
                ["name": "fieldManager", "in": "query", "schema": ["type": "string"]],
                ["name": "fieldValidation", "in": "query", "schema": ["type": "string"]],
                ["name": "force", "in": "query", "schema": ["type": "boolean"]],
            ]
            paths[path] = ["patch": ["operationId": .string("patch\(type.kind)"), "parameters": parameters, "responses": [:],
                                     "x-kubernetes-action": "patch",
                                     "x-kubernetes-group-version-kind": ["group": .string(group), "version": .string(version), "kind": .string(type.kind)]]]
        }
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.36.0"], "paths": .object(paths), "components": ["schemas": [:]]]
    }
}
