import JSON

/// Server-side apply (`application/apply-patch+yaml` with `fieldManager`), as far as the emulator
/// takes it: create when the object is missing; otherwise merge the applied fields into the object
/// (maps merge, keyed lists merge by key, other lists are replaced, as a strategic merge does), and
/// record the manager's fields in `metadata.managedFields` (operation `Apply`, `FieldsV1`).
/// Not done: conflict detection between managers (`force` is accepted and changes nothing), and
/// removal of fields a manager stops applying. See docs/kube-emulator.md.
enum ServerSideApply {
    static func apply(_ api: KubeAPI, _ type: ResourceType, namespace: String, name: String, subresource: String?,
                      document: JSONObject, manager: String, options: WriteOptions) throws(APIError) -> (Int, JSONValue?) {
        if let kind = document["kind"]?.stringValue, kind != type.kind {
            throw APIError.badRequest("the kind of the applied object (\(kind)) does not match the URL (\(type.kind))")
        }
        if let applied = document["metadata"]?["name"]?.stringValue, applied != name {
            throw APIError.badRequest("the name of the object (\(applied)) does not match the name on the URL (\(name))")
        }
        let entry: JSONValue = ["manager": .string(manager), "operation": "Apply", "apiVersion": .string(type.apiVersion),
                                "time": .string(ObjectSemantics.now()), "fieldsType": "FieldsV1", "fieldsV1": .object(fieldSet(document, skipIdentity: true))]
        if subresource == nil, (try? api.store.get(type, namespace: namespace, name: name)) == nil {
            var body = document
            var metadata = body["metadata"]?.objectValue ?? JSONObject()
            metadata["name"] = .string(name)
            metadata["managedFields"] = [entry]
            body["metadata"] = .object(metadata)
            return (201, .object(try api.create(type, namespace: type.namespaced ? namespace : nil, body: body, options: options)))
        }
        let object = try api.write(type, namespace: namespace, name: name, options: options) { current throws(APIError) in
            var merged = StrategicMerge.merge(current, document, path: [])
            var metadata = merged["metadata"]?.objectValue ?? JSONObject()
            var managed = (current["metadata"]?["managedFields"]?.arrayValue ?? []).filter {
                !($0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == "Apply")
            }
            managed.append(entry)
            metadata["managedFields"] = .array(managed)
            metadata["resourceVersion"] = current["metadata"]?["resourceVersion"]
            merged["metadata"] = .object(metadata)
            return try ObjectSemantics.merge(type, current: current, incoming: merged, subresource: subresource)
        }
        return (200, .object(object))
    }

    /// The `FieldsV1` set of an applied document: `f:` for map members, `k:{…}` for keyed list elements.
    static func fieldSet(_ object: JSONObject, skipIdentity: Bool = false) -> JSONObject {
        var set = JSONObject()
        for (key, value) in object {
            if skipIdentity && (key == "apiVersion" || key == "kind") { continue }
            switch value {
            case .object(let child):
                var nested = fieldSet(child)
                if skipIdentity && key == "metadata" { nested["f:name"] = nil; nested["f:namespace"] = nil }
                if !(skipIdentity && key == "metadata" && nested.isEmpty) { set["f:\(key)"] = .object(nested) }
            case .array(let items):
                if let mergeKey = StrategicMerge.mergeKeys[key] {
                    var list = JSONObject()
                    for item in items {
                        guard let element = item.objectValue, let id = element[mergeKey] else { continue }
                        list["k:{\"\(mergeKey)\":\(id.compactText)}"] = .object(fieldSet(element))
                    }
                    set["f:\(key)"] = .object(list)
                } else {
                    set["f:\(key)"] = [:]
                }
            default:
                set["f:\(key)"] = [:]
            }
        }
        return set
    }
}
