import Dispatch
import Foundation
import JSON
import Locking

/// Stands in for the Deployment, DaemonSet and StatefulSet controllers, the scheduler and the kubelets:
/// - a Deployment's `spec.replicas` become Pods (owned by it, labelled from its template plus
///   `pod-template-hash`) that turn Ready after the start delay, with pod IPs on loopback
///   (127.1.x.y, so tests can serve a pod's endpoints on its IP; with simulated serving, a
///   Deployment's pods get the address their `/metrics` exporter listens on, see ``ServingSimulation``);
/// - a StatefulSet's become Pods named by ordinal (`web-0`, `web-1`, …; labelled
///   `controller-revision-hash`, `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index`),
///   removed from the highest ordinal down;
/// - a changed pod template replaces a Deployment's pods as its strategy says: RollingUpdate (the
///   default) starts new pods first, within `maxSurge`, and removes old Ready ones as new ones turn
///   Ready, keeping `desired - maxUnavailable` Ready; Recreate (and StatefulSets) replace all at once;
/// - DaemonSets get one Pod per emulated node (`emulator-node-N`);
/// - a LeaderWorkerSet's (`leaderworkerset.x-k8s.io/v1`, once its CRD is installed) become groups:
///   a leader `NAME-G` and workers `NAME-G-W` per group, labelled as the LWS controller labels them
///   (`leaderworkerset.sigs.k8s.io/name`, `group-index`, `worker-index`, `group-key`,
///   `template-revision-hash`), the highest groups removed first; its status counts the groups
///   whose every pod is Ready and sets `hpaPodSelector` to the leaders (the real controller makes a
///   leader StatefulSet and a worker StatefulSet per group; here the pods are owned by the set);
/// - Deployment, DaemonSet and StatefulSet status (replicas, ready, updated, available,
///   observedGeneration) are kept as the real controllers keep them, through the `status`
///   subresource, so watches see them.
/// Deleted pods are recreated; pods of deleted owners go by garbage collection.
final class FakeKubelet: Sendable {
    private let api: KubeAPI
    /// Seconds from a pod's creation to Ready (tests change it to make new pods warm slowly).
    let startDelay: Locked<Double>
    private let nodes: Int
    private let readyAt = Locked<[String: Date]>([:])  // pod uid → when it becomes Ready
    private let nextIP = Locked(0)
    private let loop = Locked<BackgroundLoop?>(nil)
    /// Simulated serving: Deployment pods' exporters (opened at Ready, stopped when the pod goes).
    private let serving: ServingSimulation?

    init(api: KubeAPI, startDelay: Double, nodes: Int = 1, serving: ServingSimulation? = nil) {
        self.api = api
        self.serving = serving
        self.startDelay = Locked(startDelay)
        self.nodes = max(1, nodes)
        // Each round waits for a change, or for the next pod due to turn Ready (or 5 s).
        let loop = BackgroundLoop(wait: { [readyAt] in
            readyAt.withLock { $0.values.min() }.map { .now() + max(0, $0.timeIntervalSinceNow) } ?? .now() + 5
        }, work: { [self] in reconcile() })
        self.loop.withLock { $0 = loop }
        api.store.observeChanges { storageKey in
            if ["apps/deployments", "apps/daemonsets", "apps/statefulsets", "/pods", Self.leaderWorkerSets].contains(storageKey) { loop.wake() }
        }
    }

    /// Stops the loop and waits for it to end (idempotent).
    func stop() { loop.withLock { $0 }?.stop() }

    /// The storage key of LeaderWorkerSets (served once their CRD is installed).
    static let leaderWorkerSets = "leaderworkerset.x-k8s.io/leaderworkersets"

    /// The workload controllers stood in for.
    private enum Workload {
        case deployment, daemonSet, statefulSet

        /// The label that says which template a pod was made from.
        var revisionLabel: String { self == .statefulSet ? "controller-revision-hash" : "pod-template-hash" }
    }

    private var types: (workloads: [(ResourceType, Workload)], pods: ResourceType)? {
        guard let d = api.type(group: "apps", version: "v1", plural: "deployments"),
              let s = api.type(group: "apps", version: "v1", plural: "daemonsets"),
              let t = api.type(group: "apps", version: "v1", plural: "statefulsets"),
              let p = api.type(group: "", version: "v1", plural: "pods") else { return nil }
        return ([(d, .deployment), (s, .daemonSet), (t, .statefulSet)], p)
    }

    private func reconcile() {
        guard let types else { return }
        let all = api.store.allObjects()
        let pods = all.filter { $0.storageKey == types.pods.storageKey }.map(\.object)
        let leaderWorkerSetType = api.type(group: "leaderworkerset.x-k8s.io", version: "v1", plural: "leaderworkersets")
        for owner in all {
            if owner.storageKey == Self.leaderWorkerSets, let type = leaderWorkerSetType {
                reconcileLeaderWorkerSet(owner.object, type: type, pods: pods, podType: types.pods)
                continue
            }
            guard let (type, workload) = types.workloads.first(where: { $0.0.storageKey == owner.storageKey }) else { continue }
            reconcileOwner(owner.object, type: type, workload: workload, pods: pods, podType: types.pods,
                           desired: workload == .daemonSet ? nodes : (owner.object["spec"]?["replicas"]?.intValue ?? 1))
        }
    }

    private func reconcileOwner(_ owner: JSONObject, type: ResourceType, workload: Workload, pods all: [JSONObject], podType: ResourceType, desired: Int) {
        guard let uid = owner["metadata"]?["uid"]?.stringValue, let name = owner["metadata"]?["name"]?.stringValue,
              let namespace = owner["metadata"]?["namespace"]?.stringValue,
              owner["metadata"]?["deletionTimestamp"] == nil else { return }
        let template = owner["spec"]?["template"] ?? .object([:])
        let hash = Self.hash(template.compactText)
        let revision = workload == .statefulSet ? "\(name)-\(hash)" : hash
        func current(_ pod: JSONObject) -> Bool { pod["metadata"]?["labels"]?[workload.revisionLabel]?.stringValue == revision }
        var pods = all.filter { pod in
            (pod["metadata"]?["ownerReferences"]?.arrayValue ?? []).contains { $0["uid"]?.stringValue == uid }
                && pod["metadata"]?["deletionTimestamp"] == nil
        }
        // A new template replaces the old pods: a Deployment's RollingUpdate keeps old Ready pods until
        // new ones are Ready (at most desired + maxSurge pods, at least desired - maxUnavailable Ready);
        // Recreate, StatefulSets and DaemonSets replace them all at once.
        var old = pods.filter { !current($0) }
        pods.removeAll { !current($0) }
        var wanted = desired
        if let rolling = workload == .deployment ? Self.rollingUpdate(owner, desired: desired) : nil, !old.isEmpty {
            for pod in old where !Self.isRunning(pod) { delete(pod, podType) }
            old.removeAll { !Self.isRunning($0) }
            let removable = max(0, old.count + pods.filter(Self.isRunning).count - (desired - rolling.maxUnavailable))
            let victims = Self.newestFirst(old).prefix(removable)
            for pod in victims { delete(pod, podType) }
            let gone = Set(victims.compactMap { $0["metadata"]?["uid"]?.stringValue })
            old.removeAll { gone.contains($0["metadata"]?["uid"]?.stringValue ?? "") }
            wanted = max(0, min(desired, desired + rolling.maxSurge - old.count))
        } else {
            for pod in old { delete(pod, podType) }
            old = []
        }
        // Scale down (newest first; a StatefulSet's highest ordinals first), or up.
        if pods.count > wanted {
            let extra = (workload == .statefulSet ? pods.sorted { Self.ordinal($0) > Self.ordinal($1) } : Self.newestFirst(pods)).prefix(pods.count - wanted)
            for pod in extra { delete(pod, podType) }
            let gone = Set(extra.compactMap { $0["metadata"]?["uid"]?.stringValue })
            pods.removeAll { gone.contains($0["metadata"]?["uid"]?.stringValue ?? "") }
        }
        let used = Set(pods.compactMap { $0["spec"]?["nodeName"]?.stringValue })
        var freeNodes = (1...nodes).map { "emulator-node-\($0)" }.filter { !used.contains($0) }
        var ordinals = Set(pods.map(Self.ordinal))
        while pods.count < wanted {
            let node = workload == .daemonSet ? (freeNodes.isEmpty ? "emulator-node-1" : freeNodes.removeFirst()) : "emulator-node-\(pods.count % nodes + 1)"
            var identity = PodIdentity.generated(prefix: "\(name)-\(hash)-")
            if workload == .statefulSet {
                let ordinal = (0...).first { !ordinals.contains($0) } ?? pods.count
                ordinals.insert(ordinal)
                identity = .ordinal(name: name, ordinal: ordinal, serviceName: owner["spec"]?["serviceName"]?.stringValue)
            }
            guard let pod = create(owner: owner, ownerType: type, template: template, labels: [workload.revisionLabel: .string(revision)],
                                   identity: identity, namespace: namespace, node: node, podType: podType) else { break }
            pods.append(pod)
        }
        let ready = readyNow(pods, podType).count
        writeStatus(owner, type: type, workload: workload, pods: pods.count + old.count, ready: ready + old.count, updated: pods.count,
                    desired: desired, revision: revision)
    }

    /// The uids of `pods` that are Ready now: those already Running, and those whose start delay
    /// has passed, which become Ready here.
    private func readyNow(_ pods: [JSONObject], _ podType: ResourceType) -> Set<String> {
        let now = Date()
        var ready: Set<String> = []
        for pod in pods {
            let podUID = pod["metadata"]?["uid"]?.stringValue ?? ""
            if pod["status"]?["phase"] == "Running" { ready.insert(podUID); continue }
            guard let due = readyAt.withLock({ $0[podUID] }) else {
                readyAt.withLock { $0[podUID] = now.addingTimeInterval(startDelay.withLock { $0 }) }
                continue
            }
            guard due <= now else { continue }
            if markReady(pod, podType) {
                readyAt.withLock { _ = $0.removeValue(forKey: podUID) }
                ready.insert(podUID)
            } else {
                // No address to serve on, or the pod went meanwhile: try again in a second, not at once.
                readyAt.withLock { $0[podUID] = now.addingTimeInterval(1) }
            }
        }
        return ready
    }

    /// A LeaderWorkerSet's groups: `replicas` of them, each a leader and `size - 1` workers from the
    /// leader template (the worker template when there is none) and the worker template; a new
    /// template replaces them.
    private func reconcileLeaderWorkerSet(_ owner: JSONObject, type: ResourceType, pods all: [JSONObject], podType: ResourceType) {
        guard let uid = owner["metadata"]?["uid"]?.stringValue, let name = owner["metadata"]?["name"]?.stringValue,
              let namespace = owner["metadata"]?["namespace"]?.stringValue, owner["metadata"]?["deletionTimestamp"] == nil else { return }
        let lwt = owner["spec"]?["leaderWorkerTemplate"]
        let groups = owner["spec"]?["replicas"]?.intValue ?? 1
        let size = max(1, lwt?["size"]?.intValue ?? 1)
        let workerTemplate = lwt?["workerTemplate"] ?? .object([:])
        let leaderTemplate = lwt?["leaderTemplate"] ?? workerTemplate
        let revision = Self.hash((lwt ?? .null).compactText)
        let label = "leaderworkerset.sigs.k8s.io/"
        func group(_ pod: JSONObject) -> Int { Int(pod["metadata"]?["labels"]?[label + "group-index"]?.stringValue ?? "") ?? -1 }
        var pods = all.filter { pod in
            (pod["metadata"]?["ownerReferences"]?.arrayValue ?? []).contains { $0["uid"]?.stringValue == uid } && pod["metadata"]?["deletionTimestamp"] == nil
        }
        // Pods of an older template, or of a group beyond `replicas` (scale-down: the highest groups), go.
        for pod in pods where pod["metadata"]?["labels"]?[label + "template-revision-hash"]?.stringValue != revision || group(pod) >= groups {
            delete(pod, podType)
        }
        pods.removeAll { $0["metadata"]?["labels"]?[label + "template-revision-hash"]?.stringValue != revision || group($0) >= groups }
        let existing = Set(pods.compactMap { $0["metadata"]?["name"]?.stringValue })
        for g in 0..<groups {
            for w in 0..<size {
                let podName = w == 0 ? "\(name)-\(g)" : "\(name)-\(g)-\(w)"
                guard !existing.contains(podName) else { continue }
                let labels: JSONObject = [label + "name": .string(name), label + "group-index": .string(String(g)), label + "worker-index": .string(String(w)),
                                          label + "group-key": .string(Self.hash("\(namespace)/\(name)-\(g)")), label + "template-revision-hash": .string(revision)]
                guard let pod = create(owner: owner, ownerType: type, template: w == 0 ? leaderTemplate : workerTemplate, labels: labels,
                                       identity: .named(podName), namespace: namespace, node: "emulator-node-\(g % nodes + 1)", podType: podType) else { continue }
                pods.append(pod)
            }
        }
        let ready = readyNow(pods, podType)
        var readyGroups = 0
        for g in 0..<groups {
            let members = pods.filter { group($0) == g }
            if members.count == size, members.allSatisfy({ ready.contains($0["metadata"]?["uid"]?.stringValue ?? "") }) { readyGroups += 1 }
        }
        let leaders = pods.filter { $0["metadata"]?["labels"]?[label + "worker-index"]?.stringValue == "0" }.count
        var status: JSONObject = ["observedGeneration": owner["metadata"]?["generation"] ?? .integer(1), "replicas": .integer(leaders),
                                  "updatedReplicas": .integer(leaders), "hpaPodSelector": .string("\(label)name=\(name),\(label)worker-index=0")]
        if readyGroups > 0 { status["readyReplicas"] = .integer(readyGroups) }
        status["conditions"] = [["type": "Available", "status": .string(readyGroups >= groups ? "True" : "False"),
                                 "reason": .string(readyGroups >= groups ? "AllGroupsReady" : "GroupsNotReady")]]
        writeStatus(owner, type: type, status: .object(status))
    }

    private static func isRunning(_ pod: JSONObject) -> Bool { pod["status"]?["phase"] == "Running" }

    private static func newestFirst(_ pods: [JSONObject]) -> [JSONObject] {
        pods.sorted { ($0["metadata"]?["creationTimestamp"]?.stringValue ?? "") > ($1["metadata"]?["creationTimestamp"]?.stringValue ?? "") }
    }

    /// A Deployment's RollingUpdate bounds (`spec.strategy.rollingUpdate`, defaulted to 25 % each),
    /// resolved against `desired` as the deployment controller resolves them (`ResolveFenceposts`:
    /// surge rounded up, unavailable down, and 1 unavailable when both come to 0); nil for Recreate.
    static func rollingUpdate(_ owner: JSONObject, desired: Int) -> (maxSurge: Int, maxUnavailable: Int)? {
        let strategy = owner["spec"]?["strategy"]
        guard strategy?["type"]?.stringValue != "Recreate" else { return nil }
        func resolve(_ value: JSONValue?, roundUp: Bool) -> Int {
            if let n = value?.intValue { return max(0, n) }
            guard let text = value?.stringValue, text.hasSuffix("%"), let percent = Int(text.dropLast()) else { return roundUp ? (desired * 25 + 99) / 100 : desired * 25 / 100 }
            return roundUp ? (desired * percent + 99) / 100 : desired * percent / 100
        }
        let surge = resolve(strategy?["rollingUpdate"]?["maxSurge"], roundUp: true)
        let unavailable = resolve(strategy?["rollingUpdate"]?["maxUnavailable"], roundUp: false)
        return (surge, surge == 0 && unavailable == 0 ? 1 : unavailable)
    }

    /// How a new pod is named: generated (Deployments, DaemonSets), by ordinal (StatefulSets), or
    /// as given (a LeaderWorkerSet's leaders and workers).
    private enum PodIdentity {
        case generated(prefix: String)
        case ordinal(name: String, ordinal: Int, serviceName: String?)
        case named(String)
    }

    /// A StatefulSet pod's ordinal (`web-3` → 3), or -1.
    private static func ordinal(_ pod: JSONObject) -> Int {
        Int(pod["metadata"]?["labels"]?["apps.kubernetes.io/pod-index"]?.stringValue ?? "") ?? -1
    }

    private func create(owner: JSONObject, ownerType: ResourceType, template: JSONValue, labels extra: JSONObject,
                        identity: PodIdentity, namespace: String, node: String, podType: ResourceType) -> JSONObject? {
        var labels = template["metadata"]?["labels"]?.objectValue ?? [:]
        for (key, value) in extra { labels[key] = value }
        var spec = template["spec"]?.objectValue ?? [:]
        spec["nodeName"] = .string(node)
        var metadata: JSONObject = [
            "namespace": .string(namespace),
            "ownerReferences": [["apiVersion": .string(ownerType.apiVersion), "kind": .string(ownerType.kind),
                                 "name": owner["metadata"]?["name"] ?? .null,
                                 "uid": owner["metadata"]?["uid"] ?? .null, "controller": true, "blockOwnerDeletion": true]],
        ]
        switch identity {
        case .generated(let prefix):
            metadata["generateName"] = .string(prefix)
        case .ordinal(let name, let ordinal, let serviceName):
            let podName = "\(name)-\(ordinal)"
            metadata["name"] = .string(podName)
            labels["statefulset.kubernetes.io/pod-name"] = .string(podName)
            labels["apps.kubernetes.io/pod-index"] = .string(String(ordinal))
            spec["hostname"] = .string(podName)
            if let serviceName, !serviceName.isEmpty { spec["subdomain"] = .string(serviceName) }
        case .named(let podName):
            metadata["name"] = .string(podName)
        }
        metadata["labels"] = .object(labels)
        let body: JSONObject = ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": .object(spec)]
        guard let pod = try? api.create(podType, namespace: namespace, body: body) else { return nil }
        if let uid = pod["metadata"]?["uid"]?.stringValue { readyAt.withLock { $0[uid] = Date().addingTimeInterval(startDelay.withLock { $0 }) } }
        return pod
    }

    private func markReady(_ pod: JSONObject, _ podType: ResourceType) -> Bool {
        let ip: String
        switch serving?.podBecomesReady(pod) ?? .notServed {
        case .exporter(let address): ip = address
        case .unavailable: return false
        case .notServed:
            ip = nextIP.withLock { n -> String in
                defer { n += 1 }
                return "127.1.\(n / 254).\(n % 254 + 1)"
            }
        }
        let time = JSONValue.string(ObjectSemantics.now())
        let containers = (pod["spec"]?["containers"]?.arrayValue ?? []).map { container -> JSONValue in
            ["name": container["name"] ?? .null, "image": container["image"] ?? .null, "ready": true, "started": true, "restartCount": 0,
             "state": ["running": ["startedAt": time]]]
        }
        let status: JSONValue = [
            "phase": "Running", "podIP": .string(ip), "podIPs": [["ip": .string(ip)]], "hostIP": "127.0.0.1", "startTime": time,
            "conditions": [
                ["type": "Initialized", "status": "True", "lastTransitionTime": time],
                ["type": "Ready", "status": "True", "lastTransitionTime": time],
                ["type": "ContainersReady", "status": "True", "lastTransitionTime": time],
                ["type": "PodScheduled", "status": "True", "lastTransitionTime": time],
            ],
            "containerStatuses": .array(containers),
        ]
        let name = pod["metadata"]?["name"]?.stringValue ?? ""
        let namespace = pod["metadata"]?["namespace"]?.stringValue ?? ""
        return (try? api.write(podType, namespace: namespace, name: name) { current throws(APIError) in
            var o = current
            o["status"] = status
            return o
        }) != nil
    }

    private func delete(_ pod: JSONObject, _ podType: ResourceType) {
        _ = try? api.store.remove(podType, namespace: pod["metadata"]?["namespace"]?.stringValue ?? "", name: pod["metadata"]?["name"]?.stringValue ?? "")
        if let uid = pod["metadata"]?["uid"]?.stringValue {
            readyAt.withLock { _ = $0.removeValue(forKey: uid) }
            serving?.podGoes(uid: uid)
        }
    }

    private func writeStatus(_ owner: JSONObject, type: ResourceType, workload: Workload, pods: Int, ready: Int, updated: Int, desired: Int, revision: String) {
        let generation = owner["metadata"]?["generation"] ?? .integer(1)
        let status: JSONValue
        switch workload {
        case .daemonSet:
            status = ["currentNumberScheduled": .integer(pods), "desiredNumberScheduled": .integer(desired), "numberMisscheduled": 0,
                      "numberReady": .integer(ready), "numberAvailable": .integer(ready), "updatedNumberScheduled": .integer(pods),
                      "observedGeneration": generation]
        case .statefulSet:
            // apps/v1 StatefulSetStatus: readyReplicas, currentReplicas and updatedReplicas are omitted when 0.
            var s: JSONObject = ["observedGeneration": generation, "replicas": .integer(pods), "availableReplicas": .integer(ready),
                                 "currentRevision": .string(revision), "updateRevision": .string(revision), "collisionCount": 0]
            if ready > 0 { s["readyReplicas"] = .integer(ready) }
            if pods > 0 { s["currentReplicas"] = .integer(pods); s["updatedReplicas"] = .integer(pods) }
            status = .object(s)
        case .deployment:
            var s: JSONObject = ["observedGeneration": generation, "replicas": .integer(pods), "updatedReplicas": .integer(updated),
                                 "readyReplicas": .integer(ready), "availableReplicas": .integer(ready)]
            if pods - ready > 0 { s["unavailableReplicas"] = .integer(pods - ready) }
            s["conditions"] = [["type": "Available", "status": .string(ready >= desired ? "True" : "False"),
                                "reason": .string(ready >= desired ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable")]]
            status = .object(s)
        }
        writeStatus(owner, type: type, status: status)
    }

    /// Writes `status` through the status subresource, unless it says so already.
    private func writeStatus(_ owner: JSONObject, type: ResourceType, status: JSONValue) {
        guard owner["status"] != status else { return }
        let name = owner["metadata"]?["name"]?.stringValue ?? ""
        let namespace = owner["metadata"]?["namespace"]?.stringValue ?? ""
        _ = try? api.write(type, namespace: namespace, name: name) { current throws(APIError) in
            var o = current
            o["status"] = status
            return o
        }
    }

    /// A short stable hash of the pod template (FNV-1a), as `pod-template-hash`.
    static func hash(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var out = ""
        for _ in 0..<10 {
            out.append(alphabet[Int(h % UInt64(alphabet.count))])
            h /= UInt64(alphabet.count)
        }
        return out
    }
}
