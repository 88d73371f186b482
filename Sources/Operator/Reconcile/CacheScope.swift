import Autoscaling
import JSON
import Kube
import Locking

/// What the selected pools of one shard (`--pool-selector`) need from the other caches, so that a
/// shard's memory follows its own pools, not the namespace's: the Deployments they target, the HPAs
/// and ScaledObjects on those, their pre-pull DaemonSets, and the pods those Deployments select.
/// Each narrowed informer keeps only what this admits (``Informer/admits``), evaluated against the
/// pools seen so far, as controller-runtime's cache keeps only what `ByObject` selectors pick; the
/// difference is that a label selector cannot name "the Deployments these pools target", so the
/// filter is the operator's, applied as objects arrive.
///
/// When a pool arrives that needs something the caches turned away (a new target, a new pre-pull
/// DaemonSet, the pods of a Deployment just cached), ``poolChanged(_:)`` and
/// ``deploymentChanged(_:)`` say which caches must list again; until they have, they are not
/// current, and reconciles wait (a Deployment merely filtered out must never read as "not found").
///
/// A pool whose target is of another kind than Deployment (read through its `scale` subresource)
/// keeps every pod of its namespace: its pods' selector is known only from the `Scale`.
final class CacheScope: Sendable {
    /// The caches a change calls to list again.
    struct Growth: OptionSet, Sendable {
        let rawValue: Int
        /// Deployments, HPAs and ScaledObjects: a workload newly targeted.
        static let targets = Growth(rawValue: 1)
        /// The pre-pull DaemonSets: a pool newly selected.
        static let pools = Growth(rawValue: 2)
        /// Pods: a new pod selector, or a namespace whose pods are all needed.
        static let pods = Growth(rawValue: 4)
    }

    fileprivate struct State {
        /// The selected pools.
        var selected: Set<ObjectKey> = []
        /// Selected pools by the workload they target (any kind).
        var poolsByTarget: [ObjectKey: Set<ObjectKey>] = [:]
        /// Selected pools, by namespace, that target another kind than Deployment.
        var otherKinds: [String: Set<ObjectKey>] = [:]
        /// The pod selectors of targeted Deployments, by Deployment.
        var podSelectors: [ObjectKey: LabelSelector] = [:]
        /// Targeted Deployments by namespace and one `matchLabels` pair of their selector
        /// (`key=value`), so a pod is checked against the few selectors that can match it.
        var selectorIndex: [String: [String: Set<ObjectKey>]] = [:]
        /// Targeted Deployments whose selector has no `matchLabels`, by namespace.
        var unindexed: [String: Set<ObjectKey>] = [:]
    }

    private let state = Locked(State())

    /// Takes in one event of the selected pools' informer; returns the caches to list again.
    func poolChanged(_ event: InformerEvent) -> Growth {
        state.withLock { s in
            switch event {
            case .added(let new):
                return s.add(pool: new)
            case .updated(let old, let new):
                // Most updates are status: the same target, nothing new needed.
                guard ElasticInferencePool.target(of: old) != ElasticInferencePool.target(of: new)
                        || TargetClaims.targetKind(of: old) != TargetClaims.targetKind(of: new) else { return [] }
                s.remove(pool: old)
                return s.add(pool: new).subtracting(.pools)
            case .deleted(let old):
                s.remove(pool: old)
                return []
            }
        }
    }

    /// Takes in one event of the Deployments' informer (their pod selectors); returns `.pods` when
    /// a targeted Deployment's selector is new or changed.
    func deploymentChanged(_ event: InformerEvent) -> Growth {
        let key = ObjectKey(of: event.object)
        return state.withLock { s in
            let old = s.podSelectors[key]
            let new: LabelSelector? = if case .deleted = event { nil } else { LabelSelector(event.object["spec"]?["selector"]) }
            guard old != new else { return [] }
            s.unindexSelector(of: key)
            s.podSelectors[key] = new
            if let new { s.indexSelector(new, of: key) }
            return new == nil ? [] : .pods
        }
    }

    /// A Deployment one of the pools targets.
    func admitsDeployment(_ object: JSONValue) -> Bool {
        let key = ObjectKey(of: object)
        return state.withLock { $0.poolsByTarget[key]?.isEmpty == false }
    }

    /// An HPA on a targeted workload (any kind: the claim check sorts kinds out).
    func admitsAutoscaler(_ object: JSONValue) -> Bool {
        guard let target = HorizontalPodAutoscalerView(object).targetKey else { return false }
        return state.withLock { $0.poolsByTarget[target]?.isEmpty == false }
    }

    /// A KEDA ScaledObject on a targeted workload.
    func admitsScaledObject(_ object: JSONValue) -> Bool {
        guard let name = object["spec"]?["scaleTargetRef"]?["name"]?.stringValue else { return false }
        let target = ObjectKey(namespace: ObjectKey(of: object).namespace, name: name)
        return state.withLock { $0.poolsByTarget[target]?.isEmpty == false }
    }

    /// A pre-pull DaemonSet of a selected pool (by its pool label).
    func admitsDaemonSet(_ object: JSONValue) -> Bool {
        guard let pool = object["metadata"]?["labels"]?[Defaults.prePullPoolLabel]?.stringValue else { return false }
        let key = ObjectKey(namespace: ObjectKey(of: object).namespace, name: pool)
        return state.withLock { $0.selected.contains(key) }
    }

    /// A pod a targeted Deployment selects, or any pod of a namespace where a pool targets another kind.
    func admitsPod(_ object: JSONValue) -> Bool {
        let namespace = ObjectKey(of: object).namespace
        let labels = object["metadata"]?["labels"]?.objectValue ?? [:]
        return state.withLock { s in
            if s.otherKinds[namespace]?.isEmpty == false { return true }
            var candidates = s.unindexed[namespace] ?? []
            if let index = s.selectorIndex[namespace] {
                for (key, value) in labels {
                    if let text = value.stringValue, let found = index["\(key)=\(text)"] { candidates.formUnion(found) }
                }
            }
            return candidates.contains { deployment in
                s.poolsByTarget[deployment]?.isEmpty == false && s.podSelectors[deployment]?.matches(object) == true
            }
        }
    }
}

fileprivate extension CacheScope.State {
    /// Counts a pool in; says what it needs that no pool needed before.
    mutating func add(pool object: JSONValue) -> CacheScope.Growth {
        let pool = ObjectKey(of: object)
        var growth: CacheScope.Growth = selected.insert(pool).inserted ? .pools : []
        guard let target = ElasticInferencePool.target(of: object) else { return growth }
        if poolsByTarget[target, default: []].isEmpty { growth.insert(.targets) }
        poolsByTarget[target, default: []].insert(pool)
        if TargetClaims.targetKind(of: object) != WorkloadKind.deployment.kind {
            if otherKinds[pool.namespace, default: []].isEmpty { growth.insert(.pods) }
            otherKinds[pool.namespace, default: []].insert(pool)
        }
        return growth
    }

    /// Counts a pool out (what only it needed is dropped as its objects next change or are relisted).
    mutating func remove(pool object: JSONValue) {
        let pool = ObjectKey(of: object)
        selected.remove(pool)
        guard let target = ElasticInferencePool.target(of: object) else { return }
        poolsByTarget[target]?.remove(pool)
        if poolsByTarget[target]?.isEmpty == true { poolsByTarget[target] = nil }
        otherKinds[pool.namespace]?.remove(pool)
        if otherKinds[pool.namespace]?.isEmpty == true { otherKinds[pool.namespace] = nil }
    }

    mutating func indexSelector(_ selector: LabelSelector, of deployment: ObjectKey) {
        if let (key, value) = selector.matchLabels.min(by: { $0.key < $1.key }) {
            selectorIndex[deployment.namespace, default: [:]]["\(key)=\(value)", default: []].insert(deployment)
        } else {
            unindexed[deployment.namespace, default: []].insert(deployment)
        }
    }

    mutating func unindexSelector(of deployment: ObjectKey) {
        guard let old = podSelectors[deployment] else { return }
        if let (key, value) = old.matchLabels.min(by: { $0.key < $1.key }) {
            selectorIndex[deployment.namespace]?["\(key)=\(value)"]?.remove(deployment)
        } else {
            unindexed[deployment.namespace]?.remove(deployment)
        }
    }
}
