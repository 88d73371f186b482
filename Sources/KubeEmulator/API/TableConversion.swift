import Foundation
import JSON

/// Server-side printing: `meta.k8s.io/v1` Tables, which kubectl asks for (`Accept: …;as=Table;…`)
/// to print `kubectl get`. Custom resources get their CRD's `additionalPrinterColumns` (simple
/// `.a.b.c` JSONPaths); built-in types get Name and Age (the real server prints more for some).
enum TableConversion {
    static func wanted(_ accept: String?) -> Bool {
        accept?.contains("as=Table") == true
    }

    struct Column {
        let name: String
        let type: String
        let format: String
        let path: [String]?
        let description: String
    }

    static func columns(for type: ResourceType, crd: JSONObject?) -> [Column] {
        var columns = [Column(name: "Name", type: "string", format: "name", path: ["metadata", "name"],
                              description: "Name must be unique within a namespace.")]
        let printer = crd?["spec"]?["versions"]?.arrayValue?.first { $0["name"]?.stringValue == type.version }?["additionalPrinterColumns"]?.arrayValue ?? []
        if printer.isEmpty {
            columns.append(Column(name: "Age", type: "date", format: "", path: ["metadata", "creationTimestamp"],
                                  description: "CreationTimestamp is a timestamp representing the server time when this object was created."))
        }
        for column in printer {
            let path = (column["jsonPath"]?.stringValue ?? "").split(separator: ".").map(String.init)
            columns.append(Column(name: column["name"]?.stringValue ?? "", type: column["type"]?.stringValue ?? "string",
                                  format: column["format"]?.stringValue ?? "", path: path, description: column["description"]?.stringValue ?? ""))
        }
        return columns
    }

    static func table(_ objects: [JSONObject], columns: [Column], resourceVersion: Int?) -> JSONValue {
        let definitions: [JSONValue] = columns.map {
            ["name": .string($0.name), "type": .string($0.type), "format": .string($0.format), "description": .string($0.description), "priority": 0]
        }
        let rows: [JSONValue] = objects.map { object in
            let cells: [JSONValue] = columns.map { column in
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
