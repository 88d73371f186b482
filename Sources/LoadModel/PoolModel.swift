/// One replica of the pool: when it was asked for and when it is (or will be) Ready.
public struct Replica: Sendable, Hashable {
    /// Creation order, from 0: stable across scale events, so a caller can map it to a pod.
    public let id: Int
    /// When it was asked for, and when it is Ready (`createdAt` + the cold start), in seconds of the run.
    public let createdAt: Double
    public let readyAt: Double

    /// Whether it serves at `time`.
    public func isReady(at time: Double) -> Bool { readyAt <= time }
}

/// What one tick of the pool did. Rates in requests per second, counts in requests, times in seconds.
public struct PoolTick: Sendable, Hashable {
    /// Start of the tick, in seconds since the start of the run.
    public let time: Double
    /// Offered load λ during the tick (requests/s).
    public let demand: Double
    /// Requests served during the tick.
    public let served: Double
    /// Requests that gave up waiting during the tick.
    public let dropped: Double
    /// Requests waiting at the end of the tick.
    public let backlog: Double
    /// Replicas that exist (ready or starting): what the GPU bill counts.
    public let replicas: Int
    /// Replicas that are Ready and serving.
    public let ready: Int
    /// Per-replica load ρ: arrivals over the ready replicas' capacity (infinite when none is ready).
    public let load: Double
    /// The pool's true P90 latency during the tick, in seconds.
    public let p90: Double
    /// GPU utilisation of each ready replica (a fraction).
    public let gpuUtilisation: Double

    public init(time: Double, demand: Double, served: Double, dropped: Double, backlog: Double, replicas: Int, ready: Int,
                load: Double, p90: Double, gpuUtilisation: Double) {
        self.time = time
        self.demand = demand
        self.served = served
        self.dropped = dropped
        self.backlog = backlog
        self.replicas = replicas
        self.ready = ready
        self.load = load
        self.p90 = p90
        self.gpuUtilisation = gpuUtilisation
    }

    /// Requests in flight, by Little's law: λ × latency (the latency being the tick's P90).
    public var concurrency: Double { demand * p90 }

    /// One ready replica's part of the tick, for something that serves per-pod metrics (requests
    /// spread evenly over the ready replicas, each at the pool's P90 and GPU utilisation).
    /// Nil when no replica is ready.
    public var perReadyReplica: ReplicaShare? {
        guard ready > 0 else { return nil }
        return ReplicaShare(served: served / Double(ready), p90: p90, gpuUtilisation: gpuUtilisation)
    }
}

/// One ready replica's share of a tick.
public struct ReplicaShare: Sendable, Hashable {
    /// Requests it served during the tick.
    public let served: Double
    /// Their P90 latency, seconds.
    public let p90: Double
    /// Its GPU utilisation, a fraction.
    public let gpuUtilisation: Double

    public init(served: Double, p90: Double, gpuUtilisation: Double) {
        self.served = served
        self.p90 = p90
        self.gpuUtilisation = gpuUtilisation
    }
}

/// A pool of model-server replicas as a fluid queue with one-second ticks (LOADMODEL.md, "The pool").
///
/// A pure value: the caller owns the clock. Each tick, ask for replicas with ``scale(to:at:)`` (the
/// autoscaler's decision), then ``step(at:demand:seconds:)`` with the tick's offered load.
public struct PoolModel: Sendable {
    /// Clients give up after 5 s: a backlog longer than 5 s of arrivals is dropped (LOADMODEL.md).
    public static let patienceSeconds = 5.0
    /// Queueing delay at load q is `baseLatency · 1.6 · q/(1−q)` (LOADMODEL.md).
    public static let queueingFactor = 1.6
    /// The load at which queueing delay stops growing: 0.98 (past it, the backlog's drain time takes over).
    public static let maximumQueueingLoad = 0.98
    /// P90 when no replica is ready: 60 s (LOADMODEL.md).
    public static let noCapacityP90 = 60.0

    /// The server every replica is.
    public var profile: ServerProfile { queue.profile }
    /// Every replica that exists, in creation order.
    public private(set) var replicas: [Replica]
    /// The requests and their service, tick by tick.
    private var queue: ServingQueue
    private var nextID = 0

    /// Requests waiting, carried from tick to tick.
    public var backlog: Double { queue.backlog }

    /// A pool with `readyReplicas` replicas already Ready at `time`.
    public init(profile: ServerProfile, readyReplicas: Int, at time: Double = 0) {
        queue = ServingQueue(profile: profile)
        replicas = []
        for _ in 0..<max(0, readyReplicas) {
            replicas.append(Replica(id: nextID, createdAt: time, readyAt: time))
            nextID += 1
        }
    }

    /// Replicas that exist (ready or starting).
    public var count: Int { replicas.count }

    /// Replicas Ready at `time`.
    public func readyCount(at time: Double) -> Int {
        var n = 0
        for replica in replicas where replica.readyAt <= time { n += 1 }
        return n
    }

    /// Asks for `target` replicas at `time`. New replicas become Ready `profile.coldStart` seconds
    /// later. Scaling down removes replicas that are not Ready yet first, then the newest
    /// (LOADMODEL.md; a ReplicaSet also deletes unready pods before ready ones).
    public mutating func scale(to target: Int, at time: Double) {
        let target = max(0, target)
        while replicas.count < target {
            replicas.append(Replica(id: nextID, createdAt: time, readyAt: time + profile.coldStart))
            nextID += 1
        }
        while replicas.count > target {
            let victim = replicas.lastIndex { !$0.isReady(at: time) } ?? replicas.count - 1
            replicas.remove(at: victim)
        }
    }

    /// Runs one tick of `seconds` starting at `time` with offered load `demand` (requests/s) on
    /// the replicas Ready at `time` (``ServingQueue/step(at:demand:seconds:ready:replicas:)``).
    public mutating func step(at time: Double, demand: Double, seconds: Double = 1) -> PoolTick {
        queue.step(at: time, demand: demand, seconds: seconds, ready: readyCount(at: time), replicas: replicas.count)
    }
}
