import JSON

/// A status condition, as `metav1.Condition`: a type, its status, a CamelCase reason and a message.
public struct Condition: Sendable, Hashable {
    /// `True`, `False` or `Unknown`, as written.
    public enum Status: String, Sendable { case `true` = "True", `false` = "False", unknown = "Unknown" }

    /// `Ready`, `MetricsAvailable`, … (the constants below).
    public let type: String
    /// Whether the condition holds.
    public let status: Status
    /// Why, in CamelCase: `Reconciled`, `TargetNotFound`, a decision's reason.
    public let reason: String
    /// Why, for people.
    public let message: String

    /// A condition of `type`.
    public init(_ type: String, _ status: Status, reason: String, message: String) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
    }

    /// The pool's condition types, in the order status lists them.
    public static let ready = "Ready"
    /// Every metric the rules read has a fresh value.
    public static let metricsAvailable = "MetricsAvailable"
    /// The pool decides replicas (false: paused, another autoscaler, metrics unknown).
    public static let scalingActive = "ScalingActive"
    /// The decision wanted replicas beyond the bounds.
    public static let scalingLimited = "ScalingLimited"
    /// The template carries the warmup and the pre-pull DaemonSet has rolled out.
    public static let warmupReady = "WarmupReady"
    static let order = [ready, metricsAvailable, scalingActive, scalingLimited, warmupReady]
}

/// Writing conditions as Kubernetes does: `lastTransitionTime` moves only when a condition's
/// status changes; `observedGeneration` says which spec they describe; conditions not set this
/// time are kept.
enum Conditions {
    static func merge(_ desired: [Condition], into previous: [JSONValue], generation: Int?, now: Timestamp) -> [JSONValue] {
        var result = previous.filter { old in !desired.contains { $0.type == old["type"]?.stringValue } }
        for condition in desired {
            let old = previous.first { $0["type"]?.stringValue == condition.type }
            let changed = old?["status"]?.stringValue != condition.status.rawValue
            var o: JSONObject = ["type": .string(condition.type), "status": .string(condition.status.rawValue),
                                 "reason": .string(condition.reason), "message": .string(condition.message)]
            if let generation { o["observedGeneration"] = .integer(generation) }
            o["lastTransitionTime"] = changed ? .string(now.rfc3339) : (old?["lastTransitionTime"] ?? .string(now.rfc3339))
            result.append(.object(o))
        }
        return result.sorted { (Condition.order.firstIndex(of: $0["type"]?.stringValue ?? "") ?? 99) < (Condition.order.firstIndex(of: $1["type"]?.stringValue ?? "") ?? 99) }
    }
}

extension ReconcilePlan {
    /// The conditions a reconcile that reached a decision reports; `writeError` is the message of
    /// the write that failed, if one did (then `Ready` is `False`, reason `WriteFailed`).
    public func conditions(writeError: String? = nil) -> [Condition] {
        conditions(writeError: writeError, message: decisionMessage)
    }

    func conditions(writeError: String?, message: String) -> [Condition] {
        let d = decision
        var conditions: [Condition] = []
        if case .otherAutoscaler(let other) = d.reason {
            // Not ready while something else claims the target: every write is held.
            conditions.append(Condition(Condition.ready, .false, reason: "TargetClaimed",
                                        message: "\(other) also targets \(target.kind.kind) \(target.name); this pool writes nothing to it until that one goes or targets another"))
        } else {
            conditions.append(writeError.map { Condition(Condition.ready, .false, reason: "WriteFailed", message: $0) }
                              ?? Condition(Condition.ready, .true, reason: "Reconciled", message: "the pool's decisions are applied to \(target.kind.kind) \(target.name)"))
        }
        // A source whose clock differs from the operator's by more than a poll is said once here
        // (values are fresh by when the operator read them, so it does not make them stale).
        let skew = sample.clockSkew.flatMap { abs($0) > pool.spec.behavior.pollIntervalSeconds ? $0 : nil }.map {
            "; the source's clock is \(DecisionMessage.seconds(abs($0))) \($0 > 0 ? "behind" : "ahead of") the operator's (freshness is judged by when the operator read each value)"
        } ?? ""
        if d.unknownMetrics.isEmpty, sample.idle {
            conditions.append(Condition(Condition.metricsAvailable, .true, reason: "Idle",
                                        message: "the pool served no request in the source's window: its latencies read as low, and it is not a failure" + skew))
        } else if d.unknownMetrics.isEmpty {
            conditions.append(Condition(Condition.metricsAvailable, .true, reason: "MetricsRead", message: "every metric the thresholds read has a fresh value" + skew))
        } else {
            // Say why: the source's own failure, else each metric's reason (an empty result, a first scrape).
            var why: [String] = []
            if let failure = sample.failure { why.append("the metrics source failed: \(failure)") }
            for metric in d.unknownMetrics {
                if let reason = sample.unknownReasons[metric] { why.append("\(metric.rawValue): \(reason)") }
            }
            conditions.append(Condition(Condition.metricsAvailable, .false, reason: sample.failure == nil ? "MetricsUnknown" : "SourceFailed",
                                        message: "no fresh value for \(d.unknownMetrics.map(\.rawValue).joined(separator: ", "))"
                                            + (why.isEmpty ? "" : ": " + why.joined(separator: "; ")) + skew))
        }
        let reason = d.reason.kind.rawValue
        switch d.reason.kind {
        case .paused, .otherAutoscaler, .metricsUnknown:
            conditions.append(Condition(Condition.scalingActive, .false, reason: reason, message: message))
        default:
            let overlap = d.rulesOverlap ? "scaleUpThreshold and scaleDownThreshold are both true; scale-up wins. " : ""
            conditions.append(Condition(Condition.scalingActive, .true, reason: d.rulesOverlap ? "RulesOverlap" : reason, message: overlap + message))
        }
        conditions.append(d.limited
            ? Condition(Condition.scalingLimited, .true, reason: reason, message: "the decision wanted replicas beyond minReplicas..maxReplicas")
            : Condition(Condition.scalingLimited, .false, reason: "WithinBounds", message: "the decision fits minReplicas..maxReplicas"))
        if let refused = warmup.refused {
            conditions.append(Condition(Condition.warmupReady, .false, reason: "UnsupportedTarget", message: refused + "; no warmup"))
        } else if !warmup.clashes.isEmpty {
            conditions.append(Condition(Condition.warmupReady, .false, reason: "Conflict",
                                        message: "\(target.kind.kind) \(target.name) already has containers named \(warmup.clashes.joined(separator: ", ")) that the operator does not own; no template patch"))
        } else if warmup.changesTemplate || warmup.changesAnnotation {
            conditions.append(Condition(Condition.warmupReady, .false, reason: "Patching", message: warmup.changes.map(\.description).joined(separator: "; ")))
        } else if let prePull = prePullCondition {
            conditions.append(prePull)
        } else {
            let images = pool.spec.warmup.preloadedImages.count
            conditions.append(Condition(Condition.warmupReady, .true, reason: images > 0 ? "WarmupReady" : "TemplateCurrent",
                                        message: "the pod template carries the pool's init containers"
                                            + (images > 0 ? "; \(images) image(s) pre-pulled on every node the DaemonSet runs on" : "")))
        }
        return conditions
    }

    /// WarmupReady=False while the pre-pull DaemonSet is being written or is rolling out (desired =
    /// ready = updated, for its current generation, is done); nil when it is done or there is none.
    private var prePullCondition: Condition? {
        let name = PrePullPlan.name(pool: pool.name)
        switch prePull.change {
        case .create?: return Condition(Condition.warmupReady, .false, reason: "PrePullCreating", message: "creating DaemonSet \(name)")
        case .replace?: return Condition(Condition.warmupReady, .false, reason: "PrePullUpdating", message: "updating DaemonSet \(name): images or placement changed")
        case .delete?, nil: break
        }
        guard prePull.desired != nil else { return nil }
        guard let rollout = prePull.rollout else {
            return Condition(Condition.warmupReady, .false, reason: "PrePulling", message: "DaemonSet \(name) has not reported its rollout yet")
        }
        guard rollout.isComplete else {
            return Condition(Condition.warmupReady, .false, reason: "PrePulling",
                             message: "DaemonSet \(name): \(rollout.ready)/\(rollout.desired) nodes ready, \(rollout.updated) updated")
        }
        return nil
    }
}
