import Autoscaling
import JSON
import Kube
import Operator

/// A ``ReconcilePlan`` as people (text) and programs (JSON, YAML) read it. Its writes are the
/// requests the operator's write executor makes of the plan's intents, exactly.
struct PlanRendering {
    let plan: ReconcilePlan
    let assumedTarget: Bool
    let warnings: [String]
    let notes: [String]
    /// Each write with its request.
    let writes: [(intent: WriteIntent, request: KubeRequest)]

    init(plan: ReconcilePlan, assumedTarget: Bool, warnings: [String], notes: [String]) {
        self.plan = plan
        self.assumedTarget = assumedTarget
        self.warnings = warnings
        self.notes = notes
        writes = plan.writes.map { ($0, WriteExecutor.request(for: $0)) }
    }

    private var decision: ScalingDecision { plan.decision }
    private var sample: MetricSample { plan.sample }
    private var now: Timestamp { plan.now }

    var text: String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        let pool = plan.pool
        let target = plan.target
        line("Pool      \(pool.namespace)/\(pool.name) (model \(pool.spec.modelRef), replicas \(pool.spec.minReplicas)..\(pool.spec.maxReplicas)\(pool.spec.paused ? ", paused" : ""))")
        line("Target    \(target.kind.kind) \(target.namespace)/\(target.name): \(target.replicas) replicas, \(target.readyReplicas) ready\(assumedTarget ? " (assumed)" : "")")
        line("Now       \(now.rfc3339)")
        line("Metrics   \(metricsSummary)")
        for note in notes { line("Note      \(note)") }
        line()
        for (label, evaluation) in [("scaleUpThreshold", decision.scaleUp), ("scaleDownThreshold", decision.scaleDown)] {
            line("\(label): \(evaluation.expression)  =>  \(evaluation.result.rawValue)")
            for clause in evaluation.clauses {
                let c = clause.comparison
                let observed = clause.observed.map { Quantity.format($0, as: c.metric.kind) } ?? "unknown"
                line("  \(c.description.padding(18)) \(c.metric.rawValue)=\(observed)".padding(44) + "  \(clause.result.rawValue)")
            }
        }
        line()
        let verb: String
        switch decision.action {
        case .hold: verb = "Hold at \(decision.to)"
        case .scaleUp: verb = "Scale up \(decision.from) -> \(decision.to)"
        case .scaleDown: verb = "Scale down \(decision.from) -> \(decision.to)"
        }
        line("Decision  \(verb) (\(decision.reason.kind.rawValue))")
        line("          \(plan.decisionMessage)")
        if decision.rulesOverlap { line("          Both rules are true: scale-up wins, and condition ScalingActive says the rules overlap.") }
        if decision.limited { line("          Limited by the replica bounds (condition ScalingLimited).") }
        if let refused = plan.warmup.refused {
            line("Warmup    refused: \(refused) (WarmupReady=False, reason UnsupportedTarget)")
        } else if !plan.warmup.clashes.isEmpty {
            line("Warmup    Conflict: the \(target.kind.kind) already has containers named \(plan.warmup.clashes.joined(separator: ", ")) that the operator does not own; no template patch (WarmupReady=False, reason Conflict)")
        } else if plan.warmup.changesTemplate {
            line("Warmup    \(plan.warmup.changes.map(\.description).joined(separator: "; ")) (rolls every pod once)")
        } else if plan.warmup.changesAnnotation {
            line("Warmup    ownership annotation only (no roll)")
        } else {
            line("Warmup    the pod template already matches")
        }
        line("Pre-pull  \(prePullSummary)")
        line("Learned   \(learnedSummary)")
        line()
        line("Writes (\(writes.count)), in order:")
        for (i, write) in writes.enumerated() {
            line("  \(i + 1). \(write.request.method) \(write.request.path)   [\(write.intent.kind)]")
            line("     Content-Type: \(write.request.contentType)")
            for bodyLine in (write.request.body ?? .null).prettyText.split(separator: "\n", omittingEmptySubsequences: false) { line("     \(bodyLine)") }
        }
        if !warnings.isEmpty {
            line()
            line("Warnings:")
            for w in warnings { line("  \(w)") }
        }
        line()
        line("Dry run: nothing was written.")
        return out
    }

    private var metricsSummary: String {
        if sample.readings.isEmpty { return "(none)" }
        return sample.readings.sorted { $0.key < $1.key }.map { metric, reading in
            "\(metric.rawValue)=\(Quantity.format(reading.value, as: metric.kind))"
        }.joined(separator: " ")
    }

    var json: JSONValue {
        let pool = plan.pool
        let target = plan.target
        var o = JSONObject()
        o["dryRun"] = true
        o["now"] = .string(now.rfc3339)
        o["pool"] = ["namespace": .string(pool.namespace), "name": .string(pool.name), "modelRef": .string(pool.spec.modelRef),
                     "minReplicas": .integer(pool.spec.minReplicas), "maxReplicas": .integer(pool.spec.maxReplicas), "paused": .bool(pool.spec.paused)]
        o["target"] = ["kind": .string(target.kind.kind), "apiVersion": .string(target.kind.apiVersion), "namespace": .string(target.namespace), "name": .string(target.name),
                       "currentReplicas": .integer(target.replicas), "readyReplicas": .integer(target.readyReplicas),
                       "assumed": .bool(assumedTarget)]
        var metrics = JSONObject()
        for (metric, reading) in sample.readings {
            metrics[metric.rawValue] = .string(Quantity.format(reading.value, as: metric.kind))
        }
        o["metrics"] = .object(metrics)
        o["evaluations"] = ["scaleUpThreshold": Self.json(decision.scaleUp), "scaleDownThreshold": Self.json(decision.scaleDown)]
        o["decision"] = [
            "action": .string(decision.action.rawValue), "from": .integer(decision.from), "to": .integer(decision.to),
            "reason": .string(decision.reason.kind.rawValue), "message": .string(plan.decisionMessage),
            "rulesOverlap": .bool(decision.rulesOverlap), "limited": .bool(decision.limited),
            "unknownMetrics": .array(decision.unknownMetrics.map { .string($0.rawValue) }),
        ]
        o["warmup"] = [
            "changes": .array(plan.warmup.changes.map { .string($0.description) }),
            "clashes": .array(plan.warmup.clashes.map(JSONValue.string)),
            "ownedInitContainers": .array(plan.warmup.desiredOwnedNames.map(JSONValue.string)),
            "prePull": .string(prePullSummary),
        ]
        o["state"] = .object(decision.state.statusFields)
        o["writes"] = .array(writes.map { write in
            ["method": .string(write.request.method), "path": .string(write.request.path), "contentType": .string(write.request.contentType),
             "purpose": .string(write.intent.kind.rawValue), "body": write.request.body ?? .null]
        })
        o["warnings"] = .array(warnings.map(JSONValue.string))
        o["notes"] = .array(notes.map(JSONValue.string))
        return .object(o)
    }

    /// What the engine has learned, as the decision leaves it (chain it with `--state`).
    private var learnedSummary: String {
        let learned = decision.state.learned
        var parts: [String] = []
        parts.append(learned.capacity.map { "capacity \(RateText.compact($0.requestsPerReplica)) req/s per ready replica" } ?? "capacity not learned yet (a healthy poll with every replica Ready for a metrics window)")
        parts.append("cold start \(learned.statusFields["coldStart"]?.stringValue ?? "")")
        if let trend = learned.demand {
            parts.append("demand \(RateText.compact(trend.level)) req/s, trend \(RateText.compact(trend.slope)) req/s per second\(trend.isRising(pollSeconds: plan.pool.spec.behavior.pollIntervalSeconds) ? " (rising)" : "")")
        }
        return parts.joined(separator: "; ")
    }

    private static func json(_ evaluation: ThresholdEvaluation) -> JSONValue {
        [
            "expression": .string(evaluation.expression),
            "result": .string(evaluation.result.rawValue),
            "clauses": .array(evaluation.clauses.map { clause in
                let c = clause.comparison
                return [
                    "clause": .string(c.description), "metric": .string(c.metric.rawValue),
                    "observed": clause.observed.map { .string(Quantity.format($0, as: c.metric.kind)) } ?? .null,
                    "result": .string(clause.result.rawValue),
                ]
            }),
        ]
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

extension PlanRendering {
    /// What happens to the pool's image pre-pull DaemonSet, in a line.
    var prePullSummary: String {
        let name = PrePullPlan.name(pool: plan.pool.name)
        let images = plan.pool.spec.warmup.preloadedImages
        switch plan.prePull.change {
        case .create?: return "create DaemonSet \(name) to pull \(images.joined(separator: ", ")) on the target's nodes"
        case .replace?: return "replace DaemonSet \(name): images or placement changed (\(images.joined(separator: ", ")))"
        case .delete?: return "delete DaemonSet \(name): no images to pre-pull"
        case nil:
            guard !images.isEmpty else { return "no images to pre-pull" }
            guard let rollout = plan.prePull.rollout else { return "DaemonSet \(name) is current; its rollout is not reported yet" }
            return "DaemonSet \(name) is current: \(rollout.ready)/\(rollout.desired) nodes ready"
        }
    }
}
