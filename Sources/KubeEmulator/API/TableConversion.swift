import Foundation
import JSON

/// Server-side printing: `meta.k8s.io/v1` Tables, which kubectl asks for (`Accept: …;as=Table;…`)
/// to print `kubectl get`. Custom resources get their CRD's `additionalPrinterColumns` (simple
/// `.a.b.c` JSONPaths); the kinds of issue 20 get the columns of the API server's printers
/// (`pkg/printers/internalversion/printers.go`); other built-in types get Name and Age (the real
/// server prints more for some).
enum TableConversion {
    static func wanted(_ accept: String?) -> Bool {
        accept?.contains("as=Table") == true
    }

    struct Column: Sendable {
        let name: String
        let type: String
        let format: String
        /// A simple `.a.b.c` path.
        var path: [String]?
        let description: String
        /// 0: always printed; 1: only with `-o wide`.
        var priority = 0
        /// Computes the cell instead of `path` (counts, `ready/desired`, `Kind/name`, a CRD column's JSONPath).
        var cell: (@Sendable (JSONObject) -> JSONValue)?
    }

    static let name = Column(name: "Name", type: "string", format: "name", path: ["metadata", "name"],
                             description: "Name must be unique within a namespace.")
    static let age = Column(name: "Age", type: "date", format: "", path: ["metadata", "creationTimestamp"],
                            description: "CreationTimestamp is a timestamp representing the server time when this object was created.")

    static func columns(for type: ResourceType, crd: JSONObject?) -> [Column] {
        if !type.isCustom, let builtIn = builtInColumns(type) { return [name] + builtIn }
        var columns = [name]
        let printer = crd?["spec"]?["versions"]?.arrayValue?.first { $0["name"]?.stringValue == type.version }?["additionalPrinterColumns"]?.arrayValue ?? []
        if printer.isEmpty { columns.append(age) }
        for column in printer {
            // The column's JSONPath (`.status.conditions[?(@.type=="Ready")].status` too), its first
            // result as the cell, as the apiextensions table convertor takes it; none: an empty cell.
            let template = try? JSONPathTemplate("{" + (column["jsonPath"]?.stringValue ?? "") + "}")
            var entry = Column(name: column["name"]?.stringValue ?? "", type: column["type"]?.stringValue ?? "string",
                               format: column["format"]?.stringValue ?? "", path: nil, description: column["description"]?.stringValue ?? "",
                               priority: column["priority"]?.intValue ?? 0)
            let isDate = entry.type == "date"
            entry.cell = { object in
                guard let value = template?.values(in: .object(object)).first else { return .null }
                if isDate, let text = value.stringValue, let date = ISO8601DateFormatter().date(from: text) {
                    return .string(humanDuration(Date().timeIntervalSince(date)))
                }
                return value
            }
            columns.append(entry)
        }
        return columns
    }

    static func table(_ objects: [JSONObject], columns: [Column], resourceVersion: Int?) -> JSONValue {
        let definitions: [JSONValue] = columns.map {
            ["name": .string($0.name), "type": .string($0.type), "format": .string($0.format), "description": .string($0.description),
             "priority": .integer($0.priority)]
        }
        let rows: [JSONValue] = objects.map { object in
            let cells: [JSONValue] = columns.map { column in
                if let cell = column.cell { return cell(object) }
                var value: JSONValue? = .object(object)
                for key in column.path ?? [] { value = value?[key] }
                // Dates are printed as ages, as the API server's table convertors do.
                if column.type == "date", let text = value?.stringValue, let date = ISO8601DateFormatter().date(from: text) {
                    return .string(humanDuration(Date().timeIntervalSince(date)))
                }
                return value ?? .null
            }
            return ["cells": .array(cells), "object": ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                                       "metadata": object["metadata"] ?? .object([:])]]
        }
        var metadata = JSONObject()
        if let resourceVersion { metadata["resourceVersion"] = .string(String(resourceVersion)) }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(metadata),
                "columnDefinitions": .array(definitions), "rows": .array(rows)]
    }

    /// The columns after Name the API server prints for the kinds of issue 20, or nil (Age only).
    private static func builtInColumns(_ type: ResourceType) -> [Column]? {
        func computed(_ name: String, _ description: String, type: String = "string", priority: Int = 0,
                      _ cell: @escaping @Sendable (JSONObject) -> JSONValue) -> Column {
            Column(name: name, type: type, format: "", path: nil, description: description, priority: priority, cell: cell)
        }
        func subjects(_ kind: String, _ title: String) -> Column {
            computed(title, "\(title) in the roleBinding", priority: 1) { object in
                .string((object["subjects"]?.arrayValue ?? []).filter { $0["kind"]?.stringValue == kind }.map { subject in
                    let name = subject["name"]?.stringValue ?? ""
                    guard kind == "ServiceAccount" else { return name }
                    return "\(subject["namespace"]?.stringValue ?? "")/\(name)"  // rbac.SubjectsStrings
                }.joined(separator: ", "))
            }
        }
        switch (type.group, type.plural) {
        case ("", "serviceaccounts"):
            return [computed("Secrets", "Secrets is the list of secrets allowed to be used by pods running using this ServiceAccount",
                             type: "integer") { count($0["secrets"]) }, age]
        case ("", "secrets"):
            return [computed("Type", "Type of the secret") { $0["type"] ?? "Opaque" },
                    computed("Data", "Number of keys in the secret", type: "integer") { count($0["data"]) }, age]
        case ("apps", "statefulsets"):
            return [computed("Ready", "Number of the pod with ready state") {
                .string("\($0["status"]?["readyReplicas"]?.intValue ?? 0)/\($0["spec"]?["replicas"]?.intValue ?? 0)")
            }, age]
        case ("policy", "poddisruptionbudgets"):
            return [computed("Min Available", "The minimum number of pods that must be available") { orNotApplicable($0["spec"]?["minAvailable"]) },
                    computed("Max Unavailable", "The maximum number of pods that may be unavailable") { orNotApplicable($0["spec"]?["maxUnavailable"]) },
                    computed("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time", type: "integer") {
                        $0["status"]?["disruptionsAllowed"] ?? 0
                    }, age]
        case ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "clusterroles"):
            // Created At: the RFC 3339 creation time itself, not an age.
            return [computed("Created At", "CreationTimestamp is a timestamp representing the server time when this object was created.",
                             type: "date") { $0["metadata"]?["creationTimestamp"] ?? .null }]
        case ("rbac.authorization.k8s.io", "rolebindings"), ("rbac.authorization.k8s.io", "clusterrolebindings"):
            let role = computed("Role", "Role of the binding") {
                .string("\($0["roleRef"]?["kind"]?.stringValue ?? "")/\($0["roleRef"]?["name"]?.stringValue ?? "")")
            }
            return [role, age, subjects("User", "Users"), subjects("Group", "Groups"), subjects("ServiceAccount", "ServiceAccounts")]
        case ("scheduling.k8s.io", "priorityclasses"):
            // printers.go: NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY.
            return [computed("Value", "Value is the integer value of this priority class", type: "integer") { $0["value"] ?? 0 },
                    computed("Global-Default", "GlobalDefault specifies whether this PriorityClass should be considered as the default priority.",
                             type: "boolean") { $0["globalDefault"] ?? false },
                    age,
                    computed("PreemptionPolicy", "PreemptionPolicy is the Policy for preempting pods with lower priority.") {
                        $0["preemptionPolicy"] ?? "PreemptLowerPriority"
                    }]
        case ("admissionregistration.k8s.io", "validatingwebhookconfigurations"), ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"):
            return [computed("Webhooks", "Webhooks indicates the number of webhooks in the configuration", type: "integer") { count($0["webhooks"]) }, age]
        default:
            return nil
        }
    }

    /// The number of items of a list or map field (0 when absent).
    private static func count(_ value: JSONValue?) -> JSONValue {
        .integer(value?.arrayValue?.count ?? value?.objectValue?.count ?? 0)
    }

    /// An int-or-string field as printed, or `N/A`.
    private static func orNotApplicable(_ value: JSONValue?) -> JSONValue {
        guard let value else { return "N/A" }
        return .string(value.stringValue ?? value.compactText)
    }

    /// apimachinery's `duration.HumanDuration`: `45s`, `5m30s`, `3h`, `2d4h`, `1y20d`.
    static func humanDuration(_ interval: Double) -> String {
        let seconds = Int(interval)
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s" }
        if minutes < 180 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(hours % 24)h" }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 { return (hours / 24) % 365 == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\((hours / 24) % 365)d" }
        return "\(hours / 24 / 365)y"
    }
}
