import JSON

/// The result of reading one pool object: the pool with defaults applied, its compiled policy,
/// and every issue found. `policy` is nil exactly when there is an error.
public struct PoolCheck: Sendable {
    /// The pool with defaults applied; nil when the object is too broken to read one.
    public let pool: ElasticInferencePool?
    /// The compiled policy; nil exactly when there is an error.
    public let policy: ScalingPolicy?
    /// Every error and warning, in field order.
    public let issues: [FieldIssue]

    /// The errors.
    public var errors: [FieldIssue] { issues.filter { $0.severity == .error } }
    /// The warnings (lints).
    public var warnings: [FieldIssue] { issues.filter { $0.severity == .warning } }
    /// No errors.
    public var isValid: Bool { policy != nil }
}

extension ElasticInferencePool {
    /// The members of `spec`, as the CRD schema declares them.
    static let specFields = [
        "modelRef", "targetRef", "minReplicas", "maxReplicas", "scaleUpThreshold", "scaleDownThreshold",
        "warmupStrategy", "metrics", "behavior", "paused",
    ]

    /// The members of a core/v1 Container in Kubernetes 1.27, the oldest the CRD supports (its
    /// schema for `warmupStrategy.initContainers` is that Container's, scripts/container-schema.py):
    /// a misspelt one (`comand`) is an error here as it is at apply time.
    static let containerFields = [
        "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "resizePolicy", "volumeMounts",
        "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
        "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
    ]

    /// Reads and validates a pool object (SPEC §2–§3): types, required fields, ranges, names,
    /// unknown fields, `minReplicas <= maxReplicas`, the threshold expressions, and the lints.
    /// - Parameter cache: where parsed expressions are kept; pass the operator's shared cache.
    public static func check(_ object: JSONValue, cache: ThresholdExpressionCache? = nil) -> PoolCheck {
        var reader = FieldReader()
        let root = FieldPath()
        guard let top = reader.object(object, at: root, required: true) else {
            return PoolCheck(pool: nil, policy: nil, issues: reader.issues)
        }
        let apiVersion = top["apiVersion"]?.stringValue
        if apiVersion != Self.apiVersion {
            reader.error(root.appending("apiVersion"), "expected \"\(Self.apiVersion)\", found \(top["apiVersion"]?.compactText ?? "nothing")")
        }
        if top["kind"]?.stringValue != Self.kind {
            reader.error(root.appending("kind"), "expected \"\(Self.kind)\", found \(top["kind"]?.compactText ?? "nothing")")
        }
        reader.rejectUnknownFields(top, known: ["apiVersion", "kind", "metadata", "spec", "status"], at: root)

        // metadata
        let metadataPath = root.appending("metadata")
        let metadata = reader.object(top["metadata"], at: metadataPath, required: true)
        let name = reader.string(metadata, "name", at: metadataPath, required: true) ?? ""
        if !name.isEmpty, !KubernetesNames.isDNS1123Subdomain(name) {
            reader.error(metadataPath.appending("name"), "\"\(name)\" is not a valid name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit")
        }
        let namespace = reader.string(metadata, "namespace", at: metadataPath) ?? "default"
        if !KubernetesNames.isDNS1123Label(namespace) {
            reader.error(metadataPath.appending("namespace"), "\"\(namespace)\" is not a valid namespace name")
        }

        // spec
        let specPath = root.appending("spec")
        let spec = reader.object(top["spec"], at: specPath, required: true)
        let decoded = decodeSpec(spec, at: specPath, reader: &reader)
        let state = decodeState(top["status"], at: root.appending("status"), reader: &reader)

        // Expressions: parse (through the cache), then lint the pair.
        var up: ThresholdExpression?
        var down: ThresholdExpression?
        if let spec = decoded {
            let catalog = spec.metricCatalog
            up = parseThreshold(spec.scaleUpThreshold, at: specPath.appending("scaleUpThreshold"), catalog: catalog, cache: cache, reader: &reader)
            down = parseThreshold(spec.scaleDownThreshold, at: specPath.appending("scaleDownThreshold"), catalog: catalog, cache: cache, reader: &reader)
            if let up, let down {
                for lint in ThresholdLint.lint(scaleUp: up, scaleDown: down) {
                    reader.warning(specPath.appending(lint.rule.rawValue), lint.message, column: lint.column)
                }
            }
        }

        let pool = decoded.map {
            ElasticInferencePool(
                name: name, namespace: namespace,
                uid: metadata?["uid"]?.stringValue, generation: metadata?["generation"]?.intValue,
                resourceVersion: metadata?["resourceVersion"]?.stringValue, spec: $0, state: state,
                status: top["status"]?.objectValue ?? [:])
        }
        let hasErrors = reader.issues.contains { $0.severity == .error }
        var policy: ScalingPolicy?
        if !hasErrors, let spec = decoded, let up, let down {
            policy = ScalingPolicy(minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, scaleUp: up, scaleDown: down,
                                   behavior: spec.behavior, paused: spec.paused,
                                   metricsWindowSeconds: spec.metrics?.metricsWindowSeconds(pollInterval: spec.behavior.pollIntervalSeconds),
                                   gaugeLagSeconds: spec.metrics?.gaugeLagSeconds(pollInterval: spec.behavior.pollIntervalSeconds))
        }
        return PoolCheck(pool: pool, policy: policy, issues: reader.issues)
    }

    private static func parseThreshold(_ text: String, at path: FieldPath, catalog: MetricCatalog, cache: ThresholdExpressionCache?,
                                       reader: inout FieldReader) -> ThresholdExpression? {
        guard !text.isEmpty else { return nil }  // already reported as required
        do throws(ThresholdExpressionError) {
            if let cache { return try cache.expression(for: text, catalog: catalog) }
            return try ThresholdExpression(parsing: text, catalog: catalog)
        } catch {
            reader.error(path, error.message, column: error.column)
            return nil
        }
    }

    private static func decodeSpec(_ spec: JSONObject?, at path: FieldPath, reader: inout FieldReader) -> PoolSpec? {
        guard let spec else { return nil }
        reader.rejectUnknownFields(spec, known: specFields, at: path)
        let modelRef = reader.string(spec, "modelRef", at: path, required: true) ?? ""

        // targetRef: the kind (a Deployment unless it says) and the name, defaulting to modelRef.
        let targetPath = path.appending("targetRef")
        let targetRef = reader.object(spec["targetRef"], at: targetPath)
        if let targetRef { reader.rejectUnknownFields(targetRef, known: ["name", "kind", "apiVersion"], at: targetPath) }
        let targetKind = decodeTargetKind(targetRef, at: targetPath, reader: &reader)
        let explicitTarget = reader.string(targetRef, "name", at: targetPath, required: targetRef != nil)
        let targetName = Self.targetName(ofSpec: .object(spec)) ?? ""
        if !targetName.isEmpty, !KubernetesNames.isDNS1123Subdomain(targetName) {
            if explicitTarget != nil {
                reader.error(targetPath.appending("name"), "\"\(targetName)\" is not a valid \(targetKind.kind) name")
            } else {
                reader.error(path.appending("modelRef"), "the target Deployment defaults to modelRef, and \"\(targetName)\" is not a valid Deployment name; set spec.targetRef.name")
            }
        }

        let minReplicas = reader.integer(spec, "minReplicas", at: path, default: Defaults.minReplicas, range: 1...Defaults.maxReplicasLimit) ?? Defaults.minReplicas
        let maxReplicas = reader.integer(spec, "maxReplicas", at: path, default: nil, range: 1...Defaults.maxReplicasLimit)
        if let maxReplicas, minReplicas > maxReplicas {
            reader.error(path.appending("minReplicas"), "minReplicas (\(minReplicas)) must not be greater than maxReplicas (\(maxReplicas))")
        }
        let up = reader.string(spec, "scaleUpThreshold", at: path, required: true) ?? ""
        let down = reader.string(spec, "scaleDownThreshold", at: path, required: true) ?? ""
        let warmup = decodeWarmup(spec["warmupStrategy"], at: path.appending("warmupStrategy"), reader: &reader)
        let metrics = decodeMetrics(spec["metrics"], at: path.appending("metrics"), modelRef: modelRef, reader: &reader)
        let behavior = decodeBehavior(spec["behavior"], at: path.appending("behavior"),
                                      replicas: minReplicas...max(minReplicas, maxReplicas ?? minReplicas), reader: &reader)
        let paused = reader.bool(spec, "paused", at: path, default: false)
        if !targetKind.supportsWarmup, !warmup.initContainers.isEmpty || !warmup.preloadedImages.isEmpty {
            reader.warning(path.appending("warmupStrategy"), "\(targetKind.kind) has no pod template at a path the operator knows; warmup applies to Deployment, StatefulSet and LeaderWorkerSet, and is refused here (WarmupReady=False)")
        }
        return PoolSpec(modelRef: modelRef, targetName: targetName, targetKind: targetKind, minReplicas: minReplicas, maxReplicas: maxReplicas ?? minReplicas,
                        scaleUpThreshold: up, scaleDownThreshold: down, warmup: warmup, metrics: metrics, behavior: behavior, paused: paused)
    }

    /// `targetRef.apiVersion` and `.kind`: a Deployment unless they say otherwise; a known kind may
    /// leave out its apiVersion, another kind must give it (its group is where discovery looks).
    private static func decodeTargetKind(_ targetRef: JSONObject?, at path: FieldPath, reader: inout FieldReader) -> WorkloadKind {
        let kind = reader.string(targetRef, "kind", at: path) ?? WorkloadKind.deployment.kind
        let apiVersion = reader.string(targetRef, "apiVersion", at: path)
        let known = WorkloadKind.known.first { $0.kind == kind }
        if !KubernetesNames.isKind(kind) {
            reader.error(path.appending("kind"), "\"\(kind)\" is not a kind (an upper-case letter, then letters and digits, as StatefulSet)")
            return .deployment
        }
        if let apiVersion, !KubernetesNames.isAPIVersion(apiVersion) {
            reader.error(path.appending("apiVersion"), "\"\(apiVersion)\" is not an apiVersion (GROUP/VERSION, as apps/v1)")
            return .deployment
        }
        if let known {
            if let apiVersion, apiVersion != known.apiVersion {
                reader.error(path.appending("apiVersion"), "\(kind) is \(known.apiVersion), not \(apiVersion)")
            }
            return known
        }
        guard let apiVersion else {
            reader.error(path.appending("apiVersion"), "required for kind \(kind): the API group and version that serve it (as leaderworkerset.x-k8s.io/v1)")
            return .deployment
        }
        return WorkloadKind(apiVersion: apiVersion, kind: kind)
    }

    private static func decodeWarmup(_ value: JSONValue?, at path: FieldPath, reader: inout FieldReader) -> WarmupStrategy {
        guard let warmup = reader.object(value, at: path) else { return WarmupStrategy() }
        reader.rejectUnknownFields(warmup, known: ["initContainers", "preloadedImages", "prePullCommand"], at: path)
        var containers: [JSONObject] = []
        var names: Set<String> = []
        let containersPath = path.appending("initContainers")
        for (i, item) in (reader.array(warmup["initContainers"], at: containersPath) ?? []).enumerated() {
            let itemPath = containersPath.appending(index: i)
            guard let container = reader.object(item, at: itemPath, required: true) else { continue }
            reader.rejectUnknownFields(container, known: Self.containerFields, at: itemPath)
            let name = reader.string(container, "name", at: itemPath, required: true) ?? ""
            if !name.isEmpty {
                if !KubernetesNames.isDNS1123Label(name) {
                    reader.error(itemPath.appending("name"), "\"\(name)\" is not a valid container name (DNS-1123 label: lower-case letters, digits and '-', at most 63)")
                } else if !names.insert(name).inserted {
                    reader.error(itemPath.appending("name"), "duplicate init container name \"\(name)\"")
                }
            }
            let image = reader.string(container, "image", at: itemPath, required: true) ?? ""
            if !image.isEmpty, !KubernetesNames.isImageReference(image) {
                reader.error(itemPath.appending("image"), "\"\(image)\" is not a valid image reference")
            }
            containers.append(container)
        }
        let imagesPath = path.appending("preloadedImages")
        let images = reader.stringList(warmup, "preloadedImages", at: path) ?? []
        var uniqueImages: [String] = []
        for (i, image) in images.enumerated() {
            if !KubernetesNames.isImageReference(image) {
                reader.error(imagesPath.appending(index: i), "\"\(image)\" is not a valid image reference")
            } else if uniqueImages.contains(image) {
                reader.warning(imagesPath.appending(index: i), "\"\(image)\" is listed twice; it is pulled once")
            } else {
                uniqueImages.append(image)
            }
        }
        var command = Defaults.prePullCommand
        if let given = reader.stringList(warmup, "prePullCommand", at: path) {
            if given.isEmpty { reader.error(path.appending("prePullCommand"), "must not be empty") } else { command = given }
        }
        return WarmupStrategy(initContainers: containers, preloadedImages: uniqueImages, prePullCommand: command)
    }

    private static func decodeBehavior(_ value: JSONValue?, at path: FieldPath, replicas: ClosedRange<Int>,
                                       reader: inout FieldReader) -> ScalingBehavior {
        guard let behavior = reader.object(value, at: path) else { return ScalingBehavior() }
        reader.rejectUnknownFields(behavior, known: ["pollInterval", "scaleUp", "scaleDown", "fallback"], at: path)
        var result = ScalingBehavior()
        if let text = reader.string(behavior, "pollInterval", at: path) {
            if let seconds = DurationText.seconds(text), seconds >= Defaults.minimumPollIntervalSeconds, seconds <= 3600 {
                result.pollIntervalSeconds = seconds
            } else {
                reader.error(path.appending("pollInterval"), "expected a duration from 1s to 1h such as \"5s\" or \"1m30s\", not \"\(text)\"")
            }
        }
        result.scaleUp = decodeStep(behavior["scaleUp"], at: path.appending("scaleUp"), defaults: .defaultScaleUp, reader: &reader)
        result.scaleDown = decodeStep(behavior["scaleDown"], at: path.appending("scaleDown"), defaults: .defaultScaleDown, reader: &reader)
        let fallbackPath = path.appending("fallback")
        if let fallback = reader.object(behavior["fallback"], at: fallbackPath) {
            reader.rejectUnknownFields(fallback, known: ["failureThreshold", "replicas"], at: fallbackPath)
            let threshold = reader.integer(fallback, "failureThreshold", at: fallbackPath, default: Defaults.fallbackFailureThreshold, range: 1...1000)
            if let count = reader.integer(fallback, "replicas", at: fallbackPath, default: nil, range: 1...Defaults.maxReplicasLimit) {
                // An error, as the CRD's CEL rule says: a fallback the bounds would override is a mistake, not a plan.
                if !replicas.contains(count) {
                    reader.error(fallbackPath.appending("replicas"), "\(count) is outside minReplicas..maxReplicas (\(replicas.lowerBound)...\(replicas.upperBound))")
                }
                result.fallback = FallbackPolicy(failureThreshold: threshold ?? Defaults.fallbackFailureThreshold, replicas: count)
            }
        }
        return result
    }

    private static func decodeStep(_ value: JSONValue?, at path: FieldPath, defaults: StepPolicy, reader: inout FieldReader) -> StepPolicy {
        guard let step = reader.object(value, at: path) else { return defaults }
        reader.rejectUnknownFields(step, known: ["pods", "percent", "periodSeconds", "stabilizationWindowSeconds"], at: path)
        let pods = reader.integer(step, "pods", at: path, default: defaults.pods, range: 0...Defaults.maxReplicasLimit) ?? defaults.pods
        let percent = reader.integer(step, "percent", at: path, default: defaults.percent, range: 0...1000) ?? defaults.percent
        if pods == 0 && percent == 0 { reader.error(path, "pods and percent are both 0, so no step could ever be taken") }
        // HPA's limits: a policy period of at most 1800 s, a stabilisation window of at most 3600 s.
        let period = reader.integer(step, "periodSeconds", at: path, default: defaults.periodSeconds, range: 1...1800) ?? defaults.periodSeconds
        let window = reader.integer(step, "stabilizationWindowSeconds", at: path, default: defaults.stabilizationWindowSeconds, range: 0...3600)
            ?? defaults.stabilizationWindowSeconds
        return StepPolicy(pods: pods, percent: percent, periodSeconds: period, stabilizationWindowSeconds: window)
    }

    /// The scaling state from status. Unreadable fields are warned about and treated as absent,
    /// which only ever delays a scale-down: it never skips a window.
    private static func decodeState(_ value: JSONValue?, at path: FieldPath, reader: inout FieldReader) -> ScalingState {
        guard let status = value?.objectValue else { return ScalingState() }
        func time(_ key: String) -> Timestamp? {
            guard let v = status[key], !v.isNull else { return nil }
            guard let text = v.stringValue, let t = Timestamp(rfc3339: text) else {
                reader.warning(path.appending(key), "not an RFC 3339 time (\(v.compactText)); ignored")
                return nil
            }
            return t
        }
        let learned = LearnedState.decode(status["learned"]) { field, message in reader.warning(path.appending(field), message) }
        return ScalingState(
            scaleUpCandidateSince: time("scaleUpCandidateSince"), scaleDownCandidateSince: time("scaleDownCandidateSince"),
            lastScaleUpTime: time("lastScaleUpTime"), lastScaleDownTime: time("lastScaleDownTime"),
            consecutiveMetricFailures: max(0, status["consecutiveMetricFailures"]?.intValue ?? 0),
            metricsFailingSince: time("metricsFailingSince"), learned: learned)
    }
}
