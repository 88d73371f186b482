import JSON
import NameSuggestion

/// Why a profile file cannot be used: the field and what was expected.
public struct ProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field, as a path (`gpuUtilisation.maximum`), or empty for the whole document.
    public let field: String
    public let message: String

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

extension ServerProfile {
    /// The fields of a profile file, as ``init(json:)`` reads them.
    static let fields = ["name", "capacity", "baseLatency", "gpuUtilisation", "coldStart"]
    static let curveFields = ["idle", "perLoad", "maximum"]

    /// Reads a profile from a YAML or JSON document (already parsed):
    ///
    /// ```yaml
    /// name: a100-llama          # optional; default "custom"
    /// capacity: 450             # requests/s one ready replica serves at saturation (required)
    /// baseLatency: 120ms        # P90 at low load: a time with us, ms, s or m, or a number of seconds (required)
    /// gpuUtilisation:           # min(maximum, idle + perLoad·ρ); fractions or percentages (default: the H100 curve)
    ///   idle: 10%
    ///   perLoad: 90%
    ///   maximum: 100%
    /// coldStart: 3m             # default 10s; --cold-start overrides it
    /// ```
    public init(json value: JSONValue) throws(ProfileError) {
        guard let object = value.objectValue else {
            throw ProfileError(field: "", message: "expected a mapping of profile fields (\(Self.fields.joined(separator: ", "))), found \(value.typeName)")
        }
        try Self.rejectUnknown(object, known: Self.fields, prefix: "")
        let defaults = ServerProfile.h100BERT
        var curve = defaults.gpuUtilisation
        if let curveValue = object["gpuUtilisation"], !curveValue.isNull {
            guard let curveObject = curveValue.objectValue else {
                throw ProfileError(field: "gpuUtilisation", message: "expected a mapping with idle, perLoad and maximum, found \(curveValue.typeName)")
            }
            try Self.rejectUnknown(curveObject, known: Self.curveFields, prefix: "gpuUtilisation.")
            curve = GPUUtilisationCurve(
                idle: try Self.fraction(curveObject["idle"], "gpuUtilisation.idle") ?? curve.idle,
                perLoad: try Self.fraction(curveObject["perLoad"], "gpuUtilisation.perLoad", upTo: 10) ?? curve.perLoad,
                maximum: try Self.fraction(curveObject["maximum"], "gpuUtilisation.maximum") ?? curve.maximum)
        }
        guard let capacity = try Self.number(object["capacity"], "capacity") else {
            throw ProfileError(field: "capacity", message: "required: requests/s one ready replica serves at saturation")
        }
        guard capacity > 0 else { throw ProfileError(field: "capacity", message: "must be greater than 0, not \(capacity)") }
        guard let base = try Self.seconds(object["baseLatency"], "baseLatency") else {
            throw ProfileError(field: "baseLatency", message: "required: the P90 latency at low load, such as 9ms")
        }
        guard base > 0 else { throw ProfileError(field: "baseLatency", message: "must be greater than 0") }
        let coldStart = try Self.seconds(object["coldStart"], "coldStart") ?? defaults.coldStart
        let name = object["name"]?.stringValue ?? "custom"
        self.init(name: name, capacity: capacity, baseLatency: base, gpuUtilisation: curve, coldStart: coldStart)
    }

    private static func rejectUnknown(_ object: JSONObject, known: [String], prefix: String) throws(ProfileError) {
        for key in object.keys where !known.contains(key) {
            var message = "unknown field"
            if let guess = NameSuggestion.closest(to: key, in: known) { message += "; did you mean \"\(prefix)\(guess)\"?" }
            throw ProfileError(field: prefix + key, message: message + " (known: \(known.joined(separator: ", ")))")
        }
    }

    private static func number(_ value: JSONValue?, _ field: String) throws(ProfileError) -> Double? {
        guard let value, !value.isNull else { return nil }
        guard let number = value.doubleValue ?? value.stringValue.flatMap(Double.init), number.isFinite else {
            throw ProfileError(field: field, message: "expected a number, found \(value.compactText)")
        }
        return number
    }

    /// A duration (``QuantityText/seconds(_:)``).
    private static func seconds(_ value: JSONValue?, _ field: String) throws(ProfileError) -> Double? {
        guard let value, !value.isNull else { return nil }
        guard let seconds = value.doubleValue ?? value.stringValue.flatMap(QuantityText.seconds) else {
            throw ProfileError(field: field, message: "expected a time such as 9ms, 10s or 2m, found \(value.compactText)")
        }
        return try nonNegative(seconds, field)
    }

    /// A fraction from 0 to `limit` (``QuantityText/fraction(_:)``).
    private static func fraction(_ value: JSONValue?, _ field: String, upTo limit: Double = 1) throws(ProfileError) -> Double? {
        guard let value, !value.isNull else { return nil }
        guard let number = value.doubleValue ?? value.stringValue.flatMap(QuantityText.fraction), number >= 0, number <= limit else {
            throw ProfileError(field: field, message: "expected a percentage (58%) or a fraction from 0 to \(format(limit)), found \(value.compactText)")
        }
        return number
    }

    private static func nonNegative(_ seconds: Double, _ field: String) throws(ProfileError) -> Double {
        guard seconds >= 0 else { throw ProfileError(field: field, message: "must not be negative") }
        return seconds
    }

    private static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}

/// Quantities as written in profiles and on the `simulate` command line.
public enum QuantityText {
    /// Seconds from `250us`, `9ms`, `10s`, `2m`, `1h` or a bare number of seconds; nil otherwise.
    public static func seconds(_ text: String) -> Double? {
        let text = text.trimmingWhitespace
        for (unit, scale) in [("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0), ("h", 3600.0)] where text.hasSuffix(unit) {
            guard let number = Double(text.dropLast(unit.count)), number.isFinite else { return nil }
            return number * scale
        }
        return Double(text).flatMap { $0.isFinite ? $0 : nil }
    }

    /// A fraction from `58%` or a bare number; nil otherwise.
    public static func fraction(_ text: String) -> Double? {
        let text = text.trimmingWhitespace
        let value = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        return value.flatMap { $0.isFinite ? $0 : nil }
    }
}
