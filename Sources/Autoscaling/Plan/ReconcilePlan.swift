import JSON

/// One write the operator would send to the API server.
public struct PlannedWrite: Sendable, Hashable {
    public let method: String
    public let path: String
    public let contentType: String
    public let body: JSONValue
    /// Why: "scale", "warmup template", "prepull daemonset", "status".
    public let purpose: String

    public static let mergePatch = "application/merge-patch+json"
    /// The purpose of a write to the pre-pull DaemonSet.
    public static let prePull = "prepull daemonset"
}

/// Everything one reconcile of one pool would do, computed without I/O: the decision, the warmup
/// plan and the writes, in the order they would be sent. The controller and `eipctl reconcile
/// --dry-run` both build this; only the controller sends it.
public struct ReconcilePlan: Sendable {
    public let pool: ElasticInferencePool
    public let target: DeploymentView
    /// The metric values the decision was made from, with the source's reasons for what is missing.
    public let sample: MetricSample
    public let decision: ScalingDecision
    public let warmup: WarmupPlan
    /// The image pre-pull DaemonSet: create, replace, delete or leave it, and its rollout.
    public let prePull: PrePullPlan
    public let writes: [PlannedWrite]

    /// - Parameters:
    ///   - otherAutoscalers: HPAs (or others) that target the same Deployment; any → no writes but status.
    ///   - now: the clock reading for this reconcile.
    ///   - prePullDaemonSet: the pool's pre-pull DaemonSet as it is now (nil: there is none).
    ///   - pauseImage: the pre-pull pods' pause container.
    public init(pool: ElasticInferencePool, policy: ScalingPolicy, target: DeploymentView, otherAutoscalers: [String] = [],
                sample: MetricSample, now: Timestamp, prePullDaemonSet: JSONValue? = nil, pauseImage: String = Defaults.pauseImage) {
        self.pool = pool
        self.target = target
        self.sample = sample
        let decision = DecisionEngine.decide(policy: policy, target: target.snapshot(otherAutoscalers: otherAutoscalers),
                                             sample: sample, now: now, state: pool.state)
        self.decision = decision
        let warmup = WarmupPlan.plan(pool.spec.warmup, for: target)
        self.warmup = warmup
        let prePull = PrePullPlan.plan(pool: pool, target: target, current: prePullDaemonSet, pauseImage: pauseImage)
        self.prePull = prePull

        let deploymentPath = "/apis/apps/v1/namespaces/\(target.namespace)/deployments/\(target.name)"
        var writes: [PlannedWrite] = []
        if otherAutoscalers.isEmpty {
            // Template first: its patch carries the resourceVersion read, which the scale write would move on.
            if let patch = warmup.patch {
                writes.append(PlannedWrite(method: "PATCH", path: deploymentPath, contentType: PlannedWrite.mergePatch,
                                           body: patch, purpose: "warmup template"))
            }
            if decision.changesReplicas {
                // As `kubectl scale` does: a merge patch of the scale subresource.
                writes.append(PlannedWrite(method: "PATCH", path: deploymentPath + "/scale", contentType: PlannedWrite.mergePatch,
                                           body: ["spec": ["replicas": .integer(decision.to)]], purpose: "scale"))
            }
            let daemonSets = "/apis/apps/v1/namespaces/\(pool.namespace)/daemonsets"
            switch prePull.action {
            case .none: break
            case .create(let object):
                writes.append(PlannedWrite(method: "POST", path: daemonSets, contentType: "application/json", body: object, purpose: PlannedWrite.prePull))
            case .replace(let object):
                writes.append(PlannedWrite(method: "PUT", path: daemonSets + "/" + PrePullPlan.name(pool: pool.name), contentType: "application/json",
                                           body: object, purpose: PlannedWrite.prePull))
            case .delete(let name):
                writes.append(PlannedWrite(method: "DELETE", path: daemonSets + "/" + name, contentType: "application/json",
                                           body: ["apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"], purpose: PlannedWrite.prePull))
            }
        }
        let statusPath = "/apis/\(ElasticInferencePool.apiVersion)/namespaces/\(pool.namespace)/\(ElasticInferencePool.plural)/\(pool.name)/status"
        writes.append(PlannedWrite(method: "PATCH", path: statusPath, contentType: PlannedWrite.mergePatch,
                                   body: ["status": .object(Self.statusFields(pool, decision, target, sample, now))], purpose: "status"))
        self.writes = writes
    }

    /// The decision fields of status (conditions are added by the controller).
    static func statusFields(_ pool: ElasticInferencePool, _ d: ScalingDecision, _ target: DeploymentView,
                             _ sample: MetricSample, _ now: Timestamp) -> JSONObject {
        var status = JSONObject()
        if let generation = pool.generation { status["observedGeneration"] = .integer(generation) }
        status["currentReplicas"] = .integer(d.from)
        status["desiredReplicas"] = .integer(d.to)
        status["readyReplicas"] = .integer(target.readyReplicas)
        status["warmingReplicas"] = .integer(max(0, target.replicas - target.readyReplicas))
        var observed = JSONObject()
        for metric in MetricName.allCases {
            if let reading = sample.readings[metric], reading.value.isFinite {
                observed[metric.statusKey] = .string(Quantity.format(reading.value, as: metric.kind))
            }
        }
        if let newest = sample.readings.values.map(\.sampledAt).max() { observed["sampleTime"] = .string(newest.rfc3339) }
        if let source = sample.source { observed["source"] = .string(source) }
        status["observed"] = .object(observed)
        status["lastDecision"] = [
            "time": .string(now.rfc3339), "action": .string(d.action.rawValue), "from": .integer(d.from), "to": .integer(d.to),
            "reason": .string(d.reason.rawValue), "message": .string(d.message),
        ]
        for (key, value) in d.state.statusFields { status[key] = value }
        // Absent windows are written as null so that a merge patch clears them.
        for key in ["scaleUpCandidateSince", "scaleDownCandidateSince"] where status[key] == nil { status[key] = .null }
        return status
    }
}
