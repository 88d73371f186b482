import Foundation
import JSON

/// The defaults the API server fills into built-in objects (the fields clients compare against:
/// a client that ignores them would see a difference on every read).
enum Defaulting {
    static func apply(_ type: ResourceType, _ object: JSONObject) -> JSONObject {
        guard !type.isCustom else { return object }
        var o = object
        switch type.plural {
        case "deployments":
            var spec = o["spec"]?.objectValue ?? JSONObject()
            if spec["replicas"] == nil { spec["replicas"] = 1 }
            if spec["strategy"] == nil { spec["strategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]] }
            if spec["revisionHistoryLimit"] == nil { spec["revisionHistoryLimit"] = 10 }
            if spec["progressDeadlineSeconds"] == nil { spec["progressDeadlineSeconds"] = 600 }
            spec["template"] = template(spec["template"])
            o["spec"] = .object(spec)
        case "daemonsets":
            var spec = o["spec"]?.objectValue ?? JSONObject()
            if spec["updateStrategy"] == nil { spec["updateStrategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]] }
            if spec["revisionHistoryLimit"] == nil { spec["revisionHistoryLimit"] = 10 }
            spec["template"] = template(spec["template"])
            o["spec"] = .object(spec)
        case "statefulsets":
            o["spec"] = .object(statefulSetSpec(o["spec"]?.objectValue ?? JSONObject()))
        case "pods":
            o["spec"] = .object(podSpec(o["spec"]?.objectValue ?? JSONObject()))
        case "secrets":
            o = secret(o)
        case "priorityclasses":
            // scheduling/v1 SetDefaults_PriorityClass.
            if o["preemptionPolicy"] == nil { o["preemptionPolicy"] = "PreemptLowerPriority" }
        case "validatingwebhookconfigurations", "mutatingwebhookconfigurations":
            if let webhooks = o["webhooks"]?.arrayValue {
                o["webhooks"] = .array(webhooks.map { webhook($0, mutating: type.plural == "mutatingwebhookconfigurations") })
            }
        default:
            break
        }
        return o
    }

    /// apps/v1 `SetDefaults_StatefulSet`: one replica, OrderedReady, a RollingUpdate at partition 0,
    /// 10 revisions kept, PVCs retained on delete and on scale-down, and each claim template's
    /// `volumeMode: Filesystem`.
    private static func statefulSetSpec(_ spec: JSONObject) -> JSONObject {
        var s = spec
        if s["replicas"] == nil { s["replicas"] = 1 }
        if s["podManagementPolicy"] == nil { s["podManagementPolicy"] = "OrderedReady" }
        var strategy = s["updateStrategy"]?.objectValue ?? ["type": "RollingUpdate"]
        if strategy["type"] == nil { strategy["type"] = "RollingUpdate" }
        if strategy["type"] == "RollingUpdate", strategy["rollingUpdate"] == nil { strategy["rollingUpdate"] = ["partition": 0] }
        s["updateStrategy"] = .object(strategy)
        if s["revisionHistoryLimit"] == nil { s["revisionHistoryLimit"] = 10 }
        if s["persistentVolumeClaimRetentionPolicy"] == nil {
            s["persistentVolumeClaimRetentionPolicy"] = ["whenDeleted": "Retain", "whenScaled": "Retain"]
        }
        if let claims = s["volumeClaimTemplates"]?.arrayValue {
            s["volumeClaimTemplates"] = .array(claims.map { claim in
                guard var c = claim.objectValue else { return claim }
                if c["apiVersion"] == nil { c["apiVersion"] = "v1" }
                if c["kind"] == nil { c["kind"] = "PersistentVolumeClaim" }
                var claimSpec = c["spec"]?.objectValue ?? JSONObject()
                if claimSpec["volumeMode"] == nil { claimSpec["volumeMode"] = "Filesystem" }
                c["spec"] = .object(claimSpec)
                if c["status"] == nil { c["status"] = ["phase": "Pending"] }
                return .object(c)
            })
        }
        s["template"] = template(s["template"])
        return s
    }

    /// A Secret's `type` defaults to `Opaque`, and `stringData` is merged into `data` (base64) and
    /// never stored, as the v1 conversion does: what a client reads back is `data` only.
    private static func secret(_ object: JSONObject) -> JSONObject {
        var o = object
        if o["type"] == nil || o["type"] == "" { o["type"] = "Opaque" }
        if let strings = o["stringData"]?.objectValue {
            var data = o["data"]?.objectValue ?? JSONObject()
            for (key, value) in strings {
                data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
            }
            o["data"] = .object(data)
            o["stringData"] = nil
        }
        return o
    }

    /// admissionregistration/v1 `SetDefaults_ValidatingWebhook` / `…MutatingWebhook`, `SetDefaults_Rule`
    /// and `SetDefaults_ServiceReference`: failurePolicy Fail, matchPolicy Equivalent, empty namespace
    /// and object selectors, a 10 s timeout, rules of scope `*`, service port 443 (and, for mutating
    /// webhooks, reinvocationPolicy Never). `sideEffects` and `admissionReviewVersions` have no
    /// default in v1: validation requires them.
    static func webhook(_ value: JSONValue, mutating: Bool) -> JSONValue {
        guard var w = value.objectValue else { return value }
        if w["failurePolicy"] == nil { w["failurePolicy"] = "Fail" }
        if w["matchPolicy"] == nil { w["matchPolicy"] = "Equivalent" }
        if w["namespaceSelector"] == nil { w["namespaceSelector"] = [:] }
        if w["objectSelector"] == nil { w["objectSelector"] = [:] }
        if w["timeoutSeconds"] == nil { w["timeoutSeconds"] = 10 }
        if mutating, w["reinvocationPolicy"] == nil { w["reinvocationPolicy"] = "Never" }
        if let rules = w["rules"]?.arrayValue {
            w["rules"] = .array(rules.map { rule in
                guard var r = rule.objectValue else { return rule }
                if r["scope"] == nil { r["scope"] = "*" }
                return .object(r)
            })
        }
        if var client = w["clientConfig"]?.objectValue, var service = client["service"]?.objectValue {
            if service["port"] == nil { service["port"] = 443 }
            client["service"] = .object(service)
            w["clientConfig"] = .object(client)
        }
        return .object(w)
    }

    private static func template(_ value: JSONValue?) -> JSONValue {
        var template = value?.objectValue ?? JSONObject()
        template["spec"] = .object(podSpec(template["spec"]?.objectValue ?? JSONObject()))
        return .object(template)
    }

    static func podSpec(_ spec: JSONObject) -> JSONObject {
        var s = spec
        if s["restartPolicy"] == nil { s["restartPolicy"] = "Always" }
        if s["terminationGracePeriodSeconds"] == nil { s["terminationGracePeriodSeconds"] = 30 }
        if s["dnsPolicy"] == nil { s["dnsPolicy"] = "ClusterFirst" }
        if s["securityContext"] == nil { s["securityContext"] = [:] }
        if s["schedulerName"] == nil { s["schedulerName"] = "default-scheduler" }
        for list in ["containers", "initContainers"] {
            if let containers = s[list]?.arrayValue { s[list] = .array(containers.map(container)) }
        }
        return s
    }

    static func container(_ value: JSONValue) -> JSONValue {
        guard var c = value.objectValue else { return value }
        if c["terminationMessagePath"] == nil { c["terminationMessagePath"] = "/dev/termination-log" }
        if c["terminationMessagePolicy"] == nil { c["terminationMessagePolicy"] = "File" }
        if c["imagePullPolicy"] == nil { c["imagePullPolicy"] = .string(defaultPullPolicy(c["image"]?.stringValue ?? "")) }
        if c["resources"] == nil { c["resources"] = [:] }
        if let ports = c["ports"]?.arrayValue {
            c["ports"] = .array(ports.map { port in
                guard var p = port.objectValue else { return port }
                if p["protocol"] == nil { p["protocol"] = "TCP" }
                return .object(p)
            })
        }
        return .object(c)
    }

    /// `Always` for an untagged or `:latest` image, else `IfNotPresent`.
    static func defaultPullPolicy(_ image: String) -> String {
        if image.contains("@") { return "IfNotPresent" }
        let last = image.split(separator: "/").last.map(String.init) ?? image
        guard let colon = last.lastIndex(of: ":") else { return "Always" }
        return last[last.index(after: colon)...] == "latest" ? "Always" : "IfNotPresent"
    }
}
