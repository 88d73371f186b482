import JSON

/// One field of an object as `metadata.managedFields` names it (`FieldsV1`): `f:<name>` for a map
/// member, `k:{"name":"x"}` for an element of a list keyed by its map keys, `v:<json>` for an element
/// of a set, and `.` for a keyed element itself. `["f:spec", "f:replicas"]`.
typealias FieldPath = [String]

/// What the API server knows of the built-in types' lists (k8s.io/api's `+listType` markers, read by
/// sigs.k8s.io/structured-merge-diff): which are `map` lists and their keys, which are `set`s; any
/// other list is `atomic` (owned and replaced whole). Keyed by the list's field name, as the types
/// used here never give one name two list types.
enum ListSchema {
    /// `+listType=map` lists and their `+listMapKey`s.
    static func mapKeys(_ field: String, _ item: JSONObject) -> [String]? {
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets", "webhooks": return ["name"]
        case "volumeMounts": return ["mountPath"]
        case "ports": return item["containerPort"] != nil ? ["containerPort", "protocol"] : ["port", "protocol"]  // ContainerPort, ServicePort
        case "conditions": return ["type"]
        case "ownerReferences": return ["uid"]
        case "hostAliases": return ["ip"]
        case "topologySpreadConstraints": return ["topologyKey", "whenUnsatisfiable"]
        default: return nil
        }
    }

    /// `+listType=set` lists.
    static func isSet(_ field: String) -> Bool { field == "finalizers" }

    /// A key field's `+default` when an element omits it (`protocol: TCP`).
    static func defaultKey(_ key: String) -> JSONValue? { key == "protocol" ? "TCP" : nil }

    /// True when the list merges element by element (`map` or `set`).
    static func isAssociative(_ field: String, _ items: [JSONValue]) -> Bool {
        isSet(field) || items.first.flatMap(\.objectValue).flatMap { mapKeys(field, $0) } != nil
    }

    /// The element's path element: `k:{"containerPort":80,"protocol":"TCP"}` (keys sorted, as
    /// structured-merge-diff's `FieldList`), `v:"a"` for a set; nil when it has no key.
    static func element(_ field: String, _ item: JSONValue) -> String? {
        if isSet(field) { return "v:" + item.compactText }
        guard let object = item.objectValue, let keys = mapKeys(field, object) else { return nil }
        var parts: [String] = []
        for key in keys.sorted() {
            guard let value = object[key] ?? defaultKey(key) else { return nil }
            parts.append("\"\(key)\":\(value.compactText)")
        }
        return "k:{" + parts.joined(separator: ",") + "}"
    }
}

/// Field sets: what an object sets, where two objects differ, and removing fields.
enum FieldSet {
    /// The leaf fields `value` sets under `path` (a non-empty map is its members; a keyed list is
    /// its elements, each `.` plus its fields; an empty map, an atomic list or a scalar is a leaf).
    static func leaves(_ object: JSONObject, at path: FieldPath = []) -> Set<FieldPath> {
        var set = Set<FieldPath>()
        collect(object, at: path, into: &set)
        return set
    }

    private static func collect(_ object: JSONObject, at path: FieldPath, into set: inout Set<FieldPath>) {
        for (key, value) in object {
            let here = path + ["f:" + key]
            switch value {
            case .object(let child) where !child.isEmpty:
                collect(child, at: here, into: &set)
            case .array(let items) where !items.isEmpty && ListSchema.isAssociative(key, items):
                for item in items {
                    guard let element = ListSchema.element(key, item) else { continue }
                    if element.hasPrefix("v:") {
                        set.insert(here + [element])
                    } else if let child = item.objectValue {
                        set.insert(here + [element, "."])
                        collect(child, at: here + [element], into: &set)
                    }
                }
            default:
                set.insert(here)
            }
        }
    }

    /// The value at `path` in `root` (for `.`, the keyed element itself); nil when absent.
    static func value(at path: FieldPath, in root: JSONValue) -> JSONValue? {
        var current: JSONValue? = root
        var field = ""
        for token in path where token != "." {
            guard let here = current else { return nil }
            if token.hasPrefix("f:") {
                field = String(token.dropFirst(2))
                current = here[field]
            } else {
                current = here.arrayValue?.first { ListSchema.element(field, $0) == token }
            }
        }
        return current
    }

    /// The leaves of `new` that `old` lacks or holds with another value, and those of `old` that `new` lacks.
    static func changes(from old: JSONObject, to new: JSONObject) -> (changed: Set<FieldPath>, removed: Set<FieldPath>) {
        let before = leaves(old), after = leaves(new)
        var changed = after.subtracting(before)
        for path in after.intersection(before) where path.last != "." {
            if value(at: path, in: .object(old)) != value(at: path, in: .object(new)) { changed.insert(path) }
        }
        return (changed, before.subtracting(after))
    }

    /// `object` without the fields of `paths` (a `.` path removes its element whole); maps and lists
    /// left empty by a removal go too, as Go's `omitempty` serializes them.
    static func removing(_ paths: Set<FieldPath>, from object: JSONObject) -> JSONObject {
        var result = JSONValue.object(object)
        // Whole elements first, then the fields of elements that stay.
        for path in paths.sorted(by: { ($0.last == ".") && ($1.last != ".") }) {
            let target = path.last == "." ? Array(path.dropLast()) : path
            result = removing(target[...], from: result, field: "", depth: 0) ?? .object(JSONObject())
        }
        return result.objectValue ?? object
    }

    private static func removing(_ path: ArraySlice<String>, from value: JSONValue, field: String, depth: Int) -> JSONValue? {
        guard let token = path.first else { return nil }
        let rest = path.dropFirst()
        switch value {
        case .object(var object) where token.hasPrefix("f:"):
            let key = String(token.dropFirst(2))
            guard let child = object[key] else { return value }
            object[key] = rest.isEmpty ? nil : removing(rest, from: child, field: key, depth: depth + 1)
            return object.isEmpty && depth > 0 ? nil : .object(object)
        case .array(var items):
            guard let index = items.firstIndex(where: { ListSchema.element(field, $0) == token }) else { return value }
            if rest.isEmpty {
                items.remove(at: index)
            } else if let kept = removing(rest, from: items[index], field: field, depth: depth + 1) {
                items[index] = kept
            } else {
                items.remove(at: index)
            }
            return items.isEmpty ? nil : .array(items)
        default:
            return value
        }
    }

    /// `FieldsV1`: the set as nested objects, a leaf being `{}`.
    static func encode(_ paths: Set<FieldPath>) -> JSONObject {
        var root = JSONObject()
        for path in paths.sorted(by: { $0.lexicographicallyPrecedes($1) }) { root = inserting(path[...], into: root) }
        return root
    }

    private static func inserting(_ path: ArraySlice<String>, into object: JSONObject) -> JSONObject {
        guard let first = path.first else { return object }
        var result = object
        result[first] = .object(inserting(path.dropFirst(), into: object[first]?.objectValue ?? JSONObject()))
        return result
    }

    /// The paths of a `FieldsV1` object: each `{}` is a leaf.
    static func decode(_ fields: JSONObject, at path: FieldPath = []) -> Set<FieldPath> {
        var set = Set<FieldPath>()
        for (key, child) in fields {
            let nested = child.objectValue ?? JSONObject()
            if nested.isEmpty { set.insert(path + [key]) } else { set.formUnion(decode(nested, at: path + [key])) }
        }
        return set
    }

    /// A path as the API server prints it in conflicts: `.spec.template.spec.initContainers[name="warm"].image`.
    static func describe(_ path: FieldPath) -> String {
        var text = ""
        for token in path where token != "." {
            if token.hasPrefix("f:") {
                text += "." + token.dropFirst(2)
            } else if token.hasPrefix("k:"), let key = try? JSONValue(parsing: Array(token.dropFirst(2).utf8)).objectValue {
                text += "[" + key.map { "\($0.key)=\($0.value.compactText)" }.joined(separator: ",") + "]"
            } else {
                text += "[=" + token.dropFirst(2) + "]"
            }
        }
        return text
    }
}
