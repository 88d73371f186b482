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
    /// which tells kubectl the server validates fields itself, and each custom resource's schema as
    /// its CRD gives it (so `kubectl explain` works for it). Built-in kinds have no schema (see
    /// docs/kube-emulator.md).
    static func openAPIGroup(group: String, version: String, _ types: [ResourceType]) -> JSONValue {
        var paths = JSONObject()
        var schemas = JSONObject()
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
            if let schema = type.schema?.objectValue { schemas[schemaName(type)] = .object(customResourceSchema(schema, type)) }
        }
        if !schemas.isEmpty { schemas[objectMetaName] = objectMeta }
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.36.0"], "paths": .object(paths), "components": ["schemas": .object(schemas)]]
    }

    /// `com.example.aiops.v1alpha2.ElasticInferencePool`: the group reversed, as the apiextensions
    /// server names a CRD's definitions.
    static func schemaName(_ type: ResourceType) -> String {
        (type.group.split(separator: ".").reversed().map(String.init) + [type.version, type.kind]).joined(separator: ".")
    }

    static let objectMetaName = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

    /// A CRD version's schema as the API server publishes it (`builder.BuildOpenAPIV3`): the standard
    /// `apiVersion`, `kind` and `metadata` members, and the group-version-kind it serves.
    private static func customResourceSchema(_ schema: JSONObject, _ type: ResourceType) -> JSONObject {
        var o = schema
        var properties = o["properties"]?.objectValue ?? JSONObject()
        properties["apiVersion"] = ["type": "string", "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"]
        properties["kind"] = ["type": "string", "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"]
        properties["metadata"] = ["description": "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
                                  "allOf": [["$ref": .string("#/components/schemas/\(objectMetaName)")]]]
        o["properties"] = .object(properties)
        o["x-kubernetes-group-version-kind"] = [["group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind)]]
        return o
    }

    /// ObjectMeta, reduced to the fields people set.
    private static let objectMeta: JSONValue = [
        "description": "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
        "type": "object",
        "properties": [
            "name": ["type": "string", "description": "Name must be unique within a namespace."],
            "namespace": ["type": "string", "description": "Namespace defines the space within which each name must be unique."],
            "labels": ["type": "object", "additionalProperties": ["type": "string"], "description": "Map of string keys and values that can be used to organize and categorize (scope and select) objects."],
            "annotations": ["type": "object", "additionalProperties": ["type": "string"], "description": "Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata."],
            "finalizers": ["type": "array", "items": ["type": "string"], "description": "Must be empty before the object is deleted from the registry."],
            "generation": ["type": "integer", "format": "int64", "description": "A sequence number representing a specific generation of the desired state."],
            "resourceVersion": ["type": "string", "description": "An opaque value that represents the internal version of this object."],
            "uid": ["type": "string", "description": "UID is the unique in time and space value for this object."],
            "creationTimestamp": ["type": "string", "format": "date-time", "description": "CreationTimestamp is a timestamp representing the server time when this object was created."],
        ],
    ]
}
