import Autoscaling
import CommandLineSupport
import Foundation
import HTTPKitTLS
import MetricsSources
import Operator

// Every setting is a flag, or an environment variable EIP_<FLAG> (EIP_METRICS_BIND_ADDRESS, …); a flag wins.
let spec = CommandSpec(
    name: "eip-operator",
    abstract: "eip-operator \(EIPVersion.current): autoscales GPU model-serving Deployments from ElasticInferencePools.",
    usage: "eip-operator [--kubeconfig FILE] [--namespace NS] [--leader-elect] [--metrics-bind-address ADDR] [--health-probe-bind-address ADDR] …",
    discussion: """
    In a pod it uses its service account; elsewhere the kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config).
    Serves /healthz and /readyz on the probe address, Prometheus metrics on /metrics, and the
    ElasticInferencePool admission webhook over HTTPS on the webhook address (its certificate and
    key read from --webhook-cert-path, and read again when they rotate; without them the webhook
    is not served, and the log says so). With
    --leader-elect only the holder of the Lease reconciles; losing it exits 1. SIGTERM or SIGINT:
    stop taking work, finish in-flight reconciles, release the Lease, exit 0.
    Each flag may also be given as an environment variable: EIP_ and the flag in capitals with
    '_' for '-' (EIP_NAMESPACE, EIP_LEADER_ELECT=true, …).
    """,
    options: [
        OptionSpec(["--kubeconfig"], value: "FILE", help: "Kubeconfig to use out of cluster (default: KUBECONFIG, else ~/.kube/config)."),
        OptionSpec(["--context"], value: "NAME", help: "Kubeconfig context (default: the current one)."),
        OptionSpec(["--namespace"], value: "NS", help: "Namespace to watch (default: all namespaces)."),
        OptionSpec(["--metrics-bind-address"], value: "ADDR", help: "Address of /metrics (default :8080; 0 turns it off)."),
        OptionSpec(["--health-probe-bind-address"], value: "ADDR", help: "Address of /healthz and /readyz (default :8081; 0 turns it off)."),
        OptionSpec(["--webhook-bind-address"], value: "ADDR", help: "Address of the admission webhook, HTTPS (default :9443; 0 turns it off)."),
        OptionSpec(["--webhook-cert-path"], value: "DIR", help: "Directory of the webhook's certificate and key (default /tmp/k8s-webhook-server/serving-certs)."),
        OptionSpec(["--webhook-cert-name"], value: "FILE", help: "The certificate file in it (default tls.crt)."),
        OptionSpec(["--webhook-cert-key"], value: "FILE", help: "The key file in it (default tls.key)."),
        OptionSpec(["--leader-elect"], help: "Reconcile only while holding the Lease (for several replicas)."),
        OptionSpec(["--leader-election-namespace"], value: "NS", help: "Namespace of the Lease (default: the client's namespace)."),
        OptionSpec(["--leader-election-id"], value: "NAME", help: "Name of the Lease (default eip-operator.aiops.example.com); each shard (--pool-selector) its own."),
        OptionSpec(["--pool-selector"], value: "SELECTOR", help: "Reconcile only the pools this label selector picks (shard=a, 'tier in (gold,silver)', !canary): one shard of several, each its own Deployment and --leader-election-id (default: every pool)."),
        OptionSpec(["--leader-election-lease-duration"], value: "SECONDS", help: "Lease duration (default 15)."),
        OptionSpec(["--leader-election-renew-deadline"], value: "SECONDS", help: "Give up leadership after failing to renew this long (default 10)."),
        OptionSpec(["--leader-election-retry-period"], value: "SECONDS", help: "Seconds between attempts (default 2)."),
        OptionSpec(["--workers"], value: "N", help: "Pools reconciled at once (default 2)."),
        OptionSpec(["--cache-sync-timeout"], value: "SECONDS", help: "Exit 1, naming what is missing, when the caches have not synced by then (default 120, controller-runtime's CacheSyncTimeout)."),
        OptionSpec(["--kube-api-qps"], value: "N", help: "Writes per second to the API server, sustained (default 20, as kube-controller-manager)."),
        OptionSpec(["--kube-api-burst"], value: "N", help: "Writes to the API server at once after a quiet spell (default 30)."),
        OptionSpec(["--log-format"], value: "json|text", help: "Log format (default json)."),
        OptionSpec(["--log-level"], value: "LEVEL", help: "debug, info, warning or error (default info)."),
        OptionSpec(["--metrics-source"], value: "KIND", help: "Default source for pools without spec.metrics: podscrape, prometheus or static (default: static with --static-metrics, prometheus with --prometheus-address, else podscrape)."),
        OptionSpec(["--prometheus-address"], value: "URL", help: "The Prometheus to query, as http://prometheus.monitoring:9090."),
        OptionSpec(["--prometheus-templates"], value: "PRESETS", help: "Query template presets, later ones winning per metric: triton, triton-summary, dcgm, vllm, tgi (default triton)."),
        OptionSpec(["--prometheus-bearer-token-file"], value: "FILE", help: "Bearer token for Prometheus, re-read as it rotates."),
        OptionSpec(["--prometheus-username"], value: "USER", help: "Basic-auth user for Prometheus (with --prometheus-password-file)."),
        OptionSpec(["--prometheus-password-file"], value: "FILE", help: "Basic-auth password file for Prometheus."),
        OptionSpec(["--prometheus-ca-file"], value: "FILE", help: "PEM CA bundle to verify an https:// Prometheus against."),
        OptionSpec(["--prometheus-timeout"], value: "SECONDS", help: "Seconds a query may take (default 5)."),
        OptionSpec(["--scrape-timeout"], value: "SECONDS", help: "Seconds each pod has to answer a direct scrape (default 2)."),
        OptionSpec(["--pause-image"], value: "IMAGE", help: "The pause container of the image pre-pull DaemonSets (default registry.k8s.io/pause:3.9)."),
        OptionSpec(["--static-metrics"], value: "VALUES", help: "Fixed metric values for every pool, as P90=250ms,gpu.util=91% (demos and tests); a pool's own metrics too (waiting=12), for the pools that declare them."),
        OptionSpec(["--version"], help: "Print the version."),
    ])

func fail(_ message: String) -> Never {
    try? FileHandle.standardError.write(contentsOf: Data("eip-operator: \(message)\nRun 'eip-operator --help' for usage.\n".utf8))
    exit(2)
}

let parsed: ParsedArguments
do {
    parsed = try ParsedArguments.parse(Array(CommandLine.arguments.dropFirst()), for: spec)
} catch {
    fail(error.message)
}
if parsed.has("help") { print(spec.helpText, terminator: ""); exit(0) }
if parsed.has("version") { print("eip-operator \(EIPVersion.current)"); exit(0) }

let environment = ProcessInfo.processInfo.environment
/// A flag's value, else its EIP_ environment variable.
func setting(_ key: String) -> String? {
    parsed.value(key) ?? environment["EIP_" + key.uppercased().replacingOccurrences(of: "-", with: "_")]
}

var options = OperatorOptions()
options.kubeconfig = setting("kubeconfig")
options.context = setting("context")
options.namespace = setting("namespace").flatMap { $0.isEmpty ? nil : $0 }
options.metricsBindAddress = setting("metrics-bind-address") ?? options.metricsBindAddress
options.healthProbeBindAddress = setting("health-probe-bind-address") ?? options.healthProbeBindAddress
options.webhookBindAddress = setting("webhook-bind-address") ?? options.webhookBindAddress
options.webhookCertPath = setting("webhook-cert-path") ?? options.webhookCertPath
options.webhookCertName = setting("webhook-cert-name") ?? options.webhookCertName
options.webhookKeyName = setting("webhook-cert-key") ?? options.webhookKeyName
options.webhookSecurity = { certificate, key in try RotatingTLSServerContext(certificateFile: certificate, keyFile: key) }
options.leaderElect = ["true", "1", "yes"].contains(setting("leader-elect")?.lowercased() ?? "false")
options.leaderElectionNamespace = setting("leader-election-namespace")
options.leaderElectionID = setting("leader-election-id") ?? options.leaderElectionID
if let text = setting("pool-selector"), !text.trimmingCharacters(in: .whitespaces).isEmpty {
    if let problem = LabelSelector.problem(in: text) { fail("--pool-selector: \(problem)") }
    options.poolSelector = text
}
for (key, path) in [("leader-election-lease-duration", \LeaderElector.Timing.leaseDuration),
                    ("leader-election-renew-deadline", \LeaderElector.Timing.renewDeadline),
                    ("leader-election-retry-period", \LeaderElector.Timing.retryPeriod)] {
    if let text = setting(key) {
        guard let seconds = Double(text), seconds > 0, seconds.isFinite else { fail("--\(key): expected seconds, not '\(text)'") }
        options.leaseTiming[keyPath: path] = .seconds(seconds)
    }
}
if let text = setting("cache-sync-timeout") {
    guard let seconds = Double(text), seconds > 0, seconds.isFinite else { fail("--cache-sync-timeout: expected seconds, not '\(text)'") }
    options.cacheSyncTimeout = .milliseconds(Int64(seconds * 1000))
}
if let text = setting("kube-api-qps") {
    guard let qps = Double(text), qps > 0, qps.isFinite else { fail("--kube-api-qps: expected a positive number, not '\(text)'") }
    options.writeRateLimit.writesPerSecond = qps
}
if let text = setting("kube-api-burst") {
    guard let burst = Int(text), burst >= 1 else { fail("--kube-api-burst: expected a positive number, not '\(text)'") }
    options.writeRateLimit.burst = burst
}
if let text = setting("workers") {
    guard let n = Int(text), n >= 1 else { fail("--workers: expected a positive number, not '\(text)'") }
    options.workers = n
}
if let text = setting("log-format") {
    guard let format = Logger.Format(rawValue: text) else { fail("--log-format: json or text, not '\(text)'") }
    options.logFormat = format
}
if let text = setting("log-level") {
    guard let level = Logger.Level(name: text) else { fail("--log-level: debug, info, warning or error, not '\(text)'") }
    options.logLevel = level
}
if let text = setting("static-metrics") {
    // Built-ins are read now; a pool's own metrics (waiting=12) when a pool that declares them is read.
    switch MetricAssignments.pairs(text) {
    case .failure(let problem): fail("--static-metrics: \(problem)")
    case .success(let pairs):
        for (name, value) in pairs {
            if let metric = MetricName(name: name) {
                switch Quantity.parse(value, for: metric) {
                case .success(let quantity): options.staticMetrics[metric] = quantity.value
                case .failure(let problem): fail("--static-metrics: \(name): \(problem.message)")
                }
            } else if MetricCatalog.validName(name) {
                options.staticCustomMetrics[name] = value
            } else {
                fail("--static-metrics: " + MetricName.unknownNameMessage(name))
            }
        }
    }
}

if let address = setting("prometheus-address") {
    guard address.hasPrefix("http://") || address.hasPrefix("https://") else { fail("--prometheus-address: expected an http:// or https:// URL, not '\(address)'") }
    var connection = PrometheusConnection(address: address)
    connection.bearerTokenFile = setting("prometheus-bearer-token-file")
    connection.basicAuthUsername = setting("prometheus-username")
    connection.basicAuthPasswordFile = setting("prometheus-password-file")
    if (connection.basicAuthUsername == nil) != (connection.basicAuthPasswordFile == nil) {
        fail("--prometheus-username and --prometheus-password-file go together")
    }
    connection.caFile = setting("prometheus-ca-file")
    options.prometheus = connection
}
if let text = setting("prometheus-timeout") {
    guard let seconds = Double(text), seconds > 0 else { fail("--prometheus-timeout: expected seconds, not '\(text)'") }
    options.prometheusTimeout = seconds
}
if let text = setting("prometheus-templates") {
    switch QueryTemplates.combined(list: text) {
    case .success(let templates): options.prometheusTemplates = templates
    case .failure(let error): fail("--prometheus-templates: \(error)")
    }
}
if let image = setting("pause-image") {
    guard !image.isEmpty, !image.contains(where: \.isWhitespace) else { fail("--pause-image: expected an image reference, not '\(image)'") }
    options.pauseImage = image
}
if let text = setting("scrape-timeout") {
    guard let seconds = Double(text), seconds > 0 else { fail("--scrape-timeout: expected seconds, not '\(text)'") }
    options.scrapeTimeout = seconds
}
if let text = setting("metrics-source") {
    guard let kind = OperatorOptions.MetricsSourceKind(rawValue: text.lowercased()) else { fail("--metrics-source: podscrape, prometheus or static, not '\(text)'") }
    if kind == .prometheus && options.prometheus == nil { fail("--metrics-source prometheus needs --prometheus-address") }
    options.metricsSource = kind
} else {
    options.metricsSource = !(options.staticMetrics.isEmpty && options.staticCustomMetrics.isEmpty) ? .static : options.prometheus != nil ? .prometheus : .podScrape
}

let process = OperatorProcess(options: options)
let code = await process.run()
exit(code)
