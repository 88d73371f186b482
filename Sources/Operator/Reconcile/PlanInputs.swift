import Autoscaling
import JSON
import Kube
import MetricsSources

/// What a pool's plan is made from besides the pool itself: its workload, the autoscalers and the
/// pre-pull DaemonSet around it, and the metric values. Gathered through an ``ObjectReader`` (the
/// informers' caches in the operator, GETs in `eipctl reconcile --dry-run`) and a ``MetricsSource``,
/// so that the operator and the live dry run plan from the same reads.
public struct PlanInputs: Sendable {
    /// The pool's workload.
    public let target: WorkloadView
    /// The HPAs that target it, the pre-pull DaemonSet, the pause image.
    public let context: PlanContext
    /// The metric values of this poll.
    public let sample: MetricSample

    /// Why a pool's workload could not be read: not there, its kind not served, or a kind that
    /// cannot be scaled. The pool waits for it (`TargetNotFound`).
    public struct MissingTarget: Error, Sendable, Equatable {
        /// What is missing, for the condition and the Event: `StatefulSet serving/llm not found`.
        public let message: String
    }

    /// Reads, in order: the workload (a Deployment from its cache; any other kind through its
    /// `scale` subresource, found by discovery, with the workload itself when its kind has pod
    /// templates, and its pods for readiness), what else claims it (the namespace's pools, KEDA
    /// ScaledObjects (none where KEDA is not installed) and HPAs:
    /// ``OtherAutoscalers/claiming(_:pools:scaledObjects:autoscalers:)``), the
    /// target's pods when the source scrapes them (those its selector picks, Ready or warming),
    /// the metric values, the pre-pull DaemonSet.
    /// - Throws: the reader's ``KubeError`` (for the caches, only the reads of other kinds can throw).
    public static func gather(for pool: ElasticInferencePool, policy: ScalingPolicy, from reader: any ObjectReader,
                              metrics: any MetricsSource, now: Timestamp,
                              pauseImage: String = Defaults.pauseImage) async throws(KubeError) -> Result<PlanInputs, MissingTarget> {
        let kind = pool.spec.targetKind
        let target: WorkloadView
        var pods: [JSONValue] = []
        if kind == .deployment {
            guard let object = try await reader.object(.deployments, pool.targetKey), let deployment = DeploymentView(object) else {
                return .failure(MissingTarget(message: "Deployment \(pool.targetKey) not found"))
            }
            target = WorkloadView(deployment)
            if metrics.wantsPods(pool), let selector = target.selector {
                pods = try await reader.objects(.pods, namespace: pool.namespace).filter(selector.matches)
            }
        } else {
            switch try await workload(of: pool, kind: kind, from: reader) {
            case .failure(let missing): return .failure(missing)
            case .success(let found): (target, pods) = found
            }
        }
        let others = try await claims(on: pool, from: reader)
        let sample = await metrics.read(MetricsQuery(pool: pool, target: target, pods: pods, metrics: policy.metrics, now: now))
        let prePull = try await reader.object(.daemonSets, ObjectKey(namespace: pool.namespace, name: PrePullPlan.name(pool: pool.name)))
        return .success(PlanInputs(target: target, context: PlanContext(otherAutoscalers: others, prePullDaemonSet: prePull, pauseImage: pauseImage),
                                   sample: sample))
    }

    /// A workload of another kind than Deployment, as HPA reads one: its resource by discovery, its
    /// `Scale` (replicas, the selector of its pods), the object itself when its kind has pod
    /// templates the plan may patch, and readiness from the pods the selector picks.
    private static func workload(of pool: ElasticInferencePool, kind: WorkloadKind,
                                 from reader: any ObjectReader) async throws(KubeError) -> Result<(WorkloadView, [JSONValue]), MissingTarget> {
        guard let found = try await reader.resource(for: kind) else {
            return .failure(MissingTarget(message: "the API server serves no kind \(kind.kind) in \(kind.apiVersion) (is its CustomResourceDefinition installed?); cannot scale \(pool.targetKey)"))
        }
        guard found.hasScale else {
            return .failure(MissingTarget(message: "\(kind.kind) (\(found.resource)) has no scale subresource, so \(pool.targetKey) cannot be scaled: the operator scales what HPA can"))
        }
        guard let scale = try await reader.scale(found.resource, pool.targetKey) else {
            return .failure(MissingTarget(message: "\(kind.kind) \(pool.targetKey) not found"))
        }
        let object = kind.supportsWarmup ? try await reader.object(found.resource, pool.targetKey)?.objectValue : nil
        let all = try await reader.objects(.pods, namespace: pool.namespace)
        let target = WorkloadView(kind: kind, resource: found.resource, object: object, scale: scale, pods: all)
        return .success((target, target.selector.map { all.filter($0.matches) } ?? []))
    }

    /// What else claims the pool's workload: an older pool, ScaledObjects, HPAs. A server without
    /// KEDA answers 404 for ScaledObjects: none.
    static func claims(on pool: ElasticInferencePool, from reader: any ObjectReader) async throws(KubeError) -> [String] {
        // The pools on the same workload (an index lookup in the operator's cache, not a scan).
        let pools = try await reader.objects(.elasticInferencePools, namespace: pool.namespace, indexedBy: PoolController.poolsByTarget,
                                             value: pool.targetKey.description)
        // The pool as stored (its creation time orders the claim), else as the model knows it.
        let object = pools.first { ObjectMeta($0).key == pool.key }
            ?? ["metadata": ["name": .string(pool.name), "namespace": .string(pool.namespace)],
                "spec": ["targetRef": ["name": .string(pool.spec.targetName), "kind": .string(pool.spec.targetKind.kind),
                                       "apiVersion": .string(pool.spec.targetKind.apiVersion)]]]
        var scaledObjects: [JSONValue] = []
        do throws(KubeError) {
            scaledObjects = try await reader.objects(.scaledObjects, namespace: pool.namespace)
        } catch where error.kind == .notFound {
        }
        let autoscalers = try await reader.objects(.horizontalPodAutoscalers, namespace: pool.namespace)
        return OtherAutoscalers.claiming(object, pools: pools, scaledObjects: scaledObjects, autoscalers: autoscalers)
    }
}
