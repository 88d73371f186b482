import JSON
import KubeObjects
import Locking

/// The image pre-pull DaemonSet of a pool (SPEC §5), computed without I/O: `<pool>-prepull`, owned
/// by the pool (garbage-collected with it), scheduled where the target's pods may run, pulling each
/// of `preloadedImages` in an init container that runs a trivial command, then holding the node's
/// copy with a pause container on tiny requests.
public struct PrePullPlan: Sendable, Hashable {
    /// What to do with the DaemonSet: create, replace or delete it; nil when it is as it should be
    /// (or absent, and none is wanted).
    public let change: PrePullChange?
    /// The DaemonSet the pool wants, nil when it has no images to pre-pull.
    public let desired: JSONValue?
    /// Rollout of the current DaemonSet: nodes scheduled, ready and updated; nil when there is none
    /// or it has not caught up with its spec yet.
    public let rollout: DaemonSetView.Rollout?

    /// The DaemonSet's name for a pool.
    public static func name(pool: String) -> String { "\(pool)-prepull" }

    /// - Parameters:
    ///   - current: the pool's DaemonSet as cached, nil when there is none.
    ///   - pauseImage: the image that holds each pre-pull pod once its pulls are done.
    public static func plan(pool: ElasticInferencePool, target: DeploymentView, current: JSONValue?, pauseImage: String) -> PrePullPlan {
        plan(pool: pool, target: WorkloadView(target), current: current, pauseImage: pauseImage)
    }

    /// The plan for `target` of any kind; a kind without pod templates at known paths gets no
    /// DaemonSet (the warmup plan says why), and one it had is deleted.
    public static func plan(pool: ElasticInferencePool, target: WorkloadView, current: JSONValue?, pauseImage: String) -> PrePullPlan {
        let wanted = !pool.spec.warmup.preloadedImages.isEmpty && target.kind.supportsWarmup
        let desired = wanted ? daemonSet(pool: pool, target: target, pauseImage: pauseImage) : nil
        let rollout = current.flatMap { DaemonSetView($0).rollout }
        switch (desired, current) {
        case (nil, nil): return PrePullPlan(change: nil, desired: nil, rollout: nil)
        case (nil, .some): return PrePullPlan(change: .delete, desired: nil, rollout: rollout)
        case (.some(let wanted), nil): return PrePullPlan(change: .create(wanted), desired: wanted, rollout: nil)
        case (.some(let wanted), .some(let existing)):
            // The spec hash decides: the API server defaults a dozen fields into what it stores, so
            // comparing objects would see a change on every read.
            let hashNow = existing["metadata"]?["annotations"]?[Defaults.prePullSpecHashAnnotation]?.stringValue
            let hashWanted = wanted["metadata"]?["annotations"]?[Defaults.prePullSpecHashAnnotation]?.stringValue
            guard hashNow != hashWanted else { return PrePullPlan(change: nil, desired: wanted, rollout: rollout) }
            var replacement = wanted.objectValue ?? [:]
            if var metadata = replacement["metadata"]?.objectValue {
                metadata["resourceVersion"] = ObjectMeta(existing).resourceVersion.map(JSONValue.string)
                replacement["metadata"] = .object(metadata)
            }
            return PrePullPlan(change: .replace(.object(replacement)), desired: wanted, rollout: nil)
        }
    }

    /// What the DaemonSet is made from: the pool's names and images, the pause image, and the
    /// target's placement.
    private struct Inputs: Hashable {
        let pool: String, namespace: String, uid: String?
        let images: [String], command: [String], pauseImage: String
        let nodeSelector: JSONValue?, nodeAffinity: JSONValue?, tolerations: JSONValue?, pullSecrets: JSONValue?
    }

    /// DaemonSets already built, by what they were built from: building one and fingerprinting its
    /// spec is most of a reconcile's cost otherwise, and a steady pool asks for the same one each poll.
    private static let built = Locked<[Inputs: JSONValue]>([:])

    /// The DaemonSet for the pool's images.
    static func daemonSet(pool: ElasticInferencePool, target: WorkloadView, pauseImage: String) -> JSONValue {
        let template = target.podSpec
        let inputs = Inputs(pool: pool.name, namespace: pool.namespace, uid: pool.uid, images: pool.spec.warmup.preloadedImages,
                            command: pool.spec.warmup.prePullCommand, pauseImage: pauseImage, nodeSelector: template["nodeSelector"],
                            nodeAffinity: template["affinity"]?["nodeAffinity"], tolerations: template["tolerations"], pullSecrets: template["imagePullSecrets"])
        if let daemonSet = built.withLock({ $0[inputs] }) { return daemonSet }
        let daemonSet = build(pool: pool, target: target, pauseImage: pauseImage)
        built.withLock { built in
            if built.count >= 4096 { built.removeAll(keepingCapacity: true) }
            built[inputs] = daemonSet
        }
        return daemonSet
    }

    private static func build(pool: ElasticInferencePool, target: WorkloadView, pauseImage: String) -> JSONValue {
        let selectorLabel = JSONObject([(Defaults.prePullPoolLabel, .string(pool.name))])
        let tiny: JSONValue = ["requests": ["cpu": "1m", "memory": "8Mi"], "limits": ["cpu": "100m", "memory": "64Mi"]]
        let pulls: [JSONValue] = pool.spec.warmup.preloadedImages.enumerated().map { index, image in
            ["name": .string("prepull-\(index)"), "image": .string(image), "imagePullPolicy": "IfNotPresent",
             "command": .array(pool.spec.warmup.prePullCommand.map(JSONValue.string)), "resources": tiny]
        }
        // Where the target's pods may run: its node selector, node affinity and tolerations (not its
        // pod (anti-)affinity, which names the serving pods and would keep these off their nodes),
        // and its pull secrets for private registries. No GPU requests: the pause pod must not take one.
        var podSpec = JSONObject()
        podSpec["initContainers"] = .array(pulls)
        podSpec["containers"] = [["name": "pause", "image": .string(pauseImage), "resources": tiny]]
        let template = target.podSpec
        if let nodeSelector = template["nodeSelector"] { podSpec["nodeSelector"] = nodeSelector }
        if let nodeAffinity = template["affinity"]?["nodeAffinity"] { podSpec["affinity"] = ["nodeAffinity": nodeAffinity] }
        if let tolerations = template["tolerations"] { podSpec["tolerations"] = tolerations }
        if let secrets = template["imagePullSecrets"] { podSpec["imagePullSecrets"] = secrets }
        podSpec["automountServiceAccountToken"] = false
        podSpec["terminationGracePeriodSeconds"] = 1

        let spec: JSONValue = [
            "selector": ["matchLabels": .object(selectorLabel)],
            "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%"]],
            "template": ["metadata": ["labels": .object(selectorLabel)], "spec": .object(podSpec)],
        ]
        var labels = selectorLabel
        labels["app.kubernetes.io/managed-by"] = "eip-operator"
        var owner: JSONObject = ["apiVersion": .string(ElasticInferencePool.apiVersion), "kind": .string(ElasticInferencePool.kind),
                                 "name": .string(pool.name), "controller": true, "blockOwnerDeletion": true]
        if let uid = pool.uid { owner["uid"] = .string(uid) }
        return [
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": ["name": .string(name(pool: pool.name)), "namespace": .string(pool.namespace), "labels": .object(labels),
                         "annotations": .object(JSONObject([(Defaults.prePullSpecHashAnnotation, .string(Self.hash(spec.compactText)))])),
                         "ownerReferences": [.object(owner)]],
            "spec": spec,
        ]
    }

    /// FNV-1a of the spec text, in hex: a short, stable fingerprint.
    static func hash(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }
}
