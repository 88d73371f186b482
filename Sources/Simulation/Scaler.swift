import LoadModel

/// An autoscaler under simulation: every `pollInterval` seconds it looks at the pool as its own
/// metrics pipeline shows it and says how many replicas to ask for. The project's engine
/// (``EngineScaler``) and the anchors (``HorizontalPodAutoscaler``, ``KnativePodAutoscaler``) all
/// conform, so each is run the same way on the same traffic.
public protocol Scaler: Sendable {
    /// The row label in reports: `eip-operator`, `hpa-util=50`, `keda-p90=200ms`, `kpa`.
    var name: String { get }
    /// Seconds between decisions (HPA's sync period, KPA's tick, the pool's poll interval).
    var pollInterval: Double { get }
    /// The decision at `observation.time`; the scaler keeps whatever state it carries between polls.
    mutating func decide(_ observation: Observation) -> ScalerDecision
}

/// What a scaler may look at when it decides: the target's replica counts and the pool's history,
/// which it reads through its own metrics pipeline.
public struct Observation: Sendable {
    /// Seconds since the start of the run; the decision applies from this second on.
    public let time: Int
    /// Replicas asked for so far (the Deployment's `spec.replicas`).
    public let currentReplicas: Int
    /// Replicas Ready now (`status.readyReplicas`).
    public let readyReplicas: Int
    /// Every tick before `time`.
    public let history: PoolHistory

    public init(time: Int, currentReplicas: Int, readyReplicas: Int, history: PoolHistory) {
        self.time = time
        self.currentReplicas = currentReplicas
        self.readyReplicas = readyReplicas
        self.history = history
    }
}

/// A scaler's answer: the replica count to ask for, and why (its own words, for the JSON report).
public struct ScalerDecision: Sendable, Hashable {
    public let replicas: Int
    public let reason: String

    public init(replicas: Int, reason: String) {
        self.replicas = replicas
        self.reason = reason
    }
}
