import JSON

/// The life of a CustomResourceDefinition, as the apiextensions server and its controllers lead it:
/// - created: served at once, `NamesAccepted` and `Established` (the naming and establishing controllers);
/// - deleted: marked with a deletionTimestamp, the `customresourcecleanup.apiextensions.k8s.io`
///   finalizer and a `Terminating` condition (`registry/customresourcedefinition/etcd.go`), then its
///   objects are deleted as any DELETE deletes them, so their own finalizers hold them
///   (`controller/finalizer/crd_finalizer.go`); while any remain, creating one is 405; when the last
///   one goes, the finalizer is removed and the CRD with it;
/// - gone: no longer served, its open watches end.
/// The controllers' work is done inline, in the request that triggers it, so every step is over
/// when the response is sent (the real controllers run within moments).
extension KubeAPI {
    static let cleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

    var definitionType: ResourceType? { type(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions") }

    /// The CRD that serves a custom resource type.
    func definition(of type: ResourceType) -> JSONObject? {
        guard type.isCustom, let definitionType else { return nil }
        return try? store.get(definitionType, namespace: "", name: "\(type.plural).\(type.group)")
    }

    /// A created CRD is served at once: its versions become resources, and its status says so.
    func establish(_ crd: JSONObject) throws(APIError) {
        for type in CustomResourceSchema.types(of: crd) { serve(type) }
        let name = crd["metadata"]?["name"]?.stringValue ?? ""
        guard let definitionType else { return }
        _ = try write(definitionType, namespace: "", name: name) { current throws(APIError) in
            var o = current
            let time = JSONValue.string(ObjectSemantics.now())
            o["status"] = [
                "acceptedNames": current["spec"]?["names"] ?? [:],
                "storedVersions": .array((current["spec"]?["versions"]?.arrayValue ?? []).filter { $0["storage"] == true }.compactMap { $0["name"] }),
                "conditions": [
                    ["type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": time],
                    ["type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": time],
                ],
            ]
            return o
        }
    }

    /// The first DELETE of a CRD: deletionTimestamp, the cleanup finalizer and `Terminating`
    /// (InstanceDeletionPending), then the finalizer's pass over its objects. Answers the CRD as marked.
    func deleteDefinition(name: String, options: WriteOptions) throws(APIError) -> JSONObject {
        guard let definitionType else { throw APIError.pathNotFound(name) }
        let marked = try write(definitionType, namespace: "", name: name, options: options) { current throws(APIError) in
            var o = current
            var metadata = o["metadata"]?.objectValue ?? JSONObject()
            if metadata["deletionTimestamp"] == nil { metadata["deletionTimestamp"] = .string(ObjectSemantics.now()) }
            var finalizers = metadata["finalizers"]?.arrayValue ?? []
            if !finalizers.contains(.string(Self.cleanupFinalizer)) { finalizers.append(.string(Self.cleanupFinalizer)) }
            metadata["finalizers"] = .array(finalizers)
            o["metadata"] = .object(metadata)
            return Self.settingTerminating(o, status: "True", reason: "InstanceDeletionPending",
                                           message: "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon")
        }
        if !options.dryRun { finalize(name: name) }
        return marked
    }

    /// The CRD finalizer's pass: `Terminating` (InstanceDeletionInProgress), every object deleted
    /// (those with finalizers are only marked), and the CRD released if none remain.
    private func finalize(name: String) {
        guard let definitionType, let crd = try? store.get(definitionType, namespace: "", name: name),
              let type = CustomResourceSchema.types(of: crd).first else { return }
        _ = try? write(definitionType, namespace: "", name: name) { current throws(APIError) in
            Self.settingTerminating(current, status: "True", reason: "InstanceDeletionInProgress", message: "CustomResource deletion is in progress")
        }
        // In key order, as a delete-collection walks them.
        for (storageKey, key, _) in store.allObjects().sorted(by: { $0.key < $1.key }) where storageKey == type.storageKey {
            _ = try? delete(type, namespace: key.namespace, name: key.name, options: DeleteOptions())
        }
        finishTerminating(type)
    }

    /// Releases a terminating CRD once none of its objects remain: `Terminating` False
    /// (InstanceDeletionCompleted) and the cleanup finalizer removed, which deletes it.
    func finishTerminating(_ type: ResourceType) {
        guard let definitionType, let crd = definition(of: type),
              crd["metadata"]?["deletionTimestamp"] != nil,
              crd["metadata"]?["finalizers"]?.arrayValue?.contains(.string(Self.cleanupFinalizer)) == true,
              !store.allObjects().contains(where: { $0.storageKey == type.storageKey }) else { return }
        _ = try? write(definitionType, namespace: "", name: "\(type.plural).\(type.group)") { current throws(APIError) in
            var o = Self.settingTerminating(current, status: "False", reason: "InstanceDeletionCompleted", message: "removed all instances")
            var metadata = o["metadata"]?.objectValue ?? JSONObject()
            let rest = (metadata["finalizers"]?.arrayValue ?? []).filter { $0 != .string(Self.cleanupFinalizer) }
            metadata["finalizers"] = rest.isEmpty ? nil : .array(rest)
            o["metadata"] = .object(metadata)
            return o
        }
    }

    /// A removed CRD stops being served and its watches end. Objects still stored (when a client
    /// stripped the cleanup finalizer) stay in storage unserved, and reappear if the CRD comes back,
    /// as they do in etcd.
    func retire(_ crd: JSONObject) {
        for type in CustomResourceSchema.types(of: crd) {
            stopServing(group: type.group, plural: type.plural)
            store.endWatches(storageKey: type.storageKey)
        }
    }

    /// `crd` with its `Terminating` condition set (the transition time moves only when the status does).
    private static func settingTerminating(_ crd: JSONObject, status: JSONValue, reason: String, message: String) -> JSONObject {
        var o = crd
        var crdStatus = o["status"]?.objectValue ?? JSONObject()
        var conditions = crdStatus["conditions"]?.arrayValue ?? []
        let previous = conditions.first { $0["type"] == "Terminating" }
        let time = previous?["status"] == status ? previous?["lastTransitionTime"] ?? .string(ObjectSemantics.now()) : .string(ObjectSemantics.now())
        conditions.removeAll { $0["type"] == "Terminating" }
        conditions.append(["type": "Terminating", "status": status, "lastTransitionTime": time, "reason": .string(reason), "message": .string(message)])
        crdStatus["conditions"] = .array(conditions)
        o["status"] = .object(crdStatus)
        return o
    }
}
