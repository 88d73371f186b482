import Foundation
import JSON

/// Validation of the built-in kinds whose rules a client can trip over when it applies its install
/// manifests: RBAC (a binding's `roleRef` is required, of a valid kind, and can never change),
/// PodDisruptionBudgets (`minAvailable` or `maxUnavailable`, not both) and admission webhook
/// configurations (the fields v1 requires, the values it supports). Answered 422 `Invalid` with
/// one cause per field, in the API server's words (`k8s.io/kubernetes/pkg/apis/rbac/validation`,
/// `…/policy/validation`, `…/admissionregistration/validation`). Other kinds are not validated
/// (docs/kube-emulator.md).
enum BuiltInValidation {
    static func validate(_ type: ResourceType, _ object: JSONObject, old: JSONObject?) throws(APIError) {
        var causes: [APIError.Cause] = []
        switch (type.group, type.plural) {
        case ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "clusterroles"):
            causes = rules(object["rules"], namespaced: type.namespaced)
        case ("rbac.authorization.k8s.io", "rolebindings"), ("rbac.authorization.k8s.io", "clusterrolebindings"):
            causes = binding(object, old: old, namespaced: type.namespaced)
        case ("policy", "poddisruptionbudgets"):
            if object["spec"]?["minAvailable"] != nil, object["spec"]?["maxUnavailable"] != nil {
                causes = [invalid("spec", "\"object\"", "minAvailable and maxUnavailable cannot be both set")]
            }
        case ("scheduling.k8s.io", "priorityclasses"):
            causes = priorityClass(object, old: old)
        case ("admissionregistration.k8s.io", "validatingwebhookconfigurations"), ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"):
            causes = webhooks(object["webhooks"]?.arrayValue ?? [])
        default:
            return
        }
        guard causes.isEmpty else { throw APIError.invalid(type, object["metadata"]?["name"]?.stringValue ?? "", causes: causes) }
    }

    // MARK: PriorityClass

    /// `ValidatePriorityClass` and `ValidatePriorityClassUpdate`: a value no higher than one billion for
    /// user classes (`HighestUserDefinablePriority`), the `system-` prefix reserved, and the value and
    /// preemption policy fixed once created.
    private static func priorityClass(_ object: JSONObject, old: JSONObject?) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        if name.hasPrefix("system-") {
            causes.append(invalid("metadata.name", "\"\(name)\"", "priority class names with 'system-' prefix are reserved"))
        }
        if let value = object["value"]?.intValue, value > 1_000_000_000 {
            causes.append(forbidden("value", "maximum allowed value of a user defined priority is 1000000000"))
        }
        if let old {
            if old["value"] != object["value"] { causes.append(forbidden("value", "may not be changed in an update.")) }
            if old["preemptionPolicy"] != object["preemptionPolicy"] { causes.append(invalid("preemptionPolicy", "\"\(object["preemptionPolicy"]?.stringValue ?? "")\"", "field is immutable")) }
        }
        return causes
    }

    // MARK: RBAC

    private static func rules(_ value: JSONValue?, namespaced: Bool) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        for (i, rule) in (value?.arrayValue ?? []).enumerated() {
            let path = "rules[\(i)]"
            if (rule["verbs"]?.arrayValue ?? []).isEmpty {
                causes.append(required("\(path).verbs", "verbs must contain at least one value"))
            }
            let urls = rule["nonResourceURLs"]?.arrayValue ?? []
            if namespaced, !urls.isEmpty {
                causes.append(invalid("\(path).nonResourceURLs", quoted(urls), "namespaced rules cannot apply to non-resource URLs"))
            }
            if !(rule["resources"]?.arrayValue ?? []).isEmpty, (rule["apiGroups"]?.arrayValue ?? []).isEmpty {
                causes.append(required("\(path).apiGroups", "resource rules must supply at least one api group"))
            }
        }
        return causes
    }

    private static func binding(_ object: JSONObject, old: JSONObject?, namespaced: Bool) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let roleRef = object["roleRef"]
        if let old, let before = old["roleRef"], before != roleRef {
            // ValidateRoleBindingUpdate: the one rule `kubectl apply` users meet (delete and recreate instead).
            causes.append(invalid("roleRef", goRoleRef(roleRef), "cannot change roleRef"))
        }
        let group = roleRef?["apiGroup"]?.stringValue ?? ""
        if group != "rbac.authorization.k8s.io" {
            causes.append(notSupported("roleRef.apiGroup", group, ["rbac.authorization.k8s.io"]))
        }
        let kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"]
        let kind = roleRef?["kind"]?.stringValue ?? ""
        if !kinds.contains(kind) { causes.append(notSupported("roleRef.kind", kind, kinds)) }
        if (roleRef?["name"]?.stringValue ?? "").isEmpty { causes.append(required("roleRef.name", nil)) }
        for (i, subject) in (object["subjects"]?.arrayValue ?? []).enumerated() {
            let path = "subjects[\(i)]"
            if (subject["name"]?.stringValue ?? "").isEmpty { causes.append(required("\(path).name", nil)) }
            let subjectKind = subject["kind"]?.stringValue ?? ""
            switch subjectKind {
            case "ServiceAccount":
                if !namespaced, (subject["namespace"]?.stringValue ?? "").isEmpty { causes.append(required("\(path).namespace", nil)) }
            case "User", "Group":
                break
            default:
                causes.append(notSupported("\(path).kind", subjectKind, ["ServiceAccount", "User", "Group"]))
            }
        }
        return causes
    }

    /// The roleRef as Go's `%#v` prints it in the real message.
    private static func goRoleRef(_ value: JSONValue?) -> String {
        func field(_ key: String) -> String { "\"\(value?[key]?.stringValue ?? "")\"" }
        return "rbac.RoleRef{APIGroup:\(field("apiGroup")), Kind:\(field("kind")), Name:\(field("name"))}"
    }

    // MARK: Admission webhooks

    private static func webhooks(_ webhooks: [JSONValue]) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        var names: Set<String> = []
        for (i, webhook) in webhooks.enumerated() {
            let path = "webhooks[\(i)]"
            let name = webhook["name"]?.stringValue ?? ""
            if name.isEmpty {
                causes.append(required("\(path).name", nil))
            } else if name.split(separator: ".", omittingEmptySubsequences: false).count < 3 || name.contains("..") {
                causes.append(invalid("\(path).name", "\"\(name)\"", "should be a domain with at least three segments separated by dots"))
            } else if !names.insert(name).inserted {
                causes.append(APIError.Cause(reason: "FieldValueDuplicate", field: "\(path).name", message: "Duplicate value: \"\(name)\""))
            }
            causes += clientConfig(webhook["clientConfig"], path: "\(path).clientConfig")
            let sideEffects = webhook["sideEffects"]?.stringValue
            if let sideEffects {
                if !["None", "NoneOnDryRun"].contains(sideEffects) { causes.append(notSupported("\(path).sideEffects", sideEffects, ["None", "NoneOnDryRun"])) }
            } else {
                causes.append(required("\(path).sideEffects", "must specify one of None, NoneOnDryRun"))
            }
            let versions = webhook["admissionReviewVersions"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if !versions.contains(where: { ["v1", "v1beta1"].contains($0) }) {
                causes.append(required("\(path).admissionReviewVersions", "must specify one of v1, v1beta1"))
            }
            if let policy = webhook["failurePolicy"]?.stringValue, !["Fail", "Ignore"].contains(policy) {
                causes.append(notSupported("\(path).failurePolicy", policy, ["Fail", "Ignore"]))
            }
            if let policy = webhook["matchPolicy"]?.stringValue, !["Exact", "Equivalent"].contains(policy) {
                causes.append(notSupported("\(path).matchPolicy", policy, ["Equivalent", "Exact"]))
            }
            if let timeout = webhook["timeoutSeconds"]?.intValue, !(1...30).contains(timeout) {
                causes.append(invalid("\(path).timeoutSeconds", String(timeout), "the timeout value must be between 1 and 30 seconds"))
            }
            for (j, rule) in (webhook["rules"]?.arrayValue ?? []).enumerated() {
                for (k, operation) in (rule["operations"]?.arrayValue?.compactMap(\.stringValue) ?? []).enumerated()
                where !["*", "CREATE", "UPDATE", "DELETE", "CONNECT"].contains(operation) {
                    causes.append(notSupported("\(path).rules[\(j)].operations[\(k)]", operation, ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]))
                }
                if let scope = rule["scope"]?.stringValue, !["*", "Cluster", "Namespaced"].contains(scope) {
                    causes.append(notSupported("\(path).rules[\(j)].scope", scope, ["*", "Cluster", "Namespaced"]))
                }
            }
        }
        return causes
    }

    /// Exactly one of `url` (https, no fragment or query) and `service` (namespace and name).
    private static func clientConfig(_ config: JSONValue?, path: String) -> [APIError.Cause] {
        let url = config?["url"]?.stringValue
        let service = config?["service"]
        switch (url, service) {
        case (nil, nil), (.some, .some):
            return [required(path, "exactly one of url or service is required")]
        case (let url?, nil):
            guard let parsed = URLComponents(string: url), parsed.scheme == "https" else {
                return [invalid("\(path).url", "\"\(url)\"", "'https' is the only allowed URL scheme")]
            }
            if parsed.fragment != nil || parsed.query != nil {
                return [invalid("\(path).url", "\"\(url)\"", "fragments and query parameters are not permitted")]
            }
            return []
        case (nil, let service?):
            var causes: [APIError.Cause] = []
            if (service["name"]?.stringValue ?? "").isEmpty { causes.append(required("\(path).service.name", "service name is required")) }
            if (service["namespace"]?.stringValue ?? "").isEmpty { causes.append(required("\(path).service.namespace", "service namespace is required")) }
            if let port = service["port"]?.intValue, !(1...65535).contains(port) {
                causes.append(invalid("\(path).service.port", String(port), "port is not valid: must be between 1 and 65535, inclusive"))
            }
            return causes
        }
    }

    // MARK: Causes, worded as field.Error prints them

    private static func required(_ field: String, _ detail: String?) -> APIError.Cause {
        APIError.Cause(reason: "FieldValueRequired", field: field, message: detail.map { "Required value: \($0)" } ?? "Required value")
    }

    private static func invalid(_ field: String, _ value: String, _ detail: String) -> APIError.Cause {
        APIError.Cause(reason: "FieldValueInvalid", field: field, message: "Invalid value: \(value): \(detail)")
    }

    private static func forbidden(_ field: String, _ detail: String) -> APIError.Cause {
        APIError.Cause(reason: "FieldValueForbidden", field: field, message: "Forbidden: \(detail)")
    }

    private static func notSupported(_ field: String, _ value: String, _ supported: [String]) -> APIError.Cause {
        APIError.Cause(reason: "FieldValueNotSupported", field: field,
                       message: "Unsupported value: \"\(value)\": supported values: \(supported.map { "\"\($0)\"" }.joined(separator: ", "))")
    }

    private static func quoted(_ values: [JSONValue]) -> String {
        "[]string{" + values.map { "\"\($0.stringValue ?? "")\"" }.joined(separator: ", ") + "}"
    }
}
