import Foundation
import JSON

/// Custom resources as the apiextensions server handles them: the resource types a CRD serves, and
/// admission of custom objects against the version's structural schema: defaults applied, unknown
/// fields pruned (kept only under `x-kubernetes-preserve-unknown-fields`), then validation of types,
/// `required`, `enum`, `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems` and
/// `pattern`, answered 422 with one cause per field. CEL rules (`x-kubernetes-validations`) are
/// not evaluated (see docs/kube-emulator.md).
enum CustomResourceSchema {
    static func types(of crd: JSONObject) -> [ResourceType] {
        guard let spec = crd["spec"]?.objectValue, let group = spec["group"]?.stringValue,
              let names = spec["names"]?.objectValue, let plural = names["plural"]?.stringValue, let kind = names["kind"]?.stringValue
        else { return [] }
        return (spec["versions"]?.arrayValue ?? []).compactMap { version -> ResourceType? in
            guard let name = version["name"]?.stringValue, version["served"] != false else { return nil }
            return ResourceType(group: group, version: name, plural: plural, singular: names["singular"]?.stringValue ?? kind.lowercased(),
                                kind: kind, namespaced: spec["scope"]?.stringValue != "Cluster",
                                shortNames: names["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                hasStatus: version["subresources"]?["status"] != nil, hasGeneration: true, returnsDeletedObject: true,
                                isCustom: true, schema: version["schema"]?["openAPIV3Schema"],
                                categories: names["categories"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                scalePaths: ScalePaths(version["subresources"]?["scale"]))
        }
    }

    /// The object after defaulting and pruning, or 422 with every problem found. With `strict`
    /// (`fieldValidation=Strict`), a field that would be pruned is an error instead, as the real server reports it.
    static func admit(_ type: ResourceType, _ object: JSONObject, strict: Bool = false) throws(APIError) -> JSONObject {
        guard let schema = type.schema else { return object }
        var causes: [APIError.Cause] = []
        var pruned: [String] = []
        var result = object
        for (key, value) in object where !["apiVersion", "kind", "metadata"].contains(key) {
            if let property = schema["properties"]?[key] {
                result[key] = process(value, property, path: key, &causes, &pruned)
            } else if schema["x-kubernetes-preserve-unknown-fields"] != true {
                result[key] = nil
                pruned.append(key)
            }
        }
        if strict, !pruned.isEmpty {
            throw APIError.badRequest("strict decoding error: " + pruned.map { "unknown field \"\($0)\"" }.joined(separator: ", "))
        }
        for (key, property) in schema["properties"]?.objectValue ?? [:] where result[key] == nil && !["apiVersion", "kind", "metadata"].contains(key) {
            if let fallback = property["default"] { result[key] = fallback }
        }
        for required in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where result[required] == nil {
            causes.append(.init(reason: "FieldValueRequired", field: required, message: "Required value"))
        }
        guard causes.isEmpty else {
            throw APIError.invalid(type, object["metadata"]?["name"]?.stringValue ?? "", causes: causes)
        }
        return result
    }

    private static func process(_ value: JSONValue, _ schema: JSONValue, path: String, _ causes: inout [APIError.Cause],
                                _ pruned: inout [String]) -> JSONValue {
        if value.isNull, schema["nullable"] == true { return value }
        if let type = schema["type"]?.stringValue, !fits(value, type) {
            causes.append(.init(reason: "FieldValueTypeInvalid", field: path,
                                message: "Invalid value: \"\(value.typeName)\": \(path) in body must be of type \(type): \"\(value.typeName)\""))
            return value
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            causes.append(.init(reason: "FieldValueNotSupported", field: path,
                                message: "Unsupported value: \(value.compactText): supported values: \(allowed.map(\.compactText).joined(separator: ", "))"))
        }
        switch value {
        case .object(let object):
            var result = object
            let properties = schema["properties"]?.objectValue
            let additional = schema["additionalProperties"]
            let preserve = schema["x-kubernetes-preserve-unknown-fields"] == true
            for (key, member) in object {
                if let property = properties?[key] {
                    result[key] = process(member, property, path: "\(path).\(key)", &causes, &pruned)
                } else if let additional, additional.objectValue != nil {
                    result[key] = process(member, additional, path: "\(path).\(key)", &causes, &pruned)
                } else if !preserve && (properties != nil || additional == nil) && additional != true {
                    result[key] = nil  // pruned, as unknown fields are
                    pruned.append("\(path).\(key)")
                }
            }
            for (key, property) in properties ?? [:] where result[key] == nil {
                if let fallback = property["default"] { result[key] = fallback }
            }
            for required in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where result[required] == nil {
                causes.append(.init(reason: "FieldValueRequired", field: "\(path).\(required)", message: "Required value"))
            }
            return .object(result)
        case .array(let items):
            if let min = schema["minItems"]?.intValue, items.count < min {
                causes.append(.init(reason: "FieldValueInvalid", field: path, message: "Invalid value: \(items.count): \(path) in body should have at least \(min) items"))
            }
            if let max = schema["maxItems"]?.intValue, items.count > max {
                causes.append(.init(reason: "FieldValueTooMany", field: path, message: "Too many: \(items.count): must have at most \(max) items"))
            }
            guard let itemSchema = schema["items"] else { return value }
            var processed: [JSONValue] = []
            for (i, item) in items.enumerated() { processed.append(process(item, itemSchema, path: "\(path)[\(i)]", &causes, &pruned)) }
            return .array(processed)
        case .integer, .double:
            let number = value.doubleValue ?? 0
            if let min = schema["minimum"]?.doubleValue, number < min {
                causes.append(.init(reason: "FieldValueInvalid", field: path,
                                    message: "Invalid value: \(value.compactText): \(path) in body should be greater than or equal to \(schema["minimum"]?.compactText ?? "")"))
            }
            if let max = schema["maximum"]?.doubleValue, number > max {
                causes.append(.init(reason: "FieldValueInvalid", field: path,
                                    message: "Invalid value: \(value.compactText): \(path) in body should be less than or equal to \(schema["maximum"]?.compactText ?? "")"))
            }
            return value
        case .string(let text):
            if let min = schema["minLength"]?.intValue, text.count < min {
                causes.append(.init(reason: "FieldValueInvalid", field: path, message: "Invalid value: \(value.compactText): \(path) in body should be at least \(min) chars long"))
            }
            if let max = schema["maxLength"]?.intValue, text.count > max {
                causes.append(.init(reason: "FieldValueTooLong", field: path, message: "Too long: may not be more than \(max) bytes"))
            }
            if let pattern = schema["pattern"]?.stringValue, let regex = try? NSRegularExpression(pattern: pattern),
               regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                causes.append(.init(reason: "FieldValueInvalid", field: path, message: "Invalid value: \(value.compactText): \(path) in body should match '\(pattern)'"))
            }
            return value
        default:
            return value
        }
    }

    private static func fits(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool): return true
        case ("integer", .integer): return true
        case ("integer", .double(let d)): return d.rounded() == d
        case ("number", .integer), ("number", .double): return true
        default: return false
        }
    }
}
