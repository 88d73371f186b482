import Autoscaling
import JSON

/// Time compression: the demo plays `speed` seconds of trace per wall second, and the operator
/// runs on the wall clock, so every duration of the pool's behavior is divided by the same factor
/// (and the cold start with it). The engine is the production one; only the pool's fields change.
///
/// Limits of the CRD hold: the poll interval is at least 1 s (held there, and said so), a step
/// period at least 1 s; windows round to whole seconds. The direct scrape's rate window
/// (`metrics.podScrape.rateWindow`, 30 s) is compressed too, down to the CRD's 1 s minimum; the
/// operator reads over at least 4 polls of it whatever the window says.
struct Compression: Sendable {
    let speed: Double
    /// The behavior as written (trace time) and as applied (wall time).
    let original: ScalingBehavior
    let applied: ScalingBehavior
    /// The direct scrape's rate window as written and as applied, seconds.
    let originalRateWindow: Double
    let appliedRateWindow: Double

    init(behavior: ScalingBehavior, rateWindow: Double = Defaults.scrapeRateWindowSeconds, speed: Double) {
        self.speed = speed
        original = behavior
        originalRateWindow = rateWindow
        appliedRateWindow = max(1, (rateWindow / speed * 1000).rounded() / 1000)
        var applied = behavior
        applied.pollIntervalSeconds = max(Defaults.minimumPollIntervalSeconds, (behavior.pollIntervalSeconds / speed * 1000).rounded() / 1000)
        applied.scaleUp = Self.compress(behavior.scaleUp, speed)
        applied.scaleDown = Self.compress(behavior.scaleDown, speed)
        self.applied = applied
    }

    private static func compress(_ policy: StepPolicy, _ speed: Double) -> StepPolicy {
        var policy = policy
        policy.periodSeconds = max(1, Int((Double(policy.periodSeconds) / speed).rounded()))
        policy.stabilizationWindowSeconds = Int((Double(policy.stabilizationWindowSeconds) / speed).rounded())
        return policy
    }

    /// Whether the poll interval could not be compressed by the full factor.
    var pollHeld: Bool { original.pollIntervalSeconds / speed < applied.pollIntervalSeconds - 1e-9 }

    /// `spec.behavior` as applied: `original`'s other fields (fallback) kept as written.
    func behaviorJSON(keeping written: JSONValue?) -> JSONValue {
        var behavior = written?.objectValue ?? [:]
        behavior["pollInterval"] = .string(Self.duration(applied.pollIntervalSeconds))
        for (key, policy) in [("scaleUp", applied.scaleUp), ("scaleDown", applied.scaleDown)] {
            var fields = behavior[key]?.objectValue ?? [:]
            fields["pods"] = .integer(policy.pods)
            fields["percent"] = .integer(policy.percent)
            fields["periodSeconds"] = .integer(policy.periodSeconds)
            fields["stabilizationWindowSeconds"] = .integer(policy.stabilizationWindowSeconds)
            behavior[key] = .object(fields)
        }
        return .object(behavior)
    }

    /// One line per field: `poll 5s -> 1s`, as the demo's header prints them.
    var lines: [String] {
        let poll = "poll interval \(Self.duration(original.pollIntervalSeconds)) -> \(Self.duration(applied.pollIntervalSeconds))"
            + (pollHeld ? " (held at the CRD's 1s minimum: a poll every \(Self.duration(applied.pollIntervalSeconds * speed)) of trace)" : "")
        func step(_ name: String, _ a: StepPolicy, _ b: StepPolicy) -> String {
            "\(name) period \(a.periodSeconds)s -> \(b.periodSeconds)s, window \(a.stabilizationWindowSeconds)s -> \(b.stabilizationWindowSeconds)s"
        }
        let window = "direct-scrape rate window \(Self.duration(originalRateWindow)) -> \(Self.duration(appliedRateWindow)) (read over at least 4 polls: \(Self.duration(max(appliedRateWindow, 4 * applied.pollIntervalSeconds) * speed)) of trace)"
        return [poll, step("scale-up", original.scaleUp, applied.scaleUp), step("scale-down", original.scaleDown, applied.scaleDown), window]
    }

    /// `5s`, `1250ms`: Go-style, as the CRD's pattern accepts.
    static func duration(_ seconds: Double) -> String {
        let milliseconds = Int((seconds * 1000).rounded())
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }
}
