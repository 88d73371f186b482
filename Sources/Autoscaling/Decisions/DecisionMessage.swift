/// Writes a decision's explanation (SPEC §4 rule 8) from its facts: the rule, the clauses with
/// their observed values, and the numbers that shaped the outcome.
enum DecisionMessage {
    static func text(for d: ScalingDecision) -> String {
        let f = d.facts
        let upRule = "scaleUpThreshold is true (\(d.scaleUp.clauseSummary))"
        let downRule = "scaleDownThreshold is true (\(d.scaleDown.clauseSummary))"
        let overlap = d.rulesOverlap ? "; scaleDownThreshold is true too and scale-up wins" : ""
        let body: String
        switch d.reason {
        case .otherAutoscaler:
            body = "\(f.otherAutoscaler ?? "another autoscaler") also targets Deployment \(d.targetName); not scaling it, so as not to fight over its replicas"
        case .paused:
            body = "spec.paused is true; replicas stay at \(d.from)"
        case .belowMinimum:
            body = "\(d.from) replicas is below minReplicas \(f.bound ?? d.to)"
        case .aboveMaximum:
            body = "\(d.from) replicas is above maxReplicas \(f.bound ?? d.to)"
        case .scaleUpStabilizing:
            body = "\(upRule) for \(seconds(f.heldSeconds)) of the \(f.windowSeconds ?? 0)s window\(overlap)"
        case .atMaximum:
            body = "\(upRule) but replicas are at maxReplicas \(f.bound ?? d.to)\(overlap)"
        case .scaleUpRateLimited:
            body = "\(upRule) but the last scale-up was \(seconds(f.sinceLastStep)) ago; next step in \(seconds(wait(f))) (scaleUp.periodSeconds \(f.periodSeconds ?? 0))\(overlap)"
        case .replicasWarming:
            body = "\(upRule); \(stepText(f)) gives \(f.proposed ?? d.to), and \(d.from) replicas (\(d.from - (f.ready ?? d.from)) still starting) already cover it\(overlap)"
        case .scaleUpRule:
            let capped = f.capped ? " (capped at maxReplicas \(f.bound ?? d.to))" : ""
            body = "\(upRule); \(stepText(f))\(capped)\(overlap)"
        case .scaleDownStabilizing:
            let left = Double(f.windowSeconds ?? 0) - (f.heldSeconds ?? 0)
            body = "\(downRule) for \(seconds(f.heldSeconds)) of the \(f.windowSeconds ?? 0)s window; scale-down in \(seconds(left)) if it stays true"
        case .atMinimum:
            body = "\(downRule) but replicas are at minReplicas \(f.bound ?? d.to)"
        case .scaleDownRateLimited:
            body = "\(downRule) but the last scale-down was \(seconds(f.sinceLastStep)) ago; next step in \(seconds(wait(f))) (scaleDown.periodSeconds \(f.periodSeconds ?? 0))"
        case .scaleDownRule:
            let capped = f.capped ? " (kept at minReplicas \(f.bound ?? d.to))" : ""
            body = "\(downRule) for \(seconds(f.heldSeconds)); step max(\(f.stepPods ?? 0) pods, \(f.stepPercent ?? 0)% of \(d.from)) = \(f.step ?? 0)\(capped)"
        case .metricsUnknown:
            body = "cannot decide without metric values\(missingText(f)); holding at \(d.from), never scaling down on missing data"
        case .fallback:
            let policy = f.fallback
            body = "metrics missing for \(f.failures ?? 0) decisions in a row (fallback.failureThreshold \(policy?.failureThreshold ?? 0))\(missingText(f)); using fallback.replicas \(policy?.replicas ?? d.to)"
        case .withinThresholds:
            body = "neither threshold is true (up: \(d.scaleUp.clauseSummary); down: \(d.scaleDown.clauseSummary)); holding at \(d.from)"
        }
        return d.to == d.from ? body : "\(d.from) -> \(d.to): \(body)"
    }

    private static func wait(_ f: DecisionFacts) -> Double {
        Double(f.periodSeconds ?? 0) - (f.sinceLastStep ?? 0)
    }

    private static func stepText(_ f: DecisionFacts) -> String {
        let ready = f.ready ?? 0
        if let p = f.proportional {
            return "proportional estimate \(ready) × \(Quantity.format(p.observed, as: p.comparison.metric.kind)) / \(p.comparison.threshold.text) = \(p.estimate)"
        }
        return "from \(ready) ready, step max(\(f.stepPods ?? 0) pods, \(f.stepPercent ?? 0)% of \(ready)) = \(f.step ?? 0)"
    }

    private static func missingText(_ f: DecisionFacts) -> String {
        var why: [String] = []
        if let failure = f.sourceFailure { why.append("the metrics source failed: \(failure)") }
        for m in f.missing {
            switch m.why {
            case .absent(let reason): why.append("\(m.metric.rawValue) is unknown\(reason.map { " (\($0))" } ?? "")")
            case .notANumber: why.append("\(m.metric.rawValue) is NaN")
            case .stale(let age, let limit): why.append("\(m.metric.rawValue) is stale (sampled \(seconds(age)) ago, limit \(seconds(limit)))")
            }
        }
        return why.isEmpty ? "" : ": " + why.joined(separator: "; ")
    }

    /// Whole seconds when whole, else one decimal: `40s`, `2.5s`.
    static func seconds(_ value: Double?) -> String {
        let rounded = ((value ?? 0) * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded))s" : "\(rounded)s"
    }
}
