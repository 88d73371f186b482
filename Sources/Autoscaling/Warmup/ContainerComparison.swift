import JSON

/// Compares containers the way the API server will store them, so that fields it fills in by
/// default do not look like a change: without this, every reconcile would see a difference and
/// roll every pod.
///
/// Defaults removed before comparing (the core/v1 defaults of a Container):
/// `terminationMessagePath: /dev/termination-log`, `terminationMessagePolicy: File`,
/// `imagePullPolicy` (`Always` for an untagged or `:latest` image, else `IfNotPresent`),
/// `ports[].protocol: TCP`, `env[].valueFrom.fieldRef.apiVersion: v1`; and everywhere, nulls,
/// empty objects and empty lists (`resources: {}`).
public enum ContainerComparison {
    /// True when `a` and `b` (containers, or lists or objects holding them) are the same once the API
    /// server's defaults and empty values are left out.
    public static func equivalent(_ a: JSONValue, _ b: JSONValue) -> Bool {
        normalized(a) == normalized(b)
    }

    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(normalized))
        case .object(let object):
            var out = JSONObject()
            let isContainer = object["image"] != nil && object["name"] != nil
            for (key, member) in object {
                let n = normalized(member)
                if n.isNull { continue }
                if case .object(let o) = n, o.isEmpty { continue }
                if case .array(let a) = n, a.isEmpty { continue }
                if isContainer && isDefault(key, n, image: object["image"]?.stringValue ?? "") { continue }
                if key == "protocol", n == "TCP" { continue }
                if key == "fieldRef", let ref = n.objectValue {
                    var trimmed = ref
                    if trimmed["apiVersion"] == "v1" { trimmed["apiVersion"] = nil }
                    out[key] = .object(trimmed)
                    continue
                }
                out[key] = n
            }
            return .object(out)
        default:
            return value
        }
    }

    private static func isDefault(_ key: String, _ value: JSONValue, image: String) -> Bool {
        switch key {
        case "terminationMessagePath": return value == "/dev/termination-log"
        case "terminationMessagePolicy": return value == "File"
        case "imagePullPolicy": return value == .string(defaultPullPolicy(image))
        default: return false
        }
    }

    /// core/v1's default: `Always` when the image has no tag or the tag `latest`, else `IfNotPresent`.
    public static func defaultPullPolicy(_ image: String) -> String {
        let bytes = image.utf8
        if bytes.contains(UInt8(ascii: "@")) { return "IfNotPresent" }
        // The tag is after the last ':' of the last path component (a registry's port comes before a '/').
        let lastComponent = bytes.lastIndex(of: UInt8(ascii: "/")).map { bytes[bytes.index(after: $0)...] } ?? bytes[...]
        guard let colon = lastComponent.lastIndex(of: UInt8(ascii: ":")) else { return "Always" }
        return lastComponent[lastComponent.index(after: colon)...].elementsEqual("latest".utf8) ? "Always" : "IfNotPresent"
    }
}
