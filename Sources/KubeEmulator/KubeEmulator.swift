import HTTPKit
import HTTPKitTLS
import JSON

/// Why an emulator could not start.
public typealias EmulatorError = ServerError

/// A stand-in Kubernetes API server: real HTTP/1.1 (TLS or plain) on a local port, the API's object
/// semantics, watches, discovery and custom resources, plus controls for tests (faults, compaction,
/// dropped watches, a request log). What it does not do is listed in docs/kube-emulator.md.
public final class KubeEmulator: Sendable {
    /// How to start an emulator. Defaults: 127.0.0.1, a free port, plain HTTP, no authentication,
    /// bookmarks every 60 s (the API server's period), 10,000 events of history.
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 0
        public var tlsCertificateFile: String?
        public var tlsKeyFile: String?
        /// Bearer tokens, one per line; re-read when the file changes. Nil: no authentication.
        public var tokenFile: String?
        /// With TLS: client certificates signed by this CA authenticate too (x509, as `--client-ca-file`).
        public var clientCAFile: String?
        public var bookmarkIntervalSeconds = 60.0
        public var historyLimit = 10_000
        /// The fake kubelet: seconds from a Pod's creation to Ready; nil turns it off (no Pods, no
        /// Deployment status: a bare API server).
        public var podStartDelaySeconds: Double? = 1
        /// Nodes the fake kubelet pretends to run (DaemonSets get one Pod each).
        public var nodes = 1
        /// How a new watch from a resourceVersion older than the history is answered. Default: as
        /// the real API server does (HTTP 200, then an `ERROR` event with a 410 `Status`).
        public var expiredWatchAnswer = ExpiredWatchAnswer.errorEvent
        /// Simulated serving pods: Deployment pods serve a Triton-like `/metrics` driven by the load
        /// model, and become Ready after the profile's cold start (compressed by the speed), which
        /// then replaces `podStartDelaySeconds`. Nil (the default): pods serve nothing.
        public var servingPods: SimulatedServing?

        public init() {}
    }

    /// The two forms of "410 Gone: too old resource version" a watch can get; clients must handle both.
    public enum ExpiredWatchAnswer: Sendable {
        /// HTTP 200, one `ERROR` event carrying the `Status` (code 410, reason `Expired`), then the end
        /// of the stream: what the API server's watch cache answers.
        case errorEvent
        /// HTTP 410 with the `Status` as the body: what some proxies, older servers and aggregated
        /// API servers answer.
        case httpStatus
    }

    let api: KubeAPI
    private let server: HTTPServer
    private let kubelet: FakeKubelet?
    /// The simulated serving pods' clock, pools and results (`Configuration.servingPods`); nil without them.
    public let serving: ServingSimulation?
    /// `https://127.0.0.1:PORT` (or `http://…`).
    public let url: String
    public var port: Int { server.port }

    public init(_ configuration: Configuration) throws(EmulatorError) {
        var tls: TLSServerContext?
        switch (configuration.tlsCertificateFile, configuration.tlsKeyFile) {
        case (let cert?, let key?): tls = try TLSServerContext(certificateFile: cert, keyFile: key, clientCAFile: configuration.clientCAFile)
        case (nil, nil): tls = nil
        default: throw EmulatorError("--tls-cert and --tls-key go together")
        }
        if let servingPods = configuration.servingPods {
            guard servingPods.speed > 0, servingPods.speed.isFinite else { throw EmulatorError("simulated serving: the speed must be a positive number") }
            guard (1...65535).contains(servingPods.port) else { throw EmulatorError("simulated serving: port \(servingPods.port) is not a TCP port") }
            guard servingPods.trace.duration > 0 else { throw EmulatorError("simulated serving: the trace is empty") }
        }
        let store = ObjectStore(historyLimit: configuration.historyLimit)
        let api = KubeAPI(store: store, tokenFile: configuration.tokenFile, bookmarkInterval: configuration.bookmarkIntervalSeconds,
                          expiredWatchAnswer: configuration.expiredWatchAnswer)
        // The namespaces every cluster starts with.
        if let namespaces = api.type(group: "", version: "v1", plural: "namespaces") {
            for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                _ = try? api.create(namespaces, namespace: nil, body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
            }
        }
        self.api = api
        server = try HTTPServer(host: configuration.host, port: configuration.port, tls: tls) { request, writer in
            api.handle(request, writer)
        }
        if let servingPods = configuration.servingPods {
            let serving = ServingSimulation(servingPods, store: store)
            self.serving = serving
            kubelet = FakeKubelet(api: api, startDelay: servingPods.podStartDelaySeconds, nodes: configuration.nodes, serving: serving)
        } else {
            serving = nil
            kubelet = configuration.podStartDelaySeconds.map { FakeKubelet(api: api, startDelay: $0, nodes: configuration.nodes) }
        }
        url = "\(tls == nil ? "http" : "https")://\(configuration.host):\(server.port)"
        api.serverAddress.withLock { $0 = "\(configuration.host):\(server.port)" }
    }

    /// Stops listening, drops every connection, stops the fake kubelet and every simulated pod's listener.
    public func stop() {
        api.stopped.withLock { $0 = true }
        server.stop()
        kubelet?.stop()
        serving?.stop()
    }

    deinit { stop() }

    // MARK: Test controls

    /// The current resourceVersion (the global revision counter).
    public var resourceVersion: Int { api.store.revision }

    /// Answers (or delays, or holds) the next matching requests as the fault says.
    public func inject(_ fault: Fault) { api.inject(fault) }

    /// Removes the faults not yet used up (a partition healed).
    public func clearFaults() { api.clearFaults() }

    /// Changes the fake kubelet's start delay for pods created from now on (a slow GPU cold start).
    public func setPodStartDelay(_ seconds: Double) { kubelet?.startDelay.withLock { $0 = seconds } }

    /// Every request served so far, in order.
    public var requests: [RecordedRequest] { api.requests }
    public func clearRequests() { api.clearRequests() }

    /// Forgets the event history: new watches from older resourceVersions get 410 Gone, and open
    /// watches receive an ERROR event carrying a 410 Status, then end.
    public func compactHistory() { api.store.compact(ending: .expiredError) }

    /// As an API server restart looks to its watchers: every open watch ends cleanly and the event
    /// history is forgotten, in one step, so a client that resumes from the last resourceVersion it
    /// saw (older than the latest change) gets 410 Gone, in the form `expiredWatchAnswer` says, and
    /// must relist.
    public func restartWatchCache() { api.store.compact(ending: .cleanly) }

    /// Changes how new watches from an expired resourceVersion are answered.
    public func setExpiredWatchAnswer(_ answer: ExpiredWatchAnswer) { api.expiredWatchAnswer.withLock { $0 = answer } }

    /// Ends every open watch stream cleanly.
    public func dropWatches() { api.store.dropWatches() }

    /// Closes every open connection abruptly, watches included.
    public func dropConnections() { server.dropConnections() }

    public var openWatches: Int { api.store.watchCount }
    public var openConnections: Int { server.connectionCount }

    /// A kubeconfig for this server, for kubectl and eipctl.
    public func kubeconfig(certificateAuthorityFile: String?, token: String?, namespace: String = "default") -> String {
        var cluster = "    server: \(url)\n"
        if let certificateAuthorityFile { cluster += "    certificate-authority: \(certificateAuthorityFile)\n" }
        var user = "  user: {}\n"
        if let token { user = "  user:\n    token: \(token)\n" }
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kube-emulator
          cluster:
        \(cluster)contexts:
        - name: kube-emulator
          context:
            cluster: kube-emulator
            user: kube-emulator
            namespace: \(namespace)
        current-context: kube-emulator
        users:
        - name: kube-emulator
        \(user)
        """
    }
}
