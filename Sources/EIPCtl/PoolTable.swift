import Autoscaling
import JSON

/// The rows `eipctl get pools` prints: the CRD's printer columns (what `kubectl get eip` shows),
/// a value not yet reported shown as `-`.
struct PoolTable {
    /// `-o wide`: the priority-1 columns too.
    let wide: Bool
    /// `-A`: NAMESPACE first.
    let allNamespaces: Bool
    let now: Timestamp

    /// NAME TARGET MIN MAX DESIRED READY-REPLICAS READY REASON AGE [MODEL P90 GPU CAPACITY PAUSED METRICS].
    var header: [String] {
        var header = ["NAME", "TARGET", "MIN", "MAX", "DESIRED", "READY-REPLICAS", "READY", "REASON", "AGE"]
        if wide { header += ["MODEL", "P90", "GPU", "CAPACITY", "PAUSED", "METRICS"] }
        if allNamespaces { header.insert("NAMESPACE", at: 0) }
        return header
    }

    func row(_ pool: JSONValue) -> [String] {
        let metadata = pool["metadata"]
        let spec = pool["spec"]
        let status = pool["status"]
        let ready = status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == Condition.ready }
        let age = metadata?["creationTimestamp"]?.stringValue.flatMap(Timestamp.init(rfc3339:)).map { Self.age(now.seconds(since: $0)) } ?? "-"
        var row = [text(metadata?["name"]), text(status?["target"]), text(spec?["minReplicas"] ?? .integer(Defaults.minReplicas)),
                   text(spec?["maxReplicas"]), text(status?["desiredReplicas"]), text(status?["readyReplicas"]),
                   text(ready?["status"]), text(ready?["reason"]), age]
        if wide {
            row += [text(spec?["modelRef"]), text(status?["observed"]?["p90"]), text(status?["observed"]?["gpuUtil"]),
                    text(status?["learned"]?["capacityPerReplica"]), text(spec?["paused"] ?? .bool(false)), text(status?["observed"]?["summary"])]
        }
        if allNamespaces { row.insert(text(metadata?["namespace"]), at: 0) }
        return row
    }

    private func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s)?: return s.isEmpty ? "-" : s
        case .integer(let i)?: return String(i)
        case .double(let d)?: return JSONValue.double(d).compactText
        case .bool(let b)?: return b ? "true" : "false"
        default: return "-"
        }
    }

    /// kubectl's layout: columns padded to the widest cell (of `widths`, at least), three spaces apart.
    static func lines(_ rows: [[String]], widths given: [Int] = []) -> [String] {
        guard let count = rows.first?.count else { return [] }
        let widths = (0..<count).map { column in max(given.indices.contains(column) ? given[column] : 0, rows.map { $0[column].count }.max() ?? 0) }
        return rows.map { cells in
            cells.enumerated().map { i, cell in i == cells.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[i] - cell.count) + 3) }.joined()
        }
    }

    /// The widths `lines` would use.
    static func widths(_ rows: [[String]]) -> [Int] {
        guard let count = rows.first?.count else { return [] }
        return (0..<count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    }

    /// kubectl's ages: `45s`, `5m`, `3h`, `2d`.
    static func age(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 120 { return "\(s)s" }
        if s < 3600 * 3 { return "\(s / 60)m" }
        if s < 86400 * 2 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }
}
