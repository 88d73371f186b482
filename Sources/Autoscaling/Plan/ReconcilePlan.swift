import JSON

/// What else bears on a plan, beyond the pool, its Deployment, the metric sample and the state. The
/// defaults describe a cluster with nothing else in it (what a simulation or an offline dry run sees).
public struct PlanContext: Sendable {
    /// Other autoscalers that target the same Deployment, as `Kind/name`: an older pool holding it,
    /// KEDA ScaledObjects, HPAs (``OtherAutoscalers/claiming(_:pools:scaledObjects:autoscalers:)``).
    /// Any means no writes but status (SPEC §4 rule 7), and `Ready=False`, reason `TargetClaimed`.
    public var otherAutoscalers: [String]
    /// The pool's pre-pull DaemonSet as it is now; nil: there is none.
    public var prePullDaemonSet: JSONValue?
    /// The pre-pull pods' pause container (operator flag `--pause-image`).
    public var pauseImage: String

    /// A context; the defaults are an empty cluster.
    public init(otherAutoscalers: [String] = [], prePullDaemonSet: JSONValue? = nil, pauseImage: String = Defaults.pauseImage) {
        self.otherAutoscalers = otherAutoscalers
        self.prePullDaemonSet = prePullDaemonSet
        self.pauseImage = pauseImage
    }
}

/// Everything one reconcile of one pool does, computed without I/O: the decision, the warmup and
/// pre-pull plans, and the writes as typed intents, in the order they are sent.
///
/// This is the one planning entry point. The operator's reconciler plans each poll through it,
/// `eipctl reconcile --dry-run` prints what it plans, and a simulation calls it once per simulated
/// poll, carrying ``state`` from one poll to the next as the operator carries it in status:
///
/// ```swift
/// let check = ElasticInferencePool.check(object)           // pool and policy, once
/// var state = check.pool!.state                             // what status says (empty for a new pool)
/// for poll in polls {
///     let plan = ReconcilePlan(pool: pool, policy: policy,
///                              target: DeploymentView(name: "llm", namespace: "default", replicas: current, readyReplicas: ready),
///                              sample: sample, now: poll.time, state: state)
///     current = plan.decision.to                            // plan.changes has the .scale intent
///     state = plan.state
/// }
/// ```
public struct ReconcilePlan: Sendable {
    /// The pool planned for, as read (its status is what the status write is compared with).
    public let pool: ElasticInferencePool
    /// Its workload, as read.
    public let target: WorkloadView
    /// The metric values the decision was made from, with the source's reasons for what is missing.
    public let sample: MetricSample
    /// The clock reading the plan was made at.
    public let now: Timestamp
    /// The replica decision and its reason.
    public let decision: ScalingDecision
    /// The pod template's warmup init containers.
    public let warmup: WarmupPlan
    /// The image pre-pull DaemonSet: create, replace, delete or leave it, and its rollout.
    public let prePull: PrePullPlan
    /// The writes to the Deployment and the pre-pull DaemonSet, in the order they are sent: the
    /// template first (its patch carries the resourceVersion read, which the scale write would move
    /// on), then replicas, then the DaemonSet. None while another autoscaler targets the Deployment.
    public let changes: [WriteIntent]

    /// The state to carry to the next poll: what status records so that a restart neither resets
    /// nor skips a window.
    public var state: ScalingState { decision.state }

    /// The decision's explanation (status, conditions and Events carry it), written when asked for.
    public var decisionMessage: String { decision.message }

    /// Plans one reconcile. Pure: the same inputs give the same plan.
    /// - Parameters:
    ///   - pool: the validated pool (``ElasticInferencePool/check(_:cache:)``); its `status` is what
    ///     the status write is compared with.
    ///   - policy: its compiled policy (from the same check).
    ///   - target: its Deployment: `spec.replicas` is the current count, `status.readyReplicas` the ready one
    ///     (a workload of another kind: the initializer that takes a ``WorkloadView``).
    ///   - sample: the metric values read for this poll.
    ///   - now: the clock reading of this poll.
    ///   - state: the scaling state carried from the previous poll (`pool.state` when read from status).
    ///   - context: other autoscalers, the pre-pull DaemonSet, the pause image (default: none of them).
    public init(pool: ElasticInferencePool, policy: ScalingPolicy, target: DeploymentView, sample: MetricSample,
                now: Timestamp, state: ScalingState, context: PlanContext = PlanContext()) {
        self.init(pool: pool, policy: policy, target: WorkloadView(target), sample: sample, now: now, state: state, context: context)
    }

    /// Plans one reconcile of a pool whose workload is of any kind (a StatefulSet, a
    /// LeaderWorkerSet, a custom resource with a `scale` subresource): the same plan, its writes
    /// addressed to the workload's resource.
    public init(pool: ElasticInferencePool, policy: ScalingPolicy, target: WorkloadView, sample: MetricSample,
                now: Timestamp, state: ScalingState, context: PlanContext = PlanContext()) {
        self.pool = pool
        self.target = target
        self.sample = sample
        self.now = now
        decision = DecisionEngine.decide(policy: policy, target: target.snapshot(otherAutoscalers: context.otherAutoscalers),
                                         sample: sample, now: now, state: state)
        warmup = WarmupPlan.plan(pool.spec.warmup, for: target)
        prePull = PrePullPlan.plan(pool: pool, target: target, current: context.prePullDaemonSet, pauseImage: context.pauseImage)

        var changes: [WriteIntent] = []
        if context.otherAutoscalers.isEmpty {
            if let patch = warmup.patch {
                changes.append(.patchTemplate(target: target.key, patch: patch, basedOn: target.resourceVersion, resource: target.resource))
            }
            if decision.changesReplicas {
                changes.append(.scale(target: target.key, replicas: decision.to, basedOn: target.resourceVersion, resource: target.resource))
            }
            if let change = prePull.change {
                let daemonSet = ObjectKey(namespace: pool.namespace, name: PrePullPlan.name(pool: pool.name))
                changes.append(.prePull(daemonSet: daemonSet, change, basedOn: context.prePullDaemonSet.flatMap { ObjectMeta($0).resourceVersion }))
            }
        }
        self.changes = changes
    }

    /// Every write of a reconcile in which nothing fails: the ``changes``, then the status write
    /// when status changes. (`eipctl reconcile --dry-run` prints these.)
    public var writes: [WriteIntent] {
        changes + (statusWrite().map { [$0] } ?? [])
    }

    /// The status write once the changes went through, or with `writeError` (the message of the one
    /// that failed) when one did; nil when the pool's status already says all of it.
    public func statusWrite(writeError: String? = nil) -> WriteIntent? {
        let message = decisionMessage
        return StatusUpdate.write(pool: pool.key, currentStatus: pool.status, resourceVersion: pool.resourceVersion, generation: pool.generation,
                                  fields: statusFields(message: message), conditions: conditions(writeError: writeError, message: message), now: now)
    }

    /// Everything ``statusWrite(writeError:)`` is computed from but the clock reading and the sample
    /// times: the pool's version (its status as read), the decision and its state, the replica
    /// counts, the metric values and reasons, the warmup and pre-pull states, the write error. Two
    /// plans with equal bases make the same status write (the clock reading moves only times that
    /// are kept when nothing else changed, and sample times are not compared), so a reconciler that
    /// found nothing to write for one basis knows the same of the next equal one without working it out.
    public func statusBasis(writeError: String? = nil) -> StatusBasis {
        // The decision's evaluations are left out: they follow from the pool's rules (fixed at its
        // version) and the fresh values (the values, less the unknown metrics).
        StatusBasis(pool: pool.key, resourceVersion: pool.resourceVersion, generation: pool.generation, reason: decision.reason,
                    from: decision.from, to: decision.to, rulesOverlap: decision.rulesOverlap, limited: decision.limited,
                    unknownMetrics: decision.unknownMetrics, state: decision.state,
                    replicas: target.replicas, readyReplicas: target.readyReplicas, targetName: target.name,
                    values: sample.readings.mapValues(\.value), failure: sample.failure, unknownReasons: sample.unknownReasons,
                    source: sample.source, idle: sample.idle, clockSkew: sample.clockSkew.map { $0.rounded() }, warmupChanges: warmup.changes, warmupClashes: warmup.clashes,
                    changesAnnotation: warmup.changesAnnotation, prePullChange: prePull.change.map(\.kind),
                    wantsPrePull: prePull.desired != nil, rollout: prePull.rollout, images: pool.spec.warmup.preloadedImages.count,
                    writeError: writeError)
    }

    /// The decision fields of status (conditions apart).
    public var statusFields: JSONObject { statusFields(message: decisionMessage) }

    private func statusFields(message: String) -> JSONObject {
        let d = decision
        var status = JSONObject()
        if let generation = pool.generation { status["observedGeneration"] = .integer(generation) }
        status["target"] = .string("Deployment/\(target.name)")
        status["currentReplicas"] = .integer(d.from)
        status["desiredReplicas"] = .integer(d.to)
        status["readyReplicas"] = .integer(target.readyReplicas)
        status["warmingReplicas"] = .integer(max(0, target.replicas - target.readyReplicas))
        var observed = JSONObject()
        var custom = JSONObject()
        for (metric, reading) in sample.readings.sorted(by: { $0.key < $1.key }) where reading.value.isFinite {
            let text = JSONValue.string(Quantity.format(reading.value, as: metric.kind))
            if metric.isBuiltIn { observed[metric.statusKey] = text } else { custom[metric.rawValue] = text }
        }
        if !custom.isEmpty { observed["custom"] = .object(custom) }
        if let summary = observedSummary { observed["summary"] = .string(summary) }
        if let newest = sample.readings.values.map(\.sampledAt).max() { observed[StatusUpdate.sampleTime] = .string(newest.rfc3339) }
        if let source = sample.source { observed["source"] = .string(source) }
        status["observed"] = .object(observed)
        status["lastDecision"] = [
            "time": .string(now.rfc3339), "action": .string(d.action.rawValue), "from": .integer(d.from), "to": .integer(d.to),
            "reason": .string(d.reason.kind.rawValue), "message": .string(message),
        ]
        for (key, value) in d.state.statusFields { status[key] = value }
        // Absent windows are written as null so that a merge patch clears them.
        return status
    }
}

extension ReconcilePlan {
    /// The values the rules read, in the order they first name them, for `kubectl get -o wide`
    /// (`status.observed.summary`): `P90=333ms waiting=12 kv_cache=?` (`?`: no value). Nil when
    /// the rules read nothing.
    var observedSummary: String? {
        var metrics: [MetricName] = []
        for clause in decision.scaleUp.clauses + decision.scaleDown.clauses where !metrics.contains(clause.comparison.metric) {
            metrics.append(clause.comparison.metric)
        }
        guard !metrics.isEmpty else { return nil }
        return metrics.map { metric in
            let value = sample.readings[metric].flatMap { $0.value.isFinite ? Quantity.format($0.value, as: metric.kind) : nil }
            return "\(metric.rawValue)=\(value ?? "?")"
        }.joined(separator: " ")
    }
}

/// What a status write is computed from (``ReconcilePlan/statusBasis(writeError:)``): equal bases,
/// equal writes.
public struct StatusBasis: Sendable, Hashable {
    let pool: ObjectKey
    let resourceVersion: String?
    let generation: Int?
    let reason: ScalingDecision.Reason
    let from: Int
    let to: Int
    let rulesOverlap: Bool
    let limited: Bool
    let unknownMetrics: [MetricName]
    let state: ScalingState
    let replicas: Int
    let readyReplicas: Int
    let targetName: String
    let values: [MetricName: Double]
    let failure: String?
    let unknownReasons: [MetricName: String]
    let source: String?
    let idle: Bool
    let clockSkew: Double?
    let warmupChanges: [WarmupPlan.Change]
    let warmupClashes: [String]
    let changesAnnotation: Bool
    let prePullChange: PrePullChange.Kind?
    let wantsPrePull: Bool
    let rollout: DaemonSetView.Rollout?
    let images: Int
    let writeError: String?
}
