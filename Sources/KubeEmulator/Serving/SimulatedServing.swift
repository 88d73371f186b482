import LoadModel

/// Simulated serving pods (`kube-emulator --serve-trace`): each Ready pod of a Deployment serves a
/// Triton-like `/metrics` on its pod IP, driven by the load model (`Sources/LoadModel`, LOADMODEL.md).
///
/// Each Deployment is a pool of its own: the trace's requests per second are offered to its Ready
/// pods through a ``ServingQueue`` (the same fluid queue `eipctl simulate` steps), spread evenly
/// over them; each pod's latency histogram, request and duration counters grow by its share, and
/// its GPU utilisation gauge follows the profile. Pods become Ready `profile.coldStart / speed` wall
/// seconds after they are created. Nothing in what a pod serves says it is simulated: a client reads
/// it as it reads Triton (`docs/kube-emulator.md`, "Simulated serving pods").
///
/// Time can run faster than the wall clock: at `speed` 15, one wall second plays 15 seconds of the
/// trace and pods are Ready after a fifteenth of the cold start. Rates stay in the trace's units:
/// the counters grow by the trace's requests per *wall* second (a `rate()` reads the trace's req/s),
/// and latencies are the model's (a 200 ms request is 200 ms at any speed).
public struct SimulatedServing: Sendable {
    /// Requests per second offered, second by second of trace time.
    public var trace: Trace
    /// The server each pod is: capacity, latency, GPU utilisation, and the cold start (trace seconds
    /// from a pod's creation to Ready).
    public var profile: ServerProfile
    /// Trace seconds per wall second (1: real time). Must be positive.
    public var speed: Double
    /// The port of every pod's `/metrics` (Triton's `--metrics-port`, 8002).
    public var port: Int
    /// When second 0 of the trace is played.
    public var traceStart: TraceStart

    /// When the trace starts. Before it, pods serve the trace's first rate (a system that was
    /// already running, as `eipctl simulate`'s warm-up); after its end, its last rate.
    public enum TraceStart: Sendable, Hashable {
        /// When the first pod of any Deployment becomes Ready (the command line's choice).
        case firstReadyPod
        /// When ``ServingSimulation/startTrace()`` is called (a driver that prepares the cluster first).
        case onRequest
    }

    public init(trace: Trace, profile: ServerProfile = .h100BERT, speed: Double = 1, port: Int = 8002, traceStart: TraceStart = .firstReadyPod) {
        self.trace = trace
        self.profile = profile
        self.speed = speed
        self.port = port
        self.traceStart = traceStart
    }

    /// Wall seconds from a pod's creation to Ready: the cold start, compressed by the speed.
    public var podStartDelaySeconds: Double { profile.coldStart / speed }
}
