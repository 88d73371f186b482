import HTTPKit
import JSON

/// The `scale` subresource of Deployments and StatefulSets: an `autoscaling/v1` `Scale` read from and
/// written to `spec.replicas`.
enum Scale {
    static func make(_ workload: JSONObject) -> JSONValue {
        let metadata = workload["metadata"]?.objectValue ?? JSONObject()
        var scaleMetadata = JSONObject()
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { scaleMetadata[key] = metadata[key] }
        let selector = (workload["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:])
            .map { "\($0.key)=\($0.value.stringValue ?? "")" }.sorted().joined(separator: ",")
        return ["kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(scaleMetadata),
                "spec": ["replicas": .integer(workload["spec"]?["replicas"]?.intValue ?? 1)],
                "status": ["replicas": .integer(workload["status"]?["replicas"]?.intValue ?? 0), "selector": .string(selector)]]
    }

    /// PUT or PATCH of the Scale: the new `spec.replicas` goes to the workload (409 on a stale resourceVersion).
    static func write(_ api: KubeAPI, _ type: ResourceType, namespace: String, name: String, request: HTTPRequest,
                      options: WriteOptions) throws(APIError) -> JSONValue {
        let updated = try api.write(type, namespace: namespace, name: name, options: options) { current throws(APIError) in
            guard case .object(let scale) = make(current) else { return current }
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
            var workload = current
            var spec = workload["spec"]?.objectValue ?? JSONObject()
            spec["replicas"] = .integer(replicas)
            workload["spec"] = .object(spec)
            return try ObjectSemantics.merge(type, current: current, incoming: workload, subresource: nil)
        }
        return make(updated)
    }
}
