import Autoscaling
import Dispatch
import Foundation
import HTTPKit
import JSON
import Kube
import Locking
import MetricsSources

/// The settings of an `eip-operator` process (flags, or `EIP_*` environment variables).
public struct OperatorOptions: Sendable {
    /// `--kubeconfig` (nil: in a pod, its service account; else `KUBECONFIG`, `~/.kube/config`).
    public var kubeconfig: String?
    /// `--context` (nil: the current one).
    public var context: String?
    /// The namespace to watch; nil: all namespaces.
    public var namespace: String?
    /// `:8080`; `0` turns the endpoint off.
    public var metricsBindAddress = ":8080"
    /// `/healthz` and `/readyz`: `:8081`; `0` turns them off.
    public var healthProbeBindAddress = ":8081"
    /// Reconcile only while holding the Lease (off).
    public var leaderElect = false
    /// The Lease's namespace (nil: the client's).
    public var leaderElectionNamespace: String?
    /// The Lease's name (controller-runtime's `LeaderElectionID`). Each shard (``poolSelector``)
    /// is its own Deployment with its own Lease name: shards do not wait on one another.
    public var leaderElectionID = "eip-operator.aiops.example.com"
    /// `--pool-selector`: a label selector on pools (`shard=a`, `tier in (gold,silver)`, `!canary`),
    /// as the API server takes it: this process reconciles only the pools it selects, and its caches
    /// keep only what those pools need (one shard of several). Nil: every pool.
    public var poolSelector: String?
    /// Lease duration, renew deadline, retry period (15 s, 10 s, 2 s).
    public var leaseTiming = LeaderElector.Timing()
    /// Pools reconciled at once (2).
    public var workers = 2
    /// `json`.
    public var logFormat = Logger.Format.json
    /// `info`.
    public var logLevel = Logger.Level.info
    /// Where pools without `spec.metrics` get their values.
    public enum MetricsSourceKind: String, Sendable { case podScrape = "podscrape", prometheus, `static` }
    /// The default source (direct scrape).
    public var metricsSource = MetricsSourceKind.podScrape
    /// The operator's Prometheus (its credentials go to this address only).
    public var prometheus: PrometheusConnection?
    /// The query templates (Triton's).
    public var prometheusTemplates = QueryTemplates.triton
    /// Seconds a Prometheus query may take, the operator's Prometheus or a pool's own.
    public var prometheusTimeout = Defaults.prometheusQueryTimeoutSeconds
    /// Seconds each pod has to answer a scrape (2).
    public var scrapeTimeout = Defaults.scrapeTimeoutSeconds
    /// The pre-pull DaemonSet's pause container image.
    public var pauseImage = Defaults.pauseImage
    /// Fixed metric values for every pool (`--metrics-source static`: demos and tests).
    public var staticMetrics: [MetricName: Double] = [:]
    /// Fixed values of pools' own metrics, by name, as written (`waiting=12`): read for each pool
    /// that declares the name, in its unit.
    public var staticCustomMetrics: [String: String] = [:]
    /// How long the caches may take to sync before the process exits 1 naming what is missing
    /// (2 minutes: controller-runtime's `CacheSyncTimeout`).
    public var cacheSyncTimeout = PoolController.defaultCacheSyncTimeout
    /// The client-side write limit (`--kube-api-qps` 20, `--kube-api-burst` 30, as kube-controller-manager's).
    public var writeRateLimit = WriteExecutor.RateLimit()
    /// The probe and metrics servers' bounds (64 connections, controller-runtime's timeouts).
    public var endpointLimits = HTTPServer.Limits.endpoints
    /// The admission webhook's HTTPS address: `:9443`, controller-runtime's webhook port; `0` turns it off.
    public var webhookBindAddress = ":9443"
    /// The directory of the webhook's certificate and key: controller-runtime's default, where
    /// config/default mounts the Secret (`/tmp/k8s-webhook-server/serving-certs`).
    public var webhookCertPath = "/tmp/k8s-webhook-server/serving-certs"
    /// The certificate (chain) file in it, PEM (`tls.crt`, as a `kubernetes.io/tls` Secret names it).
    public var webhookCertName = "tls.crt"
    /// The key file in it, PEM (`tls.key`).
    public var webhookKeyName = "tls.key"
    /// Makes the webhook listener's TLS from the certificate and key files, re-reading them when
    /// they rotate (the executable passes HTTPKitTLS's ``RotatingTLSServerContext``: the one listener
    /// of the operator that needs TLS). Nil: no webhook.
    public var webhookSecurity: (@Sendable (_ certificateFile: String, _ keyFile: String) throws -> any ConnectionSecurity)?

    /// The metrics sources these options ask for, behind the per-pool router.
    public func makeMetricsSource() -> MetricsSourceRouter {
        var connection = prometheus
        connection?.timeout = prometheusTimeout
        let prometheusSource = PrometheusQuerySource(connection: connection, templates: prometheusTemplates, timeout: prometheusTimeout)
        let scrape = PodScrapeSource(timeout: scrapeTimeout)
        let fixed = StaticMetricsSource(staticMetrics, custom: staticCustomMetrics)
        let chosen: any MetricsSource
        switch metricsSource {
        case .podScrape: chosen = scrape
        case .prometheus: chosen = prometheusSource
        case .static: chosen = fixed
        }
        return MetricsSourceRouter(default: chosen, prometheus: prometheusSource, podScrape: scrape)
    }

    public init() {}
}

/// Runs the operator: connects, serves probes and metrics, fills its caches (on every replica, as
/// controller-runtime's manager starts its caches before leader election, so a standby is ready and
/// takes over warm), wins the Lease (when asked to), and reconciles. Caches that have not synced
/// within ``OperatorOptions/cacheSyncTimeout`` exit 1 with a line naming what is missing (a CRD not
/// installed, a permission not granted), so the pod crash-loops visibly. On SIGTERM/SIGINT it stops
/// taking work, finishes what is in flight, writes the Events queued, releases the Lease and exits
/// 0. Losing the Lease stops every write and exits 1.
public final class OperatorProcess: Sendable {
    let options: OperatorOptions
    let log: Logger
    /// The one clock of the process: decisions, status, Leases, logs, timers.
    let clock: any Clock
    private let controller = Locked<PoolController?>(nil)
    private let elector = Locked<LeaderElector?>(nil)
    private let shuttingDown = Locked(false)
    /// Why the process must end other than by a signal (an exit code and its last line).
    private let failure = Locked<(code: Int32, message: String)?>(nil)

    /// A process with `options`, on `clock` (the system's).
    public init(options: OperatorOptions, clock: any Clock = SystemClock()) {
        self.options = options
        self.clock = clock
        log = Logger(level: options.logLevel, format: options.logFormat, clock: clock)
    }

    /// Runs until a signal, a lost Lease or caches that do not sync; returns the exit code.
    public func run() async -> Int32 {
        // Connect: a kubeconfig when one is named or no service account is mounted, else in-cluster.
        let configuration: ClientConfiguration
        do throws(KubeError) {
            if options.kubeconfig == nil, ProcessInfo.processInfo.environment["KUBERNETES_SERVICE_HOST"] != nil {
                configuration = try ClientConfiguration.inCluster()
            } else {
                configuration = try ClientConfiguration.fromKubeconfig(paths: options.kubeconfig.map { [$0] }, context: options.context)
            }
        } catch {
            log.error("cannot configure the Kubernetes client", [("error", error.message)])
            return 1
        }
        let client = KubeClient(configuration: configuration)
        log.info("starting", [("version", EIPVersion.current), ("context", configuration.contextName), ("server", configuration.transport.server),
                              ("namespace", options.namespace ?? "(all)"), ("poolSelector", options.poolSelector ?? "(all pools)")])

        // Probes and metrics, on plain sockets.
        var servers: [HTTPServer] = []
        do throws(ServerError) {
            for (address, kind) in [(options.healthProbeBindAddress, "probes"), (options.metricsBindAddress, "metrics")] where address != "0" {
                let (host, port) = Self.split(address)
                let server = try HTTPServer(host: host, port: port, tls: nil, limits: options.endpointLimits) { [self] request, writer in serve(request, writer) }
                log.info("serving \(kind)", [("address", "\(host):\(server.port)")])
                servers.append(server)
            }
        } catch {
            log.error("cannot serve the endpoints", [("error", error.description)])
            return 1
        }
        defer { servers.forEach { $0.stop() } }

        // SIGTERM and SIGINT start an orderly shutdown.
        let stop = DispatchSemaphore(value: 0)
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let sources = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }

        if options.poolSelector != nil, options.leaderElect, options.leaderElectionID == OperatorOptions().leaderElectionID {
            // Shards that share a Lease run one at a time: every shard but the leader's would stand by.
            log.warning("--pool-selector with the default --leader-election-id: give each shard a Lease of its own",
                        [("lease", options.leaderElectionID), ("poolSelector", options.poolSelector ?? "")])
        }
        let metrics = options.makeMetricsSource()
        log.info("metrics", [("defaultSource", metrics.kind), ("prometheus", options.prometheus?.address ?? "(none)")])
        let identity = LeaderElector.defaultIdentity()
        let elector = options.leaderElect ? LeaderElector(client: client, namespace: options.leaderElectionNamespace ?? configuration.namespace,
                                                          name: options.leaderElectionID, identity: identity, timing: options.leaseTiming,
                                                          log: log.named("leader-election"), clock: clock) : nil
        self.elector.withLock { $0 = elector }
        let controller = PoolController(client: client, namespace: options.namespace, metrics: metrics, events: EventRecorder.Source(instance: identity),
                                        workers: options.workers, clock: clock, log: log, pauseImage: options.pauseImage,
                                        fence: elector, writeRateLimit: options.writeRateLimit, poolSelector: options.poolSelector)
        self.controller.withLock { $0 = controller }

        // The admission webhook, on every replica (a standby answers as the leader does), over HTTPS.
        // Its claim check reads every pool: with a selector, the trimmed cache of all of them, not the shard's.
        switch startWebhook(configuration: configuration, pools: controller.claimCache) {
        case .failure(let error):
            log.error("cannot serve the admission webhook", [("error", error.message)])
            return 1
        case .success(let server):
            if let server { servers.append(server) }
        }
        let end: @Sendable (Int32, String) -> Void = { [failure] code, message in
            failure.withLock { $0 = $0 ?? (code, message) }
            stop.signal()
        }

        // Caches first, on every replica; not synced within the bound: exit, naming what is missing.
        controller.start()
        let syncing = Task { [self] in
            guard await !controller.waitForSync(timeout: options.cacheSyncTimeout), !Task.isCancelled else { return }
            let missing = controller.unsynced.map { "\($0.resource): \($0.failure?.diagnosis ?? "its list has not been answered")" }
            for (resource, failure) in controller.unsynced {
                log.error("cache not synced", [("resource", resource.description), ("missing", failure?.diagnosis ?? "its list has not been answered")])
            }
            end(1, "caches did not sync within \(LeaderElector.seconds(options.cacheSyncTimeout)); exiting: \(missing.joined(separator: "; "))")
        }

        // Then the Lease (when asked: once the caches are in, as controller-runtime's manager starts
        // leader election only after its caches have synced, so renewals start at once), then the workers.
        let leadership = Task { [self] in
            guard await controller.waitForSync(), !Task.isCancelled else { return }
            if let elector {
                log.info("waiting for the lease", [("lease", options.leaderElectionID), ("identity", identity)])
                await elector.acquire()
                guard !Task.isCancelled else { return }
            }
            log.info("caches synced; reconciling")
            let workers = Task { await controller.runWorkers() }
            guard let elector else { return await workers.value }
            await elector.renewUntilLost()
            if !Task.isCancelled && !shuttingDown.withLock({ $0 }) {
                // Lost: stop every write at once, and exit non-zero so the pod restarts as a standby.
                controller.shutDown()
                end(1, "lost the lease; exiting")
            }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                stop.wait()
                continuation.resume()
            }
        }
        syncing.cancel()
        if let (code, message) = failure.withLock({ $0 }) {
            leadership.cancel()
            controller.shutDown()
            log.error(message)
            return code
        }
        log.info("shutting down")
        shuttingDown.withLock { $0 = true }
        leadership.cancel()
        // Stop taking work; in-flight reconciles finish (bounded at 4 s), then the Events they queued (1 s).
        controller.shutDown()
        let deadline = clock.monotonicNow() + .seconds(4)
        while controller.queue.inFlight > 0 && clock.monotonicNow() < deadline { try? await clock.sleep(for: .milliseconds(20)) }
        await controller.events?.flush(timeout: 1)
        await elector?.release()
        log.info("stopped")
        return 0
    }

    /// Starts the webhook's listener and its pool cache; nil when it is off (`--webhook-bind-address 0`,
    /// or no certificate where it should be: then it says so, and invalid pools meet the reconciler's
    /// checks instead: `Ready=False`, no writes).
    private func startWebhook(configuration: ClientConfiguration, pools: Informer) -> Result<HTTPServer?, WebhookStartError> {
        guard options.webhookBindAddress != "0", let makeSecurity = options.webhookSecurity else { return .success(nil) }
        let certificate = (options.webhookCertPath as NSString).appendingPathComponent(options.webhookCertName)
        let key = (options.webhookCertPath as NSString).appendingPathComponent(options.webhookKeyName)
        guard FileManager.default.fileExists(atPath: certificate), FileManager.default.fileExists(atPath: key) else {
            log.warning("admission webhook not served: no certificate and key", [("certificate", certificate), ("key", key)])
            return .success(nil)
        }
        let security: any ConnectionSecurity
        do {
            security = try makeSecurity(certificate, key)
        } catch {
            return .failure(WebhookStartError(message: "\(error)"))
        }
        // The pools for the claim check: the controller's cache (it runs on every replica), and until
        // it syncs, LISTs bounded at 2 s (the API server gives the webhook 5).
        var direct = configuration
        direct.transport.requestTimeout = 2
        let webhook = PoolAdmissionWebhook(pools: PoolAdmissionWebhook.poolLister(cache: pools, reader: KubeClient(configuration: direct)), log: log.named("webhook"))
        let (host, port) = Self.split(options.webhookBindAddress)
        do throws(ServerError) {
            let server = try HTTPServer(host: host, port: port, tls: security) { request, writer in webhook.handle(request, writer) }
            log.info("serving the admission webhook", [("address", "\(host):\(server.port)"), ("path", PoolAdmissionWebhook.path), ("certificate", certificate)])
            return .success(server)
        } catch {
            return .failure(WebhookStartError(message: error.description))
        }
    }

    /// Why the webhook could not start (an unreadable certificate, a port in use).
    private struct WebhookStartError: Error {
        let message: String
    }

    /// `/healthz` (the process answers: cheap), `/readyz` (the caches have synced, on a standby as on
    /// the leader, as controller-runtime's readiness means: a standby is ready, so a rollout is not
    /// blocked on the Lease), `/metrics`.
    private func serve(_ request: HTTPRequest, _ writer: HTTPResponseWriter) {
        let controller = self.controller.withLock { $0 }
        let elector = self.elector.withLock { $0 }
        let isLeader = elector?.isLeader ?? (controller != nil)
        switch request.path {
        case "/healthz", "/livez":
            writer.send(status: 200, headers: [("Content-Type", "text/plain")], body: Array("ok".utf8))
        case "/readyz":
            let synced = controller?.hasSynced ?? false
            let standby = options.leaderElect && !(elector?.isLeader ?? false)
            let waiting = (controller?.unsynced ?? []).map { "\($0.resource)\($0.failure.map { ": \($0.diagnosis)" } ?? "")" }
            writer.send(status: synced ? 200 : 503, headers: [("Content-Type", "text/plain")],
                        body: Array((synced ? (standby ? "ok (standby)" : "ok") : "caches not synced: " + waiting.joined(separator: "; ")).utf8))
        case "/metrics":
            let text = OperatorMetrics.render(controller: controller, isLeader: isLeader, leaseName: options.leaderElectionID)
            writer.send(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: Array(text.utf8))
        default:
            writer.send(status: 404, headers: [("Content-Type", "text/plain")], body: Array("not found".utf8))
        }
    }

    /// `:8080` → all interfaces; `127.0.0.1:0` → a free port on loopback.
    static func split(_ address: String) -> (String, Int) {
        guard let colon = address.lastIndex(of: ":") else { return ("0.0.0.0", Int(address) ?? 0) }
        let host = String(address[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host, Int(address[address.index(after: colon)...]) ?? 0)
    }
}

