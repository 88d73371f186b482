import LoadModel
import NameSuggestion

/// One entry of `--compare`: an anchor autoscaler and its target.
///
/// | entry | scaler |
/// |---|---|
/// | `hpa-util=70` | HPA on GPU utilisation per pod, target 70 % |
/// | `keda-p90=200ms` | KEDA's Prometheus trigger on P90, target 200 ms, `metricType: AverageValue` (KEDA's default) |
/// | `keda-p90-value=200ms` | the same with `metricType: Value` |
/// | `kpa`, `kpa=70` | Knative KPA, target concurrency per pod (default 70: 70 % of 100) |
public struct AnchorSpec: Sendable, Hashable {
    /// The anchors, by the name written before `=`.
    public enum Kind: String, Sendable, CaseIterable {
        case hpaUtil = "hpa-util", kedaP90 = "keda-p90", kedaP90Value = "keda-p90-value", kpa
    }

    public let kind: Kind
    /// The target in its canonical unit (fraction, seconds, concurrent requests); nil for KPA's default.
    public let target: Double?
    /// The entry as written, the scaler's name in reports.
    public let text: String

    /// Parses a comma-separated `--compare` list.
    public static func parseList(_ text: String) -> Result<[AnchorSpec], AnchorSpecError> {
        var specs: [AnchorSpec] = []
        for part in text.split(separator: ",") {
            switch parse(String(part.trimmingWhitespace)) {
            case .success(let spec):
                guard !specs.contains(where: { $0.text == spec.text }) else { return .failure(AnchorSpecError("'\(spec.text)' is listed twice")) }
                specs.append(spec)
            case .failure(let error): return .failure(error)
            }
        }
        guard !specs.isEmpty else { return .failure(AnchorSpecError("expected anchors such as hpa-util=70,keda-p90=200ms,kpa")) }
        return .success(specs)
    }

    /// Parses one entry.
    public static func parse(_ entry: String) -> Result<AnchorSpec, AnchorSpecError> {
        let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
        let key = parts.first?.lowercased() ?? ""
        guard let kind = Kind(rawValue: key) else {
            var message = "unknown anchor '\(key)'"
            if let guess = NameSuggestion.closest(to: key, in: Kind.allCases.map(\.rawValue)) { message += "; did you mean '\(guess)'?" }
            return .failure(AnchorSpecError(message + " (known: hpa-util=PERCENT, keda-p90=TIME, keda-p90-value=TIME, kpa[=CONCURRENCY])"))
        }
        let value = parts.count == 2 ? parts[1] : nil
        switch kind {
        case .hpaUtil:
            guard let value, let fraction = percent(value), fraction > 0, fraction <= 1 else {
                return .failure(AnchorSpecError("\(kind.rawValue): expected a GPU utilisation target from 1 to 100 (%), as in hpa-util=70"))
            }
            return .success(AnchorSpec(kind: kind, target: fraction, text: "hpa-util=\(format(fraction * 100))"))
        case .kedaP90, .kedaP90Value:
            guard let value, let seconds = QuantityText.seconds(value), seconds > 0, value.last?.isLetter == true else {
                return .failure(AnchorSpecError("\(kind.rawValue): expected a latency target with a unit, as in \(kind.rawValue)=200ms"))
            }
            return .success(AnchorSpec(kind: kind, target: seconds, text: "\(kind.rawValue)=\(format(seconds * 1000))ms"))
        case .kpa:
            guard let value else { return .success(AnchorSpec(kind: kind, target: nil, text: "kpa")) }
            guard let concurrency = Double(value), concurrency > 0, concurrency.isFinite else {
                return .failure(AnchorSpecError("kpa: expected a target concurrency per pod, as in kpa=70"))
            }
            return .success(AnchorSpec(kind: kind, target: concurrency, text: "kpa=\(format(concurrency))"))
        }
    }

    /// The scaler, for a pool with these bounds.
    public func scaler(minReplicas: Int, maxReplicas: Int) -> any Scaler {
        switch kind {
        case .hpaUtil:
            return HorizontalPodAutoscaler(name: text, metric: .gpuUtilisation(target: target ?? 0.7), minReplicas: minReplicas, maxReplicas: maxReplicas)
        case .kedaP90:
            return HorizontalPodAutoscaler(name: text, metric: .latencyAverageValue(target: target ?? 0.2), minReplicas: minReplicas, maxReplicas: maxReplicas)
        case .kedaP90Value:
            return HorizontalPodAutoscaler(name: text, metric: .latencyValue(target: target ?? 0.2), minReplicas: minReplicas, maxReplicas: maxReplicas)
        case .kpa:
            return KnativePodAutoscaler(name: text, targetConcurrency: target ?? 70, minReplicas: minReplicas, maxReplicas: maxReplicas)
        }
    }

    /// `70`, `70%` or `0.7` as a fraction (a bare number above 1 is a percentage).
    private static func percent(_ text: String) -> Double? {
        if text.hasSuffix("%") { return QuantityText.fraction(text) }
        guard let number = Double(text) else { return nil }
        return number > 1 ? number / 100 : number
    }

    private static func format(_ v: Double) -> String {
        let rounded = (v * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

/// A `--compare` list that cannot be read.
public struct AnchorSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension StringProtocol {
    var trimmingWhitespace: Substring {
        guard let start = firstIndex(where: { $0 != " " }), let end = lastIndex(where: { $0 != " " }) else { return "" }
        return Substring(self[start...end])
    }
}
