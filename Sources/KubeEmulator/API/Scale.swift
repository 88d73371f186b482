import HTTPKit
import JSON

/// The `scale` subresource: an `autoscaling/v1` `Scale` read from and written to a workload's
/// replicas. Deployments and StatefulSets keep them in `spec.replicas` and `status.replicas`, and
/// their selector is `spec.selector` serialized as `metav1.FormatLabelSelector` does; a custom
/// resource keeps them where its CRD's `subresources.scale` says, its selector being the string at
/// `labelSelectorPath` (empty when there is none), as the apiextensions server reads them.
enum Scale {
    static func make(_ workload: JSONObject, _ type: ResourceType) -> JSONValue {
        let metadata = workload["metadata"]?.objectValue ?? JSONObject()
        var scaleMetadata = JSONObject()
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { scaleMetadata[key] = metadata[key] }
        let specReplicas: Int, statusReplicas: Int, selector: String
        if let paths = type.scalePaths {
            specReplicas = value(workload, paths.specReplicas)?.intValue ?? 0
            statusReplicas = value(workload, paths.statusReplicas)?.intValue ?? 0
            selector = paths.labelSelector.flatMap { value(workload, $0)?.stringValue } ?? ""
        } else {
            specReplicas = workload["spec"]?["replicas"]?.intValue ?? 1
            statusReplicas = workload["status"]?["replicas"]?.intValue ?? 0
            selector = format(workload["spec"]?["selector"])
        }
        return ["kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(scaleMetadata),
                "spec": ["replicas": .integer(specReplicas)],
                "status": ["replicas": .integer(statusReplicas), "selector": .string(selector)]]
    }

    private static func value(_ object: JSONObject, _ path: [String]) -> JSONValue? {
        var value: JSONValue? = .object(object)
        for key in path { value = value?[key] }
        return value
    }

    /// A label selector as text (`metav1.FormatLabelSelector`): `matchLabels` as `k=v`, then
    /// `matchExpressions` as `k in (a,b)`, `k notin (a)`, `k`, `!k`, comma-joined, sorted.
    static func format(_ selector: JSONValue?) -> String {
        var requirements = (selector?["matchLabels"]?.objectValue ?? [:]).map { "\($0.key)=\($0.value.stringValue ?? "")" }
        for expression in selector?["matchExpressions"]?.arrayValue ?? [] {
            guard let key = expression["key"]?.stringValue else { continue }
            let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue).sorted().joined(separator: ",")
            switch expression["operator"]?.stringValue {
            case "In": requirements.append("\(key) in (\(values))")
            case "NotIn": requirements.append("\(key) notin (\(values))")
            case "Exists": requirements.append(key)
            case "DoesNotExist": requirements.append("!\(key)")
            default: break
            }
        }
        return requirements.sorted().joined(separator: ",")
    }

    /// PUT or PATCH of the Scale: the new `spec.replicas` goes to the workload (409 on a stale resourceVersion).
    static func write(_ api: KubeAPI, _ type: ResourceType, namespace: String, name: String, request: HTTPRequest,
                      options: WriteOptions) throws(APIError) -> JSONValue {
        let updated = try api.write(type, namespace: namespace, name: name, options: options) { current throws(APIError) in
            guard case .object(let scale) = make(current, type) else { return current }
            let next: JSONObject
            if request.method == "PUT" {
                next = try KubeAPI.object(request.body)
            } else {
                guard let patchType = PatchType(contentType: request.header("content-type")), patchType != .apply else {
                    throw APIError.unsupportedMediaType([PatchType.json, .merge, .strategicMerge].map(\.rawValue))
                }
                next = try Patching.apply(patchType, body: request.body, to: scale)
            }
            if let rv = next["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty, rv != current["metadata"]?["resourceVersion"]?.stringValue {
                throw APIError.conflict(type, name)
            }
            guard let replicas = next["spec"]?["replicas"]?.intValue, replicas >= 0 else {
                let scaleType = ResourceType(group: "autoscaling", version: "v1", plural: "scale", singular: "scale", kind: "Scale", namespaced: true)
                throw APIError.invalid(scaleType, name, causes: [.init(reason: "FieldValueInvalid", field: "spec.replicas",
                                                                       message: "Invalid value: \(next["spec"]?["replicas"]?.compactText ?? "null"): must be greater than or equal to 0")])
            }
            let workload = setting(type.scalePaths?.specReplicas ?? ["spec", "replicas"], to: .integer(replicas), in: current)
            return try ObjectSemantics.merge(type, current: current, incoming: workload, subresource: nil)
        }
        return make(updated, type)
    }

    /// `object` with `value` at `path`, making the objects on the way.
    private static func setting(_ path: [String], to value: JSONValue, in object: JSONObject) -> JSONObject {
        guard let first = path.first else { return object }
        var result = object
        result[first] = path.count == 1 ? value : .object(setting(Array(path.dropFirst()), to: value, in: object[first]?.objectValue ?? JSONObject()))
        return result
    }
}
