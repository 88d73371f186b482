import Foundation
import Kube

/// Builds a text in the Prometheus text format (0.0.4): each family's `# HELP` and `# TYPE`, then
/// its samples; a histogram as cumulative `_bucket`s up to `+Inf`, `_sum` and `_count`. Label values
/// are escaped; labels are written in the order given (the callers give them sorted by name, as the
/// Go client writes them).
struct ExpositionWriter {
    /// A label: name and (unescaped) value.
    typealias Label = (String, String)

    /// The text so far.
    private(set) var text = ""

    /// Starts a family: `type` is `counter`, `gauge` or `histogram`.
    mutating func family(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    /// One sample.
    mutating func sample(_ name: String, _ labels: [Label], _ value: Double) {
        text += "\(name)\(Self.braces(labels)) \(Self.number(value))\n"
    }

    /// One sample of an integer value.
    mutating func sample(_ name: String, _ labels: [Label], _ value: Int) { sample(name, labels, Double(value)) }

    /// One sample without labels.
    mutating func sample(_ name: String, _ value: Double) { sample(name, [], value) }

    /// One sample of an integer value without labels.
    mutating func sample(_ name: String, _ value: Int) { sample(name, [], Double(value)) }

    /// A family of at most one series: its header, and its sample under `labels` when there is a
    /// value (none: the header alone, as for a process whose controller has not started).
    mutating func family(_ name: String, _ type: String, _ help: String, _ labels: [Label], _ value: Double?) {
        family(name, type, help)
        if let value { sample(name, labels, value) }
    }

    /// A histogram family of at most one histogram, as ``family(_:_:_:_:_:)`` for one value.
    mutating func family(_ name: String, _ help: String, _ labels: [Label], _ histogram: Histogram?) {
        family(name, "histogram", help)
        if let histogram { self.histogram(name, labels, histogram) }
    }

    /// One histogram's series under `labels`, its `le` label last.
    mutating func histogram(_ name: String, _ labels: [Label], _ h: Histogram) {
        for (bound, count) in zip(h.bounds, h.counts) { sample("\(name)_bucket", labels + [("le", Self.number(bound))], count) }
        sample("\(name)_bucket", labels + [("le", "+Inf")], h.count)
        sample("\(name)_sum", labels, h.sum)
        sample("\(name)_count", labels, h.count)
    }

    /// A number as the Go client writes it: whole numbers without a fraction, others in the
    /// shortest form that reads back the same (`0.25`, `1e-08`).
    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }

    /// `{a="1",b="2"}`, or nothing for no labels.
    static func braces(_ labels: [Label]) -> String {
        labels.isEmpty ? "" : "{" + labels.map { "\($0)=\"\(escape($1))\"" }.joined(separator: ",") + "}"
    }

    /// A label value escaped for the text format (`\`, `"`, line breaks).
    static func escape(_ v: String) -> String {
        v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
