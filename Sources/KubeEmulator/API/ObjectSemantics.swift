import Foundation
import JSON

/// What the API server does to objects on their way in: metadata on create, the main/status split
/// on update, generation bumps, and the defaults of the built-in types.
enum ObjectSemantics {
    static func now() -> String { Date().ISO8601Format() }

    /// Prepares a new object: name (or generateName), namespace, uid, creationTimestamp, generation,
    /// kind/apiVersion, defaults; status is reset for types with a status subresource, as their create
    /// strategies do.
    static func prepareCreate(_ type: ResourceType, _ body: JSONObject, namespace: String?) throws(APIError) -> JSONObject {
        var object = body
        var metadata = object["metadata"]?.objectValue ?? JSONObject()
        if let rv = metadata["resourceVersion"]?.stringValue, !rv.isEmpty {
            throw APIError.badRequest("resourceVersion should not be set on objects to be created")
        }
        if metadata["name"]?.stringValue?.isEmpty ?? true {
            guard let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty else {
                throw APIError(code: 422, reason: "Invalid", message: "\(type.kind) \"\" is invalid: metadata.name: Required value: name or generateName is required",
                               details: ["kind": .string(type.kind), "causes": [["reason": "FieldValueRequired", "message": "Required value: name or generateName is required", "field": "metadata.name"]]])
            }
            let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
            metadata["name"] = .string(prefix + String((0..<5).map { _ in alphabet.randomElement() ?? "x" }))
        }
        if type.namespaced {
            let declared = metadata["namespace"]?.stringValue
            if let declared, let namespace, declared != namespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            guard let effective = namespace ?? declared else { throw APIError.badRequest("a namespace is required for \(type.qualifiedName)") }
            metadata["namespace"] = .string(effective)
        } else {
            metadata["namespace"] = nil
        }
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = .string(now())
        metadata["resourceVersion"] = nil
        metadata["deletionTimestamp"] = nil
        if type.hasGeneration { metadata["generation"] = 1 } else { metadata["generation"] = nil }
        object["metadata"] = .object(metadata)
        object["apiVersion"] = .string(type.apiVersion)
        object["kind"] = .string(type.kind)
        if type.hasStatus {
            object["status"] = type.isCustom ? nil : initialStatus(type)
        }
        return Defaulting.apply(type, object)
    }

    /// The status a create strategy starts a built-in object with (as its v1 serialization shows it:
    /// the fields without `omitempty`).
    private static func initialStatus(_ type: ResourceType) -> JSONValue? {
        switch type.plural {
        case "pods": return ["phase": "Pending"]
        case "statefulsets": return ["replicas": 0, "availableReplicas": 0]
        case "poddisruptionbudgets": return ["disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0]
        default: return nil
        }
    }

    /// The object a write to the main resource (`subresource == nil`) or to `status` produces from
    /// `current` and the client's `incoming`:
    /// - main: everything but status from `incoming` (status kept, when there is a status subresource);
    /// - status: only status from `incoming`;
    /// - server-owned metadata (uid, creationTimestamp, generation, deletionTimestamp, name, namespace) kept;
    /// - 409 Conflict when `incoming` names a resourceVersion other than the current one;
    /// - generation + 1 when anything outside metadata and status changed.
    static func merge(_ type: ResourceType, current: JSONObject, incoming: JSONObject, subresource: String?) throws(APIError) -> JSONObject {
        let name = current["metadata"]?["name"]?.stringValue ?? ""
        if let rv = incoming["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty,
           rv != current["metadata"]?["resourceVersion"]?.stringValue {
            throw APIError.conflict(type, name)
        }
        if let incomingName = incoming["metadata"]?["name"]?.stringValue, !incomingName.isEmpty, incomingName != name {
            throw APIError.badRequest("the name of the object (\(incomingName)) does not match the name on the URL (\(name))")
        }
        var result: JSONObject
        if subresource == "status" {
            result = current
            result["status"] = incoming["status"]
        } else {
            result = incoming
            var metadata = incoming["metadata"]?.objectValue ?? JSONObject()
            let old = current["metadata"]?.objectValue ?? JSONObject()
            for key in ["name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"] {
                metadata[key] = old[key]
            }
            result["metadata"] = .object(metadata)
            result["apiVersion"] = .string(type.apiVersion)
            result["kind"] = .string(type.kind)
            if type.hasStatus { result["status"] = current["status"] }
            result = Defaulting.apply(type, result)
            // Once deletion has begun, finalizers may only be removed, never added.
            if old["deletionTimestamp"] != nil {
                let before = Set(old["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                let after = Set(metadata["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                if !after.isSubset(of: before) {
                    throw APIError(code: 422, reason: "Invalid", message: "\(type.kind) \"\(name)\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted")
                }
            }
        }
        if type.hasGeneration, specChanged(current, result) {
            var metadata = result["metadata"]?.objectValue ?? JSONObject()
            metadata["generation"] = .integer((current["metadata"]?["generation"]?.intValue ?? 1) + 1)
            result["metadata"] = .object(metadata)
        }
        return result
    }

    /// Anything outside metadata and status differs.
    static func specChanged(_ a: JSONObject, _ b: JSONObject) -> Bool {
        var x = a, y = b
        for key in ["metadata", "status", "apiVersion", "kind"] { x[key] = nil; y[key] = nil }
        return x != y
    }

    /// True when the object is being deleted and no finalizer holds it any more.
    static func readyToRemove(_ object: JSONObject) -> Bool {
        object["metadata"]?["deletionTimestamp"] != nil && (object["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty
    }
}
