/// The requests of a pool and their service, one tick at a time (LOADMODEL.md, "The pool, each
/// tick"): arrivals join the backlog, the Ready replicas serve what they can, requests older than
/// the clients' patience give up, and the tick's P90 and GPU utilisation follow from the load.
///
/// It does not decide which replicas are Ready: ``PoolModel`` counts its own (the simulator), and
/// kube-emulator's simulated serving pods count the Ready pods of a Deployment. Both step the same
/// queue, so a pod on the emulator serves exactly what a replica in `eipctl simulate` serves.
public struct ServingQueue: Sendable {
    /// The server every replica is.
    public let profile: ServerProfile
    /// Requests waiting, carried from tick to tick.
    public private(set) var backlog: Double = 0

    public init(profile: ServerProfile) {
        self.profile = profile
    }

    /// Runs one tick of `seconds` starting at `time` with offered load `demand` (requests/s) on
    /// `ready` Ready replicas, `replicas` existing (ready or starting; only reported in the tick).
    public mutating func step(at time: Double, demand: Double, seconds: Double = 1, ready: Int, replicas: Int) -> PoolTick {
        let demand = max(0, demand.isFinite ? demand : 0)
        let ready = max(0, ready)
        let serviceRate = Double(ready) * profile.capacity
        let arrivals = demand * seconds
        let capacity = serviceRate * seconds
        let served = min(capacity, backlog + arrivals)
        backlog += arrivals - served
        let patience = PoolModel.patienceSeconds * demand
        var dropped = 0.0
        if backlog > patience {
            dropped = backlog - patience
            backlog = patience
        }
        let load = capacity > 0 ? arrivals / capacity : .infinity
        let p90: Double
        if ready == 0 {
            p90 = PoolModel.noCapacityP90
        } else {
            let q = min(load, PoolModel.maximumQueueingLoad)
            let queueing = profile.baseLatency * PoolModel.queueingFactor * q / (1 - q)
            p90 = profile.baseLatency + queueing + backlog / serviceRate
        }
        return PoolTick(time: time, demand: demand, served: served, dropped: dropped, backlog: backlog,
                        replicas: max(replicas, ready), ready: ready, load: load, p90: p90,
                        gpuUtilisation: profile.gpuUtilisation.at(load))
    }
}
