import Dispatch
import Foundation
import JSON
import LoadModel
import Locking

/// A Deployment's run under the trace: one entry per second of trace time since the trace started.
public struct ServedRun: Sendable {
    public let namespace: String
    /// The Deployment's name (also the `model` label of its pods' series).
    public let name: String
    /// What the pool did each second: demand, served, dropped, replicas (pods that exist), ready
    /// (pods serving), the true P90 and GPU utilisation (``PoolTick``).
    public let ticks: [PoolTick]
    /// The Deployment's `spec.replicas` (the replicas asked for) at each second.
    public let asked: [Int]
}

/// The clock and the pools of ``SimulatedServing``: every second of trace time (a `1/speed` wall
/// second), each Deployment's Ready pods serve that second's demand through a ``ServingQueue``, and
/// each pod's share goes into its exporter's counters. A Deployment gets traffic from its first
/// Ready pod on (before, it is not in service: a Service without endpoints queues nothing). Pods get an exporter, and with it their pod
/// IP, when the fake kubelet makes them Ready; the exporter stops when the pod goes (deleted, or
/// collected with its Deployment) and when the emulator stops.
public final class ServingSimulation: Sendable {
    public let configuration: SimulatedServing
    private let store: ObjectStore
    private let addresses = LoopbackAddresses()
    private let exporters = Locked<[String: PodExporter]>([:])  // pod uid → exporter
    private let state: Locked<State>
    private let clock = Locked<BackgroundLoop?>(nil)
    /// Wall time of model second 0 (the model's clock runs from the emulator's start).
    private let origin = Date()

    private struct Pool {
        var namespace: String
        var name: String
        var queue: ServingQueue
        var ticks: [PoolTick] = []
        var asked: [Int] = []
    }

    private struct State {
        /// Model seconds stepped so far.
        var stepped = 0
        /// The model second that is second 0 of the trace; nil until the trace starts.
        var traceStart: Int?
        /// Pools by Deployment uid.
        var pools: [String: Pool] = [:]
    }

    init(_ configuration: SimulatedServing, store: ObjectStore) {
        self.configuration = configuration
        self.store = store
        state = Locked(State())
        // Each round steps every second of trace time that has passed, then sleeps until the next one ends.
        let speed = max(configuration.speed, 1e-6)
        let clock = BackgroundLoop(wait: { [self] in
            .now() + max(0.001, origin.addingTimeInterval(Double(state.withLock { $0.stepped } + 1) / speed).timeIntervalSinceNow)
        }, work: { [self] in
            let due = Int((Date().timeIntervalSince(origin) * speed).rounded(.down))
            let stepped = state.withLock { $0.stepped }
            if due > stepped { step(from: stepped, to: min(due, stepped + 3_600)) }
        })
        self.clock.withLock { $0 = clock }
    }

    // MARK: Control and results

    /// Starts the trace at the next second (with ``SimulatedServing/TraceStart/onRequest``; a second
    /// call changes nothing).
    public func startTrace() {
        state.withLock { s in if s.traceStart == nil { s.traceStart = s.stepped } }
    }

    /// Seconds of the trace played so far; nil before it starts.
    public var traceSeconds: Int? {
        state.withLock { s in s.traceStart.map { min(configuration.trace.duration, max(0, s.stepped - $0)) } }
    }

    /// Whether every second of the trace has been played.
    public var traceFinished: Bool { (traceSeconds ?? -1) >= configuration.trace.duration }

    /// Each served Deployment's run since the trace started, in namespace/name order.
    public var runs: [ServedRun] {
        state.withLock { s in
            s.pools.values.map { ServedRun(namespace: $0.namespace, name: $0.name, ticks: $0.ticks, asked: $0.asked) }
                .sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        }
    }

    /// The pod IPs with a listening exporter.
    public var podIPs: [String] { exporters.withLock { $0.values.map(\.ip) }.sorted() }

    // MARK: The fake kubelet's hooks

    /// Where a pod that becomes Ready listens.
    enum PodAddress: Equatable {
        /// Not a Deployment's pod: no exporter; the kubelet gives it a plain pod IP.
        case notServed
        /// Its exporter listens on this pod IP.
        case exporter(String)
        /// No address could be bound now: the pod stays not Ready and is tried again.
        case unavailable
    }

    /// Opens the exporter of a pod that becomes Ready (a Deployment's), and says where it listens.
    func podBecomesReady(_ pod: JSONObject) -> PodAddress {
        guard let uid = pod["metadata"]?["uid"]?.stringValue,
              let owner = pod["metadata"]?["ownerReferences"]?.arrayValue?.first(where: { $0["kind"] == "Deployment" }),
              let ownerUID = owner["uid"]?.stringValue else { return .notServed }
        if let open = exporters.withLock({ $0[uid] }) { return .exporter(open.ip) }
        let model = Self.servedModel(of: pod) ?? owner["name"]?.stringValue ?? "model"
        guard let exporter = PodExporter.start(podUID: uid, ownerUID: ownerUID, model: model, port: configuration.port, addresses: addresses) else {
            return .unavailable
        }
        exporters.withLock { $0[uid] = exporter }
        return .exporter(exporter.ip)
    }

    /// The model a pod's Triton serves, as its series label it: the first `--load-model` of its
    /// containers' command and args (`--load-model=NAME` or `--load-model NAME`, Triton's explicit
    /// model control), nil when none names one (the exporter then labels series with the
    /// Deployment's name).
    static func servedModel(of pod: JSONObject) -> String? {
        for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
            let words = ((container["command"]?.arrayValue ?? []) + (container["args"]?.arrayValue ?? [])).compactMap(\.stringValue)
            for (i, word) in words.enumerated() {
                if word.hasPrefix("--load-model="), case let name = String(word.dropFirst("--load-model=".count)), !name.isEmpty { return name }
                if word == "--load-model", i + 1 < words.count, !words[i + 1].isEmpty { return words[i + 1] }
            }
        }
        return nil
    }

    /// Stops the exporter of a pod that goes.
    func podGoes(uid: String) {
        exporters.withLock { $0.removeValue(forKey: uid) }?.stop()
    }

    /// Stops the clock and every exporter, and waits for the clock's thread to end (idempotent).
    func stop() {
        clock.withLock { $0 }?.stop()
        for exporter in exporters.withLock({ e in defer { e.removeAll() }; return Array(e.values) }) { exporter.stop() }
    }

    /// The Deployments and their pods as the store has them now.
    private struct Workload {
        let uid: String, namespace: String, name: String, asked: Int
        var pods: [String] = []  // uids of pods that exist and are not being deleted
    }

    /// Steps model seconds `[from, to)` on the cluster as it is now.
    private func step(from: Int, to: Int) {
        var workloads: [String: Workload] = [:]
        var podOwners: [(uid: String, owner: String)] = []
        for entry in store.allObjects() {
            let o = entry.object
            guard let uid = o["metadata"]?["uid"]?.stringValue, o["metadata"]?["deletionTimestamp"] == nil else { continue }
            if entry.storageKey == "apps/deployments" {
                workloads[uid] = Workload(uid: uid, namespace: entry.key.namespace, name: entry.key.name, asked: o["spec"]?["replicas"]?.intValue ?? 1)
            } else if entry.storageKey == "/pods",
                      let owner = o["metadata"]?["ownerReferences"]?.arrayValue?.first(where: { $0["kind"] == "Deployment" })?["uid"]?.stringValue {
                podOwners.append((uid, owner))
            }
        }
        for (pod, owner) in podOwners { workloads[owner]?.pods.append(pod) }
        // Exporters of pods that are gone (collected with their Deployment, deleted behind the kubelet's back).
        let living = Set(podOwners.map(\.uid))
        for uid in exporters.withLock({ Array($0.keys) }) where !living.contains(uid) { podGoes(uid: uid) }
        let serving = exporters.withLock { Dictionary(grouping: $0.values, by: \.ownerUID) }

        let trace = configuration.trace
        let requestScale = 1 / max(configuration.speed, 1e-6)
        state.withLock { s in
            for second in from..<to {
                if s.traceStart == nil, configuration.traceStart == .firstReadyPod, !serving.isEmpty { s.traceStart = second }
                let traceSecond = s.traceStart.map { second - $0 }
                let demand: Double
                switch traceSecond {
                case let t? where t >= trace.duration: demand = trace.demand.last ?? 0
                case let t? where t >= 0: demand = trace.demand[t]
                default: demand = trace.demand.first ?? 0
                }
                for workload in workloads.values {
                    let pods = serving[workload.uid] ?? []
                    // No traffic reaches a Deployment before its first pod is Ready (a Service with no
                    // endpoints refuses connections; nothing queues).
                    if s.pools[workload.uid] == nil && pods.isEmpty { continue }
                    var pool = s.pools[workload.uid] ?? Pool(namespace: workload.namespace, name: workload.name, queue: ServingQueue(profile: configuration.profile))
                    let tick = pool.queue.step(at: Double(traceSecond ?? 0), demand: demand, ready: pods.count, replicas: workload.pods.count)
                    if let share = tick.perReadyReplica {
                        for pod in pods {
                            pod.counters.withLock { $0.record(share, requestScale: requestScale, baseLatency: configuration.profile.baseLatency) }
                        }
                    }
                    if let t = traceSecond, t >= 0, t < trace.duration {
                        pool.ticks.append(tick)
                        pool.asked.append(workload.asked)
                    }
                    s.pools[workload.uid] = pool
                }
                s.stepped = second + 1
            }
            // Deployments that are gone keep their run (the record of what happened) but stop being stepped.
        }
    }
}
