import Autoscaling
import CommandLineSupport
import JSON
import Kube
import Locking
import MetricsSources
import Operator
import YAML

/// `eipctl reconcile --dry-run`: what the operator would do for one pool, and why, writing nothing.
enum ReconcileCommand {
    static let spec = CommandSpec(
        name: "reconcile",
        abstract: "Show what the operator would do for one pool, and why, without writing anything.",
        usage: "eipctl reconcile --dry-run (-f POOL.yaml [--target T.yaml] | [-n NS] POOL [--kubeconfig F] [--context C]) [--metrics 'P90=250ms,gpu.util=91%'] [--now RFC3339] [--state STATUS.yaml] [-o text|yaml|json]",
        discussion: """
        Offline mode: the pool comes from -f, its target workload from --target (or --deployment; the
        files may also hold HorizontalPodAutoscalers, KEDA ScaledObjects and other pools: one that
        targets the workload (an older pool, for pools) stops all writes, as the operator would; pods,
        else the workload's status.readyReplicas, say what is ready; a CRD gives a custom kind's
        resource), the metric values from --metrics (a metric left out is unknown). Without --target
        the dry run assumes the workload at minReplicas with all replicas ready, and says so.
        The decision reads the state the operator keeps in the pool's status (scale-down window, last
        scale times, what the engine learned: capacity per replica, cold start, demand trend);
        --state replaces it with the status fields of another file: a pool, a bare status, or this
        command's own -o yaml|json output (its `state`), so dry runs chain poll after poll.

        Live mode (no -f): reads the pool (and the state in its status), its Deployment, the HPAs,
        ScaledObjects (where KEDA is installed) and pools of its namespace from the cluster of the kubeconfig, and plans exactly as the operator's reconciler does. The
        metric values are those of --metrics when given; else they are read live through the pool's
        source (or --metrics-source): a direct scrape of the Ready pods (two scrapes 2 s apart, for
        rates), or the Prometheus of the pool or of --prometheus-address. From outside the cluster a
        pod IP may be unreachable: the reasons say so and the decision holds, as the operator's would.

        Prints the decision, the rule, clauses and values behind it, and the exact writes (method, path,
        content type, body) the operator would send, in order.

        EXIT CODES: 0 the dry run was printed; 1 the pool is invalid or an input cannot be read or
        found; 2 the command line is wrong.
        """,
        options: [
            OptionSpec(["--dry-run"], help: "Required: compute and print, write nothing."),
            OptionSpec(["-f", "--filename"], value: "FILE", repeatable: true, help: "The pool manifest (a file, a directory, or - for standard input); its workload, HPAs and other pools may come in the same files."),
            OptionSpec(["--target"], value: "FILE", repeatable: true, help: "The target workload (a Deployment, StatefulSet, LeaderWorkerSet, …; its pods, HPAs, ScaledObjects, other pools, a CRD) as manifests."),
            OptionSpec(["--deployment"], value: "FILE", repeatable: true, help: "The same as --target (its older name)."),
            OptionSpec(["--metrics"], value: "VALUES", help: "Metric values: NAME=QUANTITY,… with P50 P90 P95 P99 gpu.util gpu.mem qps queue mean, or the pool's own (waiting=12)."),
            OptionSpec(["--now"], value: "RFC3339", help: "The time to decide at (default: the clock)."),
            OptionSpec(["--state"], value: "FILE", help: "A pool, a bare status, or a previous dry run's -o yaml|json output, whose status fields (its state) replace the pool's."),
            OptionSpec(["-o", "--output"], value: "FORMAT", help: "text (default), yaml or json."),
            OptionSpec(["-n", "--namespace"], value: "NAMESPACE", help: "Live mode: the pool's namespace (default: the context's)."),
            OptionSpec(["--kubeconfig"], value: "FILE", help: "Live mode: the kubeconfig (default: KUBECONFIG, else ~/.kube/config)."),
            OptionSpec(["--context"], value: "NAME", help: "Live mode: the kubeconfig context."),
            OptionSpec(["--metrics-source"], value: "KIND", help: "Live mode without --metrics: podscrape or prometheus (default: the pool's source, else podscrape)."),
            OptionSpec(["--prometheus-address"], value: "URL", help: "Live mode: the Prometheus to ask when the pool names none (e.g. through kubectl port-forward)."),
            OptionSpec(["--prometheus-templates"], value: "PRESETS", help: "Live mode: query template presets (triton, triton-summary, dcgm; default triton)."),
        ],
        maximumPositionals: 1)

    static func run(_ args: ParsedArguments, io: CommandIO, clock: any Clock) throws(UsageError) -> ExitCode {
        guard args.has("dry-run") else {
            throw UsageError("reconcile only shows what the operator would do; add --dry-run (the operator itself makes the writes)")
        }
        let format = args.value("output") ?? "text"
        guard ["text", "yaml", "json"].contains(format) else { throw UsageError("unknown output format '\(format)'; use text, yaml or json") }
        var now = clock.now()
        if let text = args.value("now") {
            guard let parsed = Timestamp(rfc3339: text) else { throw UsageError("--now: '\(text)' is not an RFC 3339 time such as 2026-11-27T10:00:00Z") }
            now = parsed
        }
        let metricsText = args.value("metrics") ?? ""
        try MetricsArgument.checkForm(metricsText)
        if args.all("filename").isEmpty {
            guard let name = args.positionals.first else {
                throw UsageError("reconcile --dry-run needs a pool: -f POOL.yaml, or the name of a live pool (with -n NAMESPACE)")
            }
            return try live(name, args: args, io: io, format: format, metrics: metricsText, now: now, clock: clock)
        }

        // Inputs: the pool, then the Deployment and what else may claim it (HPAs, ScaledObjects, pools).
        let objects: [ManifestObject]
        switch ManifestLoader.load(args.all("filename"), recursive: false, io: io) {
        case .failure(let error): io.err(error.description); return .invalidInput
        case .success(let loaded): objects = loaded
        }
        let pools = objects.filter { $0.kind == ElasticInferencePool.kind }
        let selector = args.positionals.first
        let candidates = pools.filter { pool in
            guard let selector else { return true }
            let parts = selector.split(separator: "/", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (pool.namespace ?? "default") == parts[0] && pool.name == parts[1] : pool.name == selector
        }
        guard candidates.count == 1, var poolObject = candidates.first else {
            if candidates.isEmpty {
                io.err("error: no \(ElasticInferencePool.kind)\(selector.map { " named \($0)" } ?? "") in \(args.all("filename").joined(separator: ", "))")
                return .invalidInput
            }
            throw UsageError("the files hold \(candidates.count) pools (\(candidates.map(\.name).joined(separator: ", "))); name one: eipctl reconcile --dry-run -f … POOL")
        }
        if let stateFile = args.value("state") {
            switch replaceStatus(of: poolObject, from: stateFile, io: io) {
            case .failure(let error): io.err(error.description); return .invalidInput
            case .success(let replaced): poolObject = replaced
            }
        }
        let check = ElasticInferencePool.check(poolObject.value)
        guard let pool = check.pool, let policy = check.policy else {
            for issue in check.errors { io.err("\(poolObject.location(poolObject.mark(for: issue))): error: \(issue)") }
            io.err("error: the pool is invalid; the operator would set Ready=False (InvalidSpec), emit an Event, and leave the Deployment untouched")
            return .invalidInput
        }
        let sample = try MetricsArgument.parse(metricsText, catalog: pool.spec.metricCatalog, sampledAt: now)

        // The cluster the files describe: the pool's Deployment (or one assumed at minReplicas, all
        // ready), HPAs, ScaledObjects and pools, read through the same gathering as the operator's.
        var related = objects.map(\.value)
        var notes: [String] = []
        let targetFiles = args.all("target") + args.all("deployment")
        let kind = pool.spec.targetKind
        // The workload may come with the pool in -f, as kubectl takes several files.
        let targetInFiles = objects.contains { object in
            object.value["kind"]?.stringValue == kind.kind && ObjectMeta(object.value).name == pool.spec.targetName
                && (ObjectMeta(object.value).namespace ?? pool.namespace) == pool.namespace
        }
        let assumed = targetFiles.isEmpty && !targetInFiles
        if !targetFiles.isEmpty {
            switch ManifestLoader.load(targetFiles, recursive: false, io: io) {
            case .failure(let error): io.err(error.description); return .invalidInput
            case .success(let loaded): related += loaded.map(\.value)
            }
        } else if assumed {
            related.append(Self.assumedTarget(kind, name: pool.spec.targetName, namespace: pool.namespace, replicas: policy.minReplicas))
            notes.append("no --\(kind == .deployment ? "deployment" : "target") given: assumed \(kind.kind) \(pool.namespace)/\(pool.spec.targetName) at minReplicas (\(policy.minReplicas)) with all replicas ready")
        }
        if sample.readings.isEmpty { notes.append("no --metrics given: every metric is unknown") }
        let reader = ManifestReader(related, namespace: pool.namespace)
        let decidedAt = now
        let gathered = awaitBlocking { () async -> Result<PlanInputs, PlanInputs.MissingTarget>? in
            try? await PlanInputs.gather(for: pool, policy: policy, from: reader, metrics: FixedSampleSource(sample), now: decidedAt)
        }
        guard case .success(let inputs)? = gathered else {
            let why = if case .failure(let missing)? = gathered { missing.message } else { "\(kind.kind) \(pool.targetKey) not found" }
            io.err("error: \(why) in \(targetFiles.joined(separator: ", ")); the operator would report TargetNotFound")
            return .invalidInput
        }
        let plan = ReconcilePlan(pool: pool, policy: policy, target: inputs.target, sample: inputs.sample, now: now, state: pool.state, context: inputs.context)
        let warnings = check.warnings.map { "\(poolObject.location(poolObject.mark(for: $0))): warning: \($0)" }
        print(PlanRendering(plan: plan, assumedTarget: assumed, warnings: warnings, notes: notes), as: format, io: io)
        return .success
    }

    /// The live mode: the pool, its Deployment, HPAs and pre-pull DaemonSet read from the cluster
    /// through the same gathering as the reconciler's (GETs where it reads its caches).
    private static func live(_ name: String, args: ParsedArguments, io: CommandIO, format: String, metrics metricsText: String, now: Timestamp,
                             clock: any Clock) throws(UsageError) -> ExitCode {
        guard let configuration = EIPCtl.clientConfiguration(args, io: io) else { return .invalidInput }
        let client = KubeClient(configuration: configuration)
        let namespace = args.value("namespace") ?? configuration.namespace
        let poolObject: JSONValue
        switch waitFor({ () async throws(KubeError) in try await client.object(.elasticInferencePools, ObjectKey(namespace: namespace, name: name)) }) {
        case .success(let object?): poolObject = object
        case .success(nil):
            io.err("error: elasticinferencepools.aiops.example.com \"\(name)\" not found in namespace \(namespace)")
            return .invalidInput
        case .failure(let error):
            io.err("error: \(error.message)")
            return .invalidInput
        }
        let check = ElasticInferencePool.check(poolObject)
        guard let pool = check.pool, let policy = check.policy else {
            for issue in check.errors { io.err("error: \(issue)") }
            io.err("error: the pool is invalid; the operator sets Ready=False, emits an Event, and leaves the Deployment untouched")
            return .invalidInput
        }
        let given = try MetricsArgument.parse(metricsText, catalog: pool.spec.metricCatalog, sampledAt: now)
        var notes = ["live: pool, workload, HPAs, ScaledObjects and pools read from \(configuration.transport.server) (context \(configuration.contextName))"]
        let metrics: any MetricsSource = args.value("metrics") == nil ? try LiveMetrics.source(for: pool, args: args, clock: clock) : FixedSampleSource(given)
        let inputs: PlanInputs
        switch waitFor({ () async throws(KubeError) in try await PlanInputs.gather(for: pool, policy: policy, from: client, metrics: metrics, now: now) }) {
        case .success(.success(let found)): inputs = found
        case .success(.failure(let missing)):
            io.err("error: \(missing.message); the operator reports TargetNotFound and waits for it")
            return .invalidInput
        case .failure(let error):
            io.err("error: \(error.message)")
            return .invalidInput
        }
        if args.value("metrics") == nil { notes.append(LiveMetrics.note(for: inputs.sample, source: metrics)) }
        let plan = ReconcilePlan(pool: pool, policy: policy, target: inputs.target, sample: inputs.sample, now: now, state: pool.state, context: inputs.context)
        print(PlanRendering(plan: plan, assumedTarget: false, warnings: check.warnings.map { "warning: \($0)" }, notes: notes), as: format, io: io)
        return .success
    }

    /// A workload of `kind` at `replicas`, all ready, for a dry run without `--target`.
    static func assumedTarget(_ kind: WorkloadKind, name: String, namespace: String, replicas: Int) -> JSONValue {
        if kind == .deployment {
            return .object(DeploymentView(name: name, namespace: namespace, replicas: replicas, readyReplicas: replicas).object)
        }
        let labels: JSONValue = ["app.kubernetes.io/name": .string(name)]
        var spec: JSONObject = ["replicas": .integer(replicas), "selector": ["matchLabels": labels]]
        if kind == .leaderWorkerSet {
            spec["leaderWorkerTemplate"] = ["size": 1, "workerTemplate": ["metadata": ["labels": labels], "spec": ["containers": [["name": "server", "image": "model-server"]]]]]
        } else if kind.supportsWarmup {
            spec["template"] = ["metadata": ["labels": labels], "spec": ["containers": [["name": "server", "image": "model-server"]]]]
        }
        return ["apiVersion": .string(kind.apiVersion), "kind": .string(kind.kind), "metadata": ["name": .string(name), "namespace": .string(namespace)],
                "spec": .object(spec), "status": ["replicas": .integer(replicas), "readyReplicas": .integer(replicas)]]
    }

    /// The outcome of reading the cluster, waited for (a command line runs synchronously).
    private static func waitFor<T: Sendable>(_ read: @escaping @Sendable () async throws(KubeError) -> T) -> Result<T, KubeError> {
        awaitBlocking { () async -> Result<T, KubeError> in
            do throws(KubeError) {
                return .success(try await read())
            } catch {
                return .failure(error)
            }
        }
    }

    private static func print(_ rendering: PlanRendering, as format: String, io: CommandIO) {
        switch format {
        case "json": io.out(rendering.json.prettyText)
        case "yaml": io.writeOut(YAMLEmitter.text(of: rendering.json))
        default: io.writeOut(rendering.text)
        }
    }

    /// The pool with its status replaced by that of `file` (a pool, or a bare status object).
    private static func replaceStatus(of pool: ManifestObject, from file: String, io: CommandIO) -> Result<ManifestObject, ManifestLoadError> {
        switch ManifestLoader.objects(in: file, io: io) {
        case .failure(let error): return .failure(error)
        case .success(let objects):
            guard let first = objects.first else {
                return .failure(ManifestLoadError(file: file, mark: nil, message: "no status in the file"))
            }
            // A pool (its status), this command's own -o json|yaml output (its `state`, so that dry runs
            // chain poll after poll as the operator carries status), or a bare status.
            let status = first.value["status"] ?? first.value["state"] ?? first.value
            guard var object = pool.value.objectValue else { return .success(pool) }
            object["status"] = status
            return .success(ManifestObject(value: .object(object), file: pool.file, document: pool.document, prefix: pool.prefix))
        }
    }
}
