/// Writes a decision's explanation (SPEC §4 rule 8) from its reason's facts: the rule, the clauses
/// with their observed values, and the numbers that shaped the outcome.
enum DecisionMessage {
    static func text(for d: ScalingDecision) -> String {
        let upRule = "scaleUpThreshold is true (\(d.scaleUp.clauseSummary))"
        let downRule = "scaleDownThreshold is true (\(d.scaleDown.clauseSummary))"
        let overlap = d.rulesOverlap ? "; scaleDownThreshold is true too and scale-up wins" : ""
        let body: String
        switch d.reason {
        case .otherAutoscaler(let other):
            body = "\(other) also targets Deployment \(d.targetName); not scaling it, so as not to fight over its replicas"
        case .paused:
            body = "spec.paused is true; replicas stay at \(d.from)"
        case .belowMinimum(let minReplicas):
            body = "\(d.from) replicas is below minReplicas \(minReplicas)"
        case .aboveMaximum(let maxReplicas):
            body = "\(d.from) replicas is above maxReplicas \(maxReplicas)"
        case .scaleUpStabilizing(let held, let window):
            body = "\(upRule) for \(seconds(held)) of the \(window)s window\(overlap)"
        case .atMaximum(let maxReplicas):
            body = "\(upRule) but replicas are at maxReplicas \(maxReplicas)\(overlap)"
        case .scaleUpRateLimited(let since, let period):
            body = "\(upRule) but the last scale-up was \(seconds(since)) ago; next step in \(seconds(Double(period) - since)) (scaleUp.periodSeconds \(period))\(overlap)"
        case .replicasWarming(let step):
            body = "\(upRule); \(stepText(step)) gives \(step.to), and \(d.from) replicas (\(d.from - step.ready) still starting) already cover it\(overlap)"
        case .scaleUpRule(let step):
            let capped = step.cappedAt.map { " (capped at maxReplicas \($0))" } ?? ""
            body = "\(upRule); \(stepText(step))\(capped)\(overlap)"
        case .scaleDownStabilizing(let held, let window):
            body = "\(downRule) for \(seconds(held)) of the \(window)s window; scale-down in \(seconds(Double(window) - held)) if it stays true"
        case .atMinimum(let minReplicas):
            body = "\(downRule) but replicas are at minReplicas \(minReplicas)"
        case .scaleDownRateLimited(let since, let period):
            body = "\(downRule) but the last scale-down was \(seconds(since)) ago; next step in \(seconds(Double(period) - since)) (scaleDown.periodSeconds \(period))"
        case .scaleDownRule(let step):
            let capped = step.keptAt.map { " (kept at minReplicas \($0))" } ?? ""
            body = "\(downRule) for \(seconds(step.held)); step max(\(step.pods) pods, \(step.percent)% of \(d.from)) = \(step.step)\(capped)"
        case .metricsUnknown(let missing):
            body = "cannot decide without metric values\(missingText(missing)); holding at \(d.from), never scaling down on missing data"
        case .fallback(let failures, let policy, let missing):
            body = "metrics missing for \(failures) decisions in a row (fallback.failureThreshold \(policy.failureThreshold))\(missingText(missing)); using fallback.replicas \(policy.replicas)"
        case .withinThresholds:
            body = "neither threshold is true (up: \(d.scaleUp.clauseSummary); down: \(d.scaleDown.clauseSummary)); holding at \(d.from)"
        }
        return d.to == d.from ? body : "\(d.from) -> \(d.to): \(body)"
    }

    private static func stepText(_ step: UpStep) -> String {
        if let p = step.proportional {
            return "proportional estimate \(step.ready) × \(Quantity.format(p.observed, as: p.comparison.metric.kind)) / \(p.comparison.threshold.text) = \(p.estimate)"
        }
        return "from \(step.ready) ready, step max(\(step.pods) pods, \(step.percent)% of \(step.ready)) = \(step.step)"
    }

    private static func missingText(_ missing: MissingMetrics) -> String {
        var why: [String] = []
        if let failure = missing.sourceFailure { why.append("the metrics source failed: \(failure)") }
        for m in missing.metrics {
            switch m.why {
            case .absent(let reason): why.append("\(m.metric.rawValue) is unknown\(reason.map { " (\($0))" } ?? "")")
            case .notANumber: why.append("\(m.metric.rawValue) is NaN")
            case .stale(let age, let limit): why.append("\(m.metric.rawValue) is stale (sampled \(seconds(age)) ago, limit \(seconds(limit)))")
            }
        }
        return why.isEmpty ? "" : ": " + why.joined(separator: "; ")
    }

    /// Whole seconds when whole, else one decimal: `40s`, `2.5s`.
    static func seconds(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded))s" : "\(rounded)s"
    }
}
