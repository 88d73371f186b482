import Autoscaling
import Foundation
import JSON
import YAML

/// Why the demo cannot start: a file it cannot read, a pool it cannot run. Said once, plainly.
public struct DemoError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// The objects the demo applies: the pool (its behavior compressed by the speed), its target
/// Deployment, and the CRDs; with the pool as written, for the comparison with `eipctl simulate`.
struct DemoManifests {
    /// The pool as the file has it (trace time), validated.
    let pool: ElasticInferencePool
    let policy: ScalingPolicy
    /// The object applied: the file's pool with `spec.behavior` compressed (``Compression``).
    let appliedPool: JSONValue
    let compression: Compression
    /// The Deployment applied, and where it came from (a file, or made from the pool).
    let deployment: JSONValue
    let deploymentOrigin: String
    /// The CustomResourceDefinitions of the CRD folder.
    let crds: [JSONValue]
    /// What the demo changed in the pool besides its timing (a Prometheus source replaced by the direct scrape).
    let notes: [String]

    /// The sample pool the demo runs by default, and the Deployment that goes with it.
    static let samplePool = "Manifests/samples/bert-triton-pool.yaml"
    static let sampleDeployment = "Manifests/samples/bert-triton-deployment.yaml"

    init(options: DemoOptions) throws(DemoError) {
        let poolObject = try Self.single(kind: ElasticInferencePool.kind, in: options.pool)
        var object = poolObject
        var notes: [String] = []
        if object["spec"]?["metrics"]?["source"]?.stringValue == MetricsSourceSpec.Kind.prometheus.rawValue {
            // The simulated pods are scraped directly; nothing runs Prometheus here.
            object = object.setting(["spec", "metrics"], to: ["source": "PodScrape"])
            notes.append("the pool reads Prometheus; the demo has none, so it reads the same pods through the direct scrape")
        }
        let check = ElasticInferencePool.check(object)
        guard let pool = check.pool, let policy = check.policy else {
            throw DemoError("\(options.pool): the pool is invalid:\n" + check.errors.map { "  \($0)" }.joined(separator: "\n"))
        }
        self.pool = pool
        self.policy = policy
        compression = Compression(behavior: pool.spec.behavior, rateWindow: pool.spec.metrics?.scrapeRateWindowSeconds ?? Defaults.scrapeRateWindowSeconds,
                                  speed: options.speed)
        appliedPool = object.setting(["spec", "behavior"], to: compression.behaviorJSON(keeping: object["spec"]?["behavior"]))
            .setting(["spec", "metrics", "source"], to: .string(MetricsSourceSpec.Kind.podScrape.rawValue))
            .setting(["spec", "metrics", "podScrape", "rateWindow"], to: .string(Compression.duration(compression.appliedRateWindow)))
        // The applied pool must be valid too (a compressed window is still in range).
        let appliedCheck = ElasticInferencePool.check(appliedPool)
        guard appliedCheck.isValid else {
            throw DemoError("the pool compressed by --speed \(options.speed) is invalid:\n" + appliedCheck.errors.map { "  \($0)" }.joined(separator: "\n"))
        }

        let target = (namespace: pool.namespace, name: pool.spec.targetName)
        if let path = options.deployment ?? (options.pool == Self.samplePool ? Self.sampleDeployment : nil) {
            var deployment = try Self.single(kind: "Deployment", in: path)
            let name = deployment["metadata"]?["name"]?.stringValue
            let namespace = deployment["metadata"]?["namespace"]?.stringValue ?? "default"
            guard name == target.name, namespace == target.namespace else {
                throw DemoError("\(path): the Deployment is \(namespace)/\(name ?? "?"), but the pool targets \(target.namespace)/\(target.name)")
            }
            // What a live cluster reported when the file was written is not the demo's state.
            if case .object(var fields) = deployment { fields["status"] = nil; deployment = .object(fields) }
            self.deployment = deployment.setting(["spec", "replicas"], to: .integer(pool.spec.minReplicas))
            deploymentOrigin = path
        } else {
            deployment = Self.minimalDeployment(namespace: target.namespace, name: target.name, model: pool.spec.modelMatch.name, replicas: pool.spec.minReplicas,
                                                port: pool.spec.metrics?.scrapePort ?? Defaults.scrapePort)
            deploymentOrigin = "a Triton Deployment made for the pool"
        }

        crds = try Self.documents(inFolder: options.crds).filter { $0["kind"]?.stringValue == "CustomResourceDefinition" }
        guard !crds.isEmpty else { throw DemoError("\(options.crds): no CustomResourceDefinition found; run from the repository root or pass --crds") }
        self.notes = notes
    }

    /// The port the pool scrapes: where the simulated pods serve `/metrics`.
    var scrapePort: Int { pool.spec.metrics?.scrapePort ?? Defaults.scrapePort }

    /// A Deployment of one Triton container serving `model` (explicit model control, so its series
    /// carry the name the pool matches) and metrics on `port`, as the sample's.
    static func minimalDeployment(namespace: String, name: String, model: String, replicas: Int, port: Int) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": ["app": .string(name)]],
            "spec": [
                "replicas": .integer(replicas),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [[
                        "name": "triton", "image": "nvcr.io/nvidia/tritonserver:24.01-py3",
                        "args": ["tritonserver", "--model-repository=/models", "--model-control-mode=explicit", .string("--load-model=\(model)"),
                                 .string("--metrics-port=\(port)")],
                        "ports": [["name": "metrics", "containerPort": .integer(port)]],
                        "resources": ["limits": ["nvidia.com/gpu": 1]],
                    ]]],
                ],
            ],
        ]
    }

    /// The one object of `kind` in a YAML file.
    static func single(kind: String, in path: String) throws(DemoError) -> JSONValue {
        let matching = try documents(in: path).filter { $0["kind"]?.stringValue == kind }
        guard let object = matching.first, matching.count == 1 else {
            throw DemoError("\(path): expected one \(kind), found \(matching.count)")
        }
        return object
    }

    /// The YAML documents of a file.
    static func documents(in path: String) throws(DemoError) -> [JSONValue] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DemoError("\(path): cannot read the file (run from the repository root, or pass the path)")
        }
        do throws(YAMLError) {
            return try YAMLReader.jsonValues(in: text).filter { !$0.isNull }
        } catch {
            throw DemoError("\(path):\(error.mark.line):\(error.mark.column): error: \(error.message)")
        }
    }

    /// The YAML documents of every `.yaml`/`.yml` file of a folder, in name order.
    static func documents(inFolder path: String) throws(DemoError) -> [JSONValue] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            throw DemoError("\(path): cannot read the folder (run from the repository root, or pass --crds)")
        }
        var all: [JSONValue] = []
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            all += try documents(in: path + "/" + name)
        }
        return all
    }
}

extension JSONValue {
    /// This object with the value at `path` (keys of nested objects, created as needed) replaced.
    func setting(_ path: [String], to value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        var fields = objectValue ?? [:]
        fields[key] = (fields[key] ?? .object([:])).setting(Array(path.dropFirst()), to: value)
        return .object(fields)
    }
}
