import HTTPKit
import JSON
import YAML

/// The four patch types of PATCH requests.
enum PatchType: String, CaseIterable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategicMerge = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"

    init?(contentType: String?) {
        guard let base = contentType?.split(separator: ";").first?.trimmingSpaces().lowercased() else { return nil }
        self.init(rawValue: base)
    }

    /// What a resource accepts: custom resources have no strategic merge (no Go struct tags to read).
    static func accepted(by type: ResourceType) -> [PatchType] {
        type.isCustom ? [.json, .merge, .apply] : allCases
    }
}

enum Patching {
    /// Applies a JSON patch, merge patch or strategic merge patch body to `current`.
    static func apply(_ patchType: PatchType, body: [UInt8], to current: JSONObject) throws(APIError) -> JSONObject {
        let document: JSONValue
        do throws(JSONParseError) {
            document = try JSONValue(parsing: body)
        } catch {
            throw APIError.badRequest("error decoding patch: \(error.message)")
        }
        let result: JSONValue
        switch patchType {
        case .json:
            do throws(JSONPatchError) {
                result = try JSONPatch.apply(document, to: .object(current))
            } catch {
                // A failed `test` and an unusable path are both 422, as from the real server.
                throw APIError(code: 422, reason: "Invalid", message: error.message)
            }
        case .merge:
            guard document.objectValue != nil else { throw APIError.badRequest("a merge patch must be a JSON object") }
            result = JSONValue.object(current).applyingMergePatch(document)
        case .strategicMerge:
            guard let patch = document.objectValue else { throw APIError.badRequest("a strategic merge patch must be a JSON object") }
            result = .object(StrategicMerge.merge(current, patch, path: []))
        case .apply:
            throw APIError.badRequest("apply patches are handled by the apply path")
        }
        guard let object = result.objectValue else { throw APIError.badRequest("the patched document is not an object") }
        return object
    }

    /// Reads an apply body (YAML or JSON).
    static func applyDocument(_ body: [UInt8]) throws(APIError) -> JSONObject {
        do throws(YAMLError) {
            let values = try YAMLReader.jsonValues(in: String(decoding: body, as: UTF8.self))
            guard values.count == 1, let object = values[0].objectValue else { throw YAMLError("expected one object", at: YAMLMark(line: 1, column: 1)) }
            return object
        } catch {
            throw APIError.badRequest("error decoding YAML: \(error.description)")
        }
    }
}

/// Strategic merge patch for the built-in types: like a JSON merge patch, except that lists with a
/// merge key merge element by element (containers, initContainers, volumes, env and imagePullSecrets
/// by `name`, ports by `containerPort`, volumeMounts by `mountPath`, conditions by `type`,
/// ownerReferences by `uid`, webhook configurations' `webhooks` by `name`), `finalizers` merge as a
/// set, `$patch: delete` removes an element, `$patch: replace` replaces a map, and
/// `$setElementOrder/<list>` orders a merged list.
/// Other lists are replaced whole, as their patch strategy is "replace".
enum StrategicMerge {
    static let mergeKeys: [String: String] = [
        "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name", "env": "name",
        "imagePullSecrets": "name", "ports": "containerPort", "volumeMounts": "mountPath", "conditions": "type",
        "ownerReferences": "uid", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
        "webhooks": "name",  // Validating/MutatingWebhookConfiguration
    ]

    static func merge(_ current: JSONObject, _ patch: JSONObject, path: [String]) -> JSONObject {
        if patch["$patch"]?.stringValue == "replace" {
            var replaced = patch
            replaced["$patch"] = nil
            return replaced
        }
        var result = current
        var orders: [String: [JSONValue]] = [:]
        for (key, value) in patch {
            if key.hasPrefix("$setElementOrder/") {
                orders[String(key.dropFirst("$setElementOrder/".count))] = value.arrayValue ?? []
                continue
            }
            if key.hasPrefix("$") { continue }
            switch value {
            case .null:
                result[key] = nil
            case .object(let patchObject):
                result[key] = .object(merge(result[key]?.objectValue ?? JSONObject(), patchObject, path: path + [key]))
            case .array(let items):
                if let mergeKey = mergeKeys[key] {
                    result[key] = .array(mergeList(result[key]?.arrayValue ?? [], items, key: mergeKey, path: path + [key]))
                } else if key == "finalizers" {
                    var set = result[key]?.arrayValue ?? []
                    for item in items where !set.contains(item) { set.append(item) }
                    result[key] = .array(set)
                } else {
                    result[key] = value
                }
            default:
                result[key] = value
            }
        }
        for (key, order) in orders {
            guard let mergeKey = mergeKeys[key], let list = result[key]?.arrayValue else { continue }
            let keys = order.compactMap { $0[mergeKey] }
            let ordered = keys.compactMap { k in list.first { $0[mergeKey] == k } }
            result[key] = .array(ordered + list.filter { item in !keys.contains { $0 == item[mergeKey] } })
        }
        return result
    }

    private static func mergeList(_ current: [JSONValue], _ patch: [JSONValue], key: String, path: [String]) -> [JSONValue] {
        var result = current
        for item in patch {
            guard let patchObject = item.objectValue, let id = patchObject[key] else { continue }
            let index = result.firstIndex { $0[key] == id }
            if patchObject["$patch"]?.stringValue == "delete" {
                if let index { result.remove(at: index) }
            } else if let index, let existing = result[index].objectValue {
                result[index] = .object(merge(existing, patchObject, path: path))
            } else {
                var added = patchObject
                added["$patch"] = nil
                result.append(.object(added))
            }
        }
        return result
    }
}
