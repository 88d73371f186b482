import JSON

/// Who writes an object: the `fieldManager` of a request, else the first word of its `User-Agent`
/// (`eip-operator/0.1` → `eip-operator`), as the API server's `managerOrUserAgent` names it; and the
/// subresource written through.
struct FieldManager: Sendable, Equatable {
    var name: String
    var subresource: String?

    /// From a request's `fieldManager` and `User-Agent` (nil when it has neither).
    init?(fieldManager: String?, userAgent: String?, subresource: String?) {
        guard let name = fieldManager.flatMap({ $0.isEmpty ? nil : $0 })
            ?? userAgent.flatMap({ $0.split(separator: "/").first.map(String.init) }) else { return nil }
        self.name = name
        self.subresource = subresource
    }
}

/// `metadata.managedFields`, as the API server's field manager keeps it (k8s.io/apiserver
/// `pkg/endpoints/handlers/fieldmanager`, sigs.k8s.io/structured-merge-diff): one entry per manager,
/// operation (`Apply` or `Update`), apiVersion (for `Update`) and subresource, each with the set of
/// fields it owns (`FieldsV1`) and the time its set last changed. An `Update` takes every field it
/// changes away from the other managers; an `Apply` owns exactly the fields it applied.
struct ManagedFields {
    struct Entry: Equatable {
        var manager: String
        var operation: String
        var apiVersion: String
        var time: String?
        var subresource: String?
        var fields: Set<FieldPath>

        /// The same writer (`BuildManagerIdentifier`: an applier's identity has no apiVersion).
        func isSameWriter(as other: Entry) -> Bool {
            manager == other.manager && operation == other.operation && subresource == other.subresource
                && (operation == "Apply" || apiVersion == other.apiVersion)
        }

        var json: JSONValue {
            var o: JSONObject = ["manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion)]
            if let time { o["time"] = .string(time) }
            o["fieldsType"] = "FieldsV1"
            o["fieldsV1"] = .object(FieldSet.encode(fields))
            if let subresource { o["subresource"] = .string(subresource) }
            return .object(o)
        }

        /// How a conflict names it: `"kubectl-client-side-apply" using apps/v1`, `"x" with subresource "scale" using apps/v1`.
        var described: String {
            var text = "\"\(manager)\""
            if let subresource { text += " with subresource \"\(subresource)\"" }
            return operation == "Update" ? text + " using \(apiVersion)" : text
        }
    }

    var entries: [Entry]

    init(entries: [Entry]) { self.entries = entries }

    init(of object: JSONObject) {
        entries = (object["metadata"]?["managedFields"]?.arrayValue ?? []).compactMap { value in
            guard let manager = value["manager"]?.stringValue, let operation = value["operation"]?.stringValue else { return nil }
            return Entry(manager: manager, operation: operation, apiVersion: value["apiVersion"]?.stringValue ?? "",
                         time: value["time"]?.stringValue, subresource: value["subresource"]?.stringValue,
                         fields: FieldSet.decode(value["fieldsV1"]?.objectValue ?? JSONObject()))
        }
    }

    /// The fields of `object` a manager can own: not `apiVersion`, `kind` or the metadata the server
    /// keeps (`stripMeta`); through the main resource, not `status` (its own subresource); through
    /// `status`, only `status`.
    static func ownable(_ object: JSONObject, _ type: ResourceType, subresource: String?) -> JSONObject {
        var o = object
        o["apiVersion"] = nil
        o["kind"] = nil
        if var metadata = o["metadata"]?.objectValue {
            for key in ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "selfLink", "managedFields",
                        "deletionTimestamp", "deletionGracePeriodSeconds"] { metadata[key] = nil }
            o["metadata"] = metadata.isEmpty ? nil : .object(metadata)
        }
        if subresource == "status" { return o["status"].map { ["status": $0] } ?? JSONObject() }
        if type.hasStatus { o["status"] = nil }
        return o
    }

    /// `new` with its managed fields after an `Update` by `manager` from `old` (nil on create): the
    /// manager owns what it changed, and nobody owns what it removed. Unchanged when nothing changed.
    static func recordUpdate(_ type: ResourceType, old: JSONObject?, new: JSONObject, by manager: FieldManager, at time: String) -> JSONObject {
        let (changed, removed) = FieldSet.changes(from: old.map { ownable($0, type, subresource: manager.subresource) } ?? JSONObject(),
                                                  to: ownable(new, type, subresource: manager.subresource))
        // A client may set the list itself (kubectl's client-side to server-side apply upgrade does):
        // a list that differs from the stored one replaces it, an empty one clears it.
        let sent = new["metadata"]?["managedFields"]
        var managed = ManagedFields(of: sent != nil && sent != old?["metadata"]?["managedFields"] ? new : old ?? new)
        if !changed.isEmpty || !removed.isEmpty {
            let writer = Entry(manager: manager.name, operation: "Update", apiVersion: type.apiVersion, time: time,
                               subresource: manager.subresource, fields: [])
            for i in managed.entries.indices { managed.entries[i].fields.subtract(changed.union(removed)) }
            if let i = managed.entries.firstIndex(where: { $0.isSameWriter(as: writer) }) {
                managed.entries[i].fields.formUnion(changed)
                managed.entries[i].time = time
            } else {
                var entry = writer
                entry.fields = changed
                managed.entries.append(entry)
            }
        }
        return managed.stored(in: new)
    }

    /// `object` carrying these entries (those owning nothing dropped), sorted as the API server
    /// sorts them: `Apply` before `Update`, then by time, manager, apiVersion, subresource.
    func stored(in object: JSONObject) -> JSONObject {
        let kept = entries.filter { !$0.fields.isEmpty }.sorted {
            ($0.operation, $0.time ?? "", $0.manager, $0.apiVersion, $0.subresource ?? "")
                < ($1.operation, $1.time ?? "", $1.manager, $1.apiVersion, $1.subresource ?? "")
        }
        var result = object
        var metadata = result["metadata"]?.objectValue ?? JSONObject()
        metadata["managedFields"] = kept.isEmpty ? nil : .array(kept.map(\.json))
        result["metadata"] = .object(metadata)
        return result
    }
}
