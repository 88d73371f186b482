import JSON

/// Server-side apply (`PATCH` with `application/apply-patch+yaml` and `fieldManager`), as the API
/// server's field manager does it (sigs.k8s.io/structured-merge-diff `merge.Updater.Apply`):
///
/// - a missing object is created, its applier owning exactly the applied fields;
/// - the applied fields merge into the object: maps member by member, `map` lists element by key
///   (``ListSchema``), `set` lists by value, other lists replaced whole;
/// - a field another manager owns that the apply would change is a **conflict**: 409 naming each
///   manager and field, unless `force=true`, which takes the fields from them;
/// - fields the manager applied last time and no longer applies are **removed**, unless another
///   manager owns them too;
/// - `metadata.resourceVersion` in the applied object is a precondition (409 when stale);
/// - `metadata.managedFields` then holds the manager's `Apply` entry with the applied set.
enum ServerSideApply {
    static func apply(_ api: KubeAPI, _ type: ResourceType, namespace: String, name: String, subresource: String?,
                      document: JSONObject, manager: String, force: Bool, options: WriteOptions) throws(APIError) -> (Int, JSONValue?) {
        if let kind = document["kind"]?.stringValue, kind != type.kind {
            throw APIError.badRequest("the kind of the applied object (\(kind)) does not match the URL (\(type.kind))")
        }
        if let applied = document["metadata"]?["name"]?.stringValue, applied != name {
            throw APIError.badRequest("the name of the object (\(applied)) does not match the name on the URL (\(name))")
        }
        let applied = FieldSet.leaves(ManagedFields.ownable(document, type, subresource: subresource))
        let entry = ManagedFields.Entry(manager: manager, operation: "Apply", apiVersion: type.apiVersion, time: ObjectSemantics.now(),
                                        subresource: subresource, fields: applied)
        if subresource == nil, (try? api.store.get(type, namespace: namespace, name: name)) == nil {
            var body = document
            var metadata = body["metadata"]?.objectValue ?? JSONObject()
            metadata["name"] = .string(name)
            body["metadata"] = .object(metadata)
            var created = options
            created.manager = nil
            body = ManagedFields(entries: [entry]).stored(in: body)
            return (201, .object(try api.create(type, namespace: type.namespaced ? namespace : nil, body: body, options: created)))
        }
        var written = options
        written.manager = nil  // the apply keeps its own books
        let object = try api.write(type, namespace: namespace, name: name, options: written) { current throws(APIError) in
            var managed = ManagedFields(of: current)
            let mine = managed.entries.firstIndex { $0.isSameWriter(as: entry) }
            let lastApplied = mine.map { managed.entries[$0].fields } ?? []
            var merged = StructuredMerge.merge(current, ManagedFields.ownable(document, type, subresource: subresource))

            // Conflicts: fields another manager owns whose value the apply changes.
            var conflicts: [(entry: Int, path: FieldPath)] = []
            for (i, other) in managed.entries.enumerated() where i != mine {
                for path in other.fields.intersection(applied).sorted(by: { $0.lexicographicallyPrecedes($1) }) where path.last != "."
                    && FieldSet.value(at: path, in: .object(current)) != FieldSet.value(at: path, in: .object(merged)) {
                    conflicts.append((i, path))
                }
            }
            if !conflicts.isEmpty && !force && !upgradesClientSideApply(manager, conflicts.map(\.path), current, type) {
                throw conflictError(conflicts.map { (managed.entries[$0.entry], $0.path) })
            }
            for conflict in conflicts { managed.entries[conflict.entry].fields.remove(conflict.path) }

            // What it applied before and no longer applies goes, unless someone else owns it.
            var owned = applied
            for (i, other) in managed.entries.enumerated() where i != mine { owned.formUnion(other.fields) }
            merged = FieldSet.removing(abandoned(lastApplied.subtracting(applied), owned: owned), from: merged)

            if manager == kubectlManager, current["metadata"]?["annotations"]?[lastAppliedAnnotation] != nil {
                merged = keepingLastApplied(document, in: merged)
            }
            // An apply that changes nothing writes nothing: its entry keeps its time (the field manager
            // stamps a time only on an object it changed), so no new resourceVersion and no watch event.
            var applier = entry
            if merged == current, let mine { applier.time = managed.entries[mine].time }
            if let mine { managed.entries[mine] = applier } else { managed.entries.append(applier) }
            merged = managed.stored(in: merged)
            // The applied resourceVersion stays, so that a stale one is refused (409) as on an update.
            var metadata = merged["metadata"]?.objectValue ?? JSONObject()
            metadata["resourceVersion"] = document["metadata"]?["resourceVersion"] ?? current["metadata"]?["resourceVersion"]
            merged["metadata"] = .object(metadata)
            return try ObjectSemantics.merge(type, current: current, incoming: merged, subresource: subresource)
        }
        return (200, .object(object))
    }

    /// `kubectl apply --server-side`'s own field manager, and the annotation client-side apply keeps.
    static let kubectlManager = "kubectl", lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// The upgrade from client-side apply (the API server's `lastAppliedManager`): an apply by
    /// `kubectl` whose conflicts are all fields of the object's last-applied configuration takes
    /// them without `force`, as the same user applied them before, client-side.
    private static func upgradesClientSideApply(_ manager: String, _ conflicts: [FieldPath], _ live: JSONObject, _ type: ResourceType) -> Bool {
        guard manager == kubectlManager, let text = live["metadata"]?["annotations"]?[lastAppliedAnnotation]?.stringValue,
              let lastApplied = try? JSONValue(parsing: Array(text.utf8)).objectValue else { return false }
        return Set(conflicts).isSubset(of: FieldSet.leaves(ManagedFields.ownable(lastApplied, type, subresource: nil)))
    }

    /// `object` with its last-applied configuration set to what `kubectl` applied server-side (the
    /// API server's `lastAppliedUpdater`), so that a later client-side apply starts from it.
    private static func keepingLastApplied(_ document: JSONObject, in object: JSONObject) -> JSONObject {
        var applied = document
        var appliedMetadata = applied["metadata"]?.objectValue ?? JSONObject()
        var appliedAnnotations = appliedMetadata["annotations"]?.objectValue ?? JSONObject()
        appliedAnnotations[lastAppliedAnnotation] = nil
        appliedMetadata["annotations"] = appliedAnnotations.isEmpty ? nil : .object(appliedAnnotations)
        applied["metadata"] = .object(appliedMetadata)
        var result = object
        var metadata = result["metadata"]?.objectValue ?? JSONObject()
        var annotations = metadata["annotations"]?.objectValue ?? JSONObject()
        annotations[lastAppliedAnnotation] = .string(JSONValue.object(applied).compactText)
        metadata["annotations"] = .object(annotations)
        result["metadata"] = .object(metadata)
        return result
    }

    /// The fields to remove of those `dropped`: an element stays (with its key fields) while anyone
    /// owns a field inside it.
    private static func abandoned(_ dropped: Set<FieldPath>, owned: Set<FieldPath>) -> Set<FieldPath> {
        var removed = dropped.subtracting(owned)
        for path in removed where path.last == "." {
            let element = Array(path.dropLast())
            guard owned.contains(where: { $0.starts(with: element) }) else { continue }
            removed.remove(path)
            removed = removed.filter { !($0.starts(with: element) && $0.count == element.count + 1 && isKeyField($0, of: element)) }
        }
        return removed
    }

    private static func isKeyField(_ path: FieldPath, of element: FieldPath) -> Bool {
        guard let token = element.last, token.hasPrefix("k:"), let field = path.last, field.hasPrefix("f:"),
              let key = try? JSONValue(parsing: Array(token.dropFirst(2).utf8)).objectValue else { return false }
        return key[String(field.dropFirst(2))] != nil
    }

    /// 409 as `NewApplyConflict` words it: `Apply failed with 1 conflict: conflict with "m" using apps/v1: .spec.replicas`,
    /// with one `FieldManagerConflict` cause per field.
    static func conflictError(_ conflicts: [(ManagedFields.Entry, FieldPath)]) -> APIError {
        let causes: [JSONValue] = conflicts.map {
            ["reason": "FieldManagerConflict", "message": .string("conflict with \($0.0.described)"), "field": .string(FieldSet.describe($0.1))]
        }
        let message: String
        if conflicts.count == 1, let only = conflicts.first {
            message = "Apply failed with 1 conflict: conflict with \(only.0.described): \(FieldSet.describe(only.1))"
        } else {
            var lines: [String] = []
            for manager in Set(conflicts.map(\.0.described)).sorted() {
                lines.append("conflicts with \(manager):")
                lines += conflicts.filter { $0.0.described == manager }.map { "- " + FieldSet.describe($0.1) }
            }
            message = "Apply failed with \(conflicts.count) conflicts: " + lines.joined(separator: "\n")
        }
        return APIError(code: 409, reason: "Conflict", message: message, details: ["causes": .array(causes)])
    }
}

/// The merge of an applied object into the live one (structured-merge-diff's `merge`): maps member
/// by member; `map` and `set` lists element by element, the live order kept and the applied
/// elements placed in their applied order (`visitListItems`); anything else replaced.
enum StructuredMerge {
    static func merge(_ live: JSONObject, _ applied: JSONObject) -> JSONObject {
        var result = live
        for (key, value) in applied { result[key] = merge(live[key], value, field: key) }
        return result
    }

    private static func merge(_ live: JSONValue?, _ applied: JSONValue, field: String) -> JSONValue {
        switch (live, applied) {
        case (.object(let l)?, .object(let a)):
            return .object(merge(l, a))
        case (.array(let l)?, .array(let a)) where ListSchema.isAssociative(field, l + a):
            return .array(mergeList(l, a, field: field))
        default:
            return applied
        }
    }

    private static func mergeList(_ live: [JSONValue], _ applied: [JSONValue], field: String) -> [JSONValue] {
        let lKeys = live.enumerated().map { ListSchema.element(field, $1) ?? "#l\($0)" }
        let rKeys = applied.enumerated().map { ListSchema.element(field, $1) ?? "#r\($0)" }
        let lIndex = Dictionary(lKeys.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let rIndex = Dictionary(rKeys.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let shared = rKeys.filter { lIndex[$0] != nil }
        var nextShared = 0
        var merged = Set<String>()
        var out: [JSONValue] = []
        func item(_ key: String, _ r: Int) -> JSONValue { lIndex[key].map { merge(live[$0], applied[r], field: "") } ?? applied[r] }
        var l = 0, r = 0
        while l < live.count || r < applied.count {
            if l < live.count, r < applied.count {
                if lKeys[l] == rKeys[r] {
                    merged.insert(rKeys[r])
                    out.append(item(rKeys[r], r))
                    l += 1; r += 1; nextShared += 1
                    continue
                }
                if rIndex[lKeys[l]] != nil, nextShared < shared.count, shared[nextShared] != lKeys[l] { l += 1; continue }
            }
            if l < live.count {
                if rIndex[lKeys[l]] == nil { out.append(live[l]); l += 1; continue }
                if merged.contains(lKeys[l]) { l += 1; continue }
            }
            if r < applied.count {
                merged.insert(rKeys[r])
                out.append(item(rKeys[r], r))
                if nextShared < shared.count, shared[nextShared] == rKeys[r] { nextShared += 1 }
                r += 1
            }
        }
        return out
    }
}
