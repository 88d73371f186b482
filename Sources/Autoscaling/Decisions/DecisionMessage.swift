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
            let starting = d.from - step.ready
            let cover = starting > 0 ? "\(d.from) replicas (\(starting) still starting) already cover it" : "the \(d.from) ready replicas already cover it (the metrics do not show them yet)"
            body = "\(upRule); \(stepText(step)) gives \(step.to), and \(cover)\(overlap)"
        case .scaleUpRule(let step):
            let capped = step.cappedAt.map { " (capped at maxReplicas \($0))" } ?? ""
            body = "\(upRule)\(fastPathText(step)); \(stepText(step))\(capped)\(overlap)"
        case .scaleUpForecast(let step):
            let capped = step.cappedAt.map { " (capped at maxReplicas \($0))" } ?? ""
            body = "demand is rising; \(stepText(step))\(capped)"
        case .trimStarting(let trim):
            let floor = trim.floor.map { "; a rising forecast keeps \($0.capacity.replicas)" } ?? ""
            body = "the jump stopped short of the \(rate(trim.surgeForecast)) req/s the fast path sized for: \(capacityText(trim.sizing))\(floor); giving back \(d.from - trim.to) replicas still starting (\(trim.ready) ready, none of them removed)"
        case .scaleDownStabilizing(let held, let window):
            body = "\(downRule) for \(seconds(held)) of the \(window)s window; scale-down in \(seconds(Double(window) - held)) if it stays true"
        case .atMinimum(let minReplicas):
            body = "\(downRule) but replicas are at minReplicas \(minReplicas)"
        case .scaleDownRateLimited(let since, let period):
            body = "\(downRule) but the last scale-down was \(seconds(since)) ago; next step in \(seconds(Double(period) - since)) (scaleDown.periodSeconds \(period))"
        case .scaleDownRule(let step):
            let capped = step.keptAt.map { " (kept at minReplicas \($0))" } ?? ""
            let idle = step.idle ? " (idle: no request served, latencies read as low)" : ""
            var sized = "step max(\(step.pods) pods, \(step.percent)% of \(d.from)) = \(step.step)"
            if let sizing = step.sizing { sized = "\(capacityText(sizing)), within the \(sized)" }
            if let floor = step.floor { sized += "; kept at \(floor.capacity.replicas) for \(forecastText(floor))" }
            body = "\(downRule)\(idle) for \(seconds(step.held)); \(sized)\(capped)"
        case .forecastHolds(let floor):
            body = "\(downRule), but \(forecastText(floor)): \(capacityText(floor.capacity)); holding at \(d.from)"
        case .metricsUnknown(let missing):
            body = "cannot decide without metric values\(missingText(missing)); holding at \(d.from), never scaling down on missing data"
        case .fallback(let failures, let policy, let missing):
            let floor = d.to > d.from ? "raising to fallback.replicas \(d.to)" : "fallback.replicas \(policy.replicas) is a floor, never a cut: holding at \(d.from)"
            body = "metrics missing for \(failures) polls in a row (fallback.failureThreshold \(policy.failureThreshold))\(missingText(missing)); \(floor)"
        case .withinThresholds:
            body = "neither threshold is true (up: \(d.scaleUp.clauseSummary); down: \(d.scaleDown.clauseSummary)); holding at \(d.from)"
        }
        return d.to == d.from ? body : "\(d.from) -> \(d.to): \(body)"
    }

    private static func stepText(_ step: UpStep) -> String {
        switch step.sizing {
        case .step: break
        case .capacity(let sizing): return capacityText(sizing)
        case .surge(let surge):
            return "demand jumped from \(rate(surge.previous)) to \(rate(surge.now)) req/s in \(seconds(surge.interval)); "
                + "\(seconds(surge.ahead)) ahead (cold start \(surge.coldStartMeasured ? "measured" : "assumed") + a poll) at that pace: \(capacityText(surge.capacity))"
        case .forecast(let forecast):
            return forecastText(forecast) + ": " + capacityText(forecast.capacity)
        }
        if let p = step.proportional {
            return "proportional estimate \(step.ready) × \(Quantity.format(p.observed, as: p.comparison.metric.kind)) / \(p.comparison.threshold.text) = \(p.estimate)"
        }
        return "from \(step.ready) ready, step max(\(step.pods) pods, \(step.percent)% of \(step.ready)) = \(step.step)"
    }

    /// `demand 99.6k req/s ÷ (6.12k/replica × 100%) = 17`.
    static func capacityText(_ s: CapacitySizing) -> String {
        "demand \(rate(s.demand)) req/s ÷ (\(rate(s.perReplica))/replica learned × \(Quantity.trimmed(s.utilization * 100))%) = \(s.replicas)"
    }

    static func forecastText(_ f: ForecastSizing) -> String {
        "demand rising \(rate(f.slope)) req/s per second from \(rate(f.level)) req/s, \(rate(f.capacity.demand)) req/s forecast \(seconds(f.ahead)) ahead "
            + "(cold start \(f.coldStartMeasured ? "measured" : "assumed") + a poll)"
    }

    static func fastPathText(_ step: UpStep) -> String {
        guard let fast = step.fastPath else { return "" }
        let times = Quantity.trimmed((fast.observed / fast.comparison.threshold.value * 10).rounded() / 10)
        return " (\(fast.comparison.metric.rawValue) at \(times)× its threshold: fast path, no scaleUp.periodSeconds wait)"
    }

    static func rate(_ value: Double) -> String { RateText.compact(value) }

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
