import Autoscaling
import JSON
import Kube
import MetricsSources

/// What a pool's plan is made from besides the pool itself: its Deployment, the autoscalers and the
/// pre-pull DaemonSet around it, and the metric values. Gathered through an ``ObjectReader`` (the
/// informers' caches in the operator, GETs in `eipctl reconcile --dry-run`) and a ``MetricsSource``,
/// so that the operator and the live dry run plan from the same reads, made the same way.
public struct PlanInputs: Sendable {
    /// The pool's Deployment.
    public let target: DeploymentView
    /// The HPAs that target it, the pre-pull DaemonSet, the pause image.
    public let context: PlanContext
    /// The metric values of this poll.
    public let sample: MetricSample

    /// Reads, in order: the target Deployment (nil when it does not exist: the pool waits for it),
    /// what else claims it (the namespace's pools, KEDA ScaledObjects (none where KEDA is not
    /// installed) and HPAs: ``OtherAutoscalers/claiming(_:pools:scaledObjects:autoscalers:)``), the target's pods when the source scrapes them
    /// (those its selector picks, Ready or warming), the metric values, the pre-pull DaemonSet.
    /// - Throws: the reader's ``KubeError`` (never, for the informers' caches).
    public static func gather(for pool: ElasticInferencePool, policy: ScalingPolicy, from reader: any ObjectReader,
                              metrics: any MetricsSource, now: Timestamp, pauseImage: String = Defaults.pauseImage) async throws(KubeError) -> PlanInputs? {
        guard let object = try await reader.object(.deployments, pool.targetKey), let target = DeploymentView(object) else { return nil }
        let others = try await claims(on: pool, from: reader)
        var pods: [JSONValue] = []
        if metrics.wantsPods(pool), let selector = target.selector {
            pods = try await reader.objects(.pods, namespace: pool.namespace).filter(selector.matches)
        }
        let sample = await metrics.read(MetricsQuery(pool: pool, target: target, pods: pods, metrics: policy.metrics, now: now))
        let prePull = try await reader.object(.daemonSets, ObjectKey(namespace: pool.namespace, name: PrePullPlan.name(pool: pool.name)))
        return PlanInputs(target: target, context: PlanContext(otherAutoscalers: others, prePullDaemonSet: prePull, pauseImage: pauseImage),
                          sample: sample)
    }

    /// What else claims the pool's Deployment: an older pool, ScaledObjects, HPAs. A server without
    /// KEDA answers 404 for ScaledObjects: none.
    static func claims(on pool: ElasticInferencePool, from reader: any ObjectReader) async throws(KubeError) -> [String] {
        let pools = try await reader.objects(.elasticInferencePools, namespace: pool.namespace)
        // The pool as stored (its creation time orders the claim), else as the model knows it.
        let object = pools.first { ObjectMeta($0).key == pool.key }
            ?? ["metadata": ["name": .string(pool.name), "namespace": .string(pool.namespace)], "spec": ["targetRef": ["name": .string(pool.spec.targetName)]]]
        var scaledObjects: [JSONValue] = []
        do throws(KubeError) {
            scaledObjects = try await reader.objects(.scaledObjects, namespace: pool.namespace)
        } catch where error.kind == .notFound {
        }
        let autoscalers = try await reader.objects(.horizontalPodAutoscalers, namespace: pool.namespace)
        return OtherAutoscalers.claiming(object, pools: pools, scaledObjects: scaledObjects, autoscalers: autoscalers)
    }
}
