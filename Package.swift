// swift-tools-version:6.0
// eip-operator: autoscales GPU model-serving Deployments from threshold expressions.
// No package dependencies by design: only the toolchain and C system libraries.
import PackageDescription

/// Rounding and friends come from libm; targets that do not import Foundation link it themselves.
let libm: [LinkerSetting] = [.linkedLibrary("m", .when(platforms: [.linux]))]

let package = Package(
    name: "eip-operator",
    products: [
        .executable(name: "eipctl", targets: ["eipctl"]),
        .executable(name: "eip-operator", targets: ["eip-operator"]),
        .executable(name: "kube-emulator", targets: ["kube-emulator"]),
        .executable(name: "eip-demo", targets: ["eip-demo"]),
        .library(name: "Autoscaling", targets: ["Autoscaling"]),
        .library(name: "YAML", targets: ["YAML"]),
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "Kube", targets: ["Kube"]),
        .library(name: "KubeObjects", targets: ["KubeObjects"]),
    ],
    targets: [
        // Ordered JSON values, a strict parser and a deterministic serializer.
        .target(name: "JSON", linkerSettings: libm),
        // A mutex-guarded value the thread sanitizer can see through.
        .target(name: "Locking"),
        // "Did you mean …?" for misspelt names (edit distance).
        .target(name: "NameSuggestion"),
        // A YAML reader for Kubernetes manifests and kubeconfig files, producing JSON values.
        .target(name: "YAML", dependencies: ["JSON"], linkerSettings: libm),
        // Kubernetes objects as the operator reads them: object keys, resource paths, typed views, label selectors. Pure.
        .target(name: "KubeObjects", dependencies: ["JSON"]),
        // The pool model, threshold expressions, the decision engine, warmup planning and the plan of writes. Pure: no I/O.
        .target(name: "Autoscaling", dependencies: ["JSON", "KubeObjects", "NameSuggestion", "Locking"], linkerSettings: libm),
        // A blocking HTTP/1.1 server for the emulator and the operator's endpoints; plain, or secured by HTTPKitTLS.
        .target(name: "HTTPKit", dependencies: ["Locking"]),
        // OpenSSL, for the emulator's TLS listener (the client side uses libcurl).
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // Server-side TLS for HTTPKit: the emulator's listener, and the operator's admission webhook (its one TLS listener).
        .target(name: "HTTPKitTLS", dependencies: ["HTTPKit", "COpenSSL", "Locking"]),
        // A stand-in Kubernetes API server for tests, demos and benchmarks (see docs/kube-emulator.md).
        // It calls admission webhooks over HTTPS through HTTPClient (libcurl), as the API server calls them.
        .target(name: "KubeEmulator", dependencies: ["JSON", "YAML", "HTTPKit", "HTTPKitTLS", "Locking", "LoadModel", "HTTPClient"]),
        .executableTarget(name: "kube-emulator", dependencies: ["KubeEmulator", "CommandLineSupport", "LoadModel"]),
        // libcurl, for the HTTP client: typed wrappers around its variadic calls.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // An HTTP client over libcurl (TLS, credentials, timeouts, streaming), with its own errors: the Kubernetes client, pod scrapes and Prometheus use it.
        .target(name: "HTTPClient", dependencies: ["CCurl", "Locking"]),
        // The Kubernetes client: kubeconfig and in-cluster config, verbs, watches, retries, KubeError.
        .target(name: "Kube", dependencies: ["HTTPClient", "JSON", "KubeObjects", "YAML", "Locking"]),
        // The Prometheus text exposition format and histogram quantiles (for the direct-scrape source).
        .target(name: "PrometheusText"),
        // The load model of LOADMODEL.md: server profiles, the fluid-queue pool, traces, seeded noise and
        // the metrics pipelines' views. Pure and deterministic; no autoscaler in it (kube-emulator may use it).
        .target(name: "LoadModel", dependencies: ["JSON", "NameSuggestion"], linkerSettings: libm),
        // `eipctl simulate`: the scalers (the project's engine through one adapter, HPA, KEDA, Knative KPA), scores, plots.
        .target(name: "Simulation", dependencies: ["LoadModel", "Autoscaling", "JSON", "NameSuggestion"], linkerSettings: libm),
        // Where pools' metric values come from: a direct scrape of the pods, the Prometheus HTTP API, fixed values.
        .target(name: "MetricsSources", dependencies: ["Autoscaling", "HTTPClient", "JSON", "Locking", "PrometheusText"]),
        // The controller: informers, work queue, the pool reconciler and its write executor, Events, leader election, the process, its own logs and /metrics.
        .target(name: "Operator", dependencies: ["Autoscaling", "Kube", "MetricsSources", "JSON", "Locking", "HTTPKit"]),
        // Flag parsing for the command-line tools.
        .target(name: "CommandLineSupport", dependencies: ["NameSuggestion"]),
        // The `eipctl` commands, as a library so tests can drive them in-process.
        .target(name: "EIPCtl", dependencies: ["Autoscaling", "YAML", "JSON", "CommandLineSupport", "Kube", "Locking", "MetricsSources", "Operator", "LoadModel", "Simulation"]),
        .executableTarget(name: "eipctl", dependencies: ["EIPCtl"]),
        .executableTarget(name: "eip-operator", dependencies: ["Operator", "MetricsSources", "Autoscaling", "CommandLineSupport", "HTTPKitTLS"]),
        // `make demo`: the real operator on kube-emulator's simulated serving pods, through a traffic spike.
        .target(name: "Demo", dependencies: ["KubeEmulator", "Kube", "LoadModel", "Simulation", "Autoscaling", "JSON", "YAML", "CommandLineSupport", "Locking"]),
        .executableTarget(name: "eip-demo", dependencies: ["Demo", "CommandLineSupport"]),
        // `make bench`: prints medians of many runs; never part of the test suite.
        .executableTarget(name: "eip-bench", dependencies: ["Autoscaling", "YAML", "JSON", "KubeEmulator", "Kube", "Locking", "MetricsSources", "Operator", "PrometheusText", "HTTPKit", "LoadModel", "Simulation"]),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "JSON", "TestSupport"]),
        .testTarget(name: "AutoscalingTests", dependencies: ["Autoscaling", "JSON", "YAML", "TestSupport"]),
        // Test helpers (commands, certificates made with the openssl CLI, a seeded generator, the trait that runs blocking suites off the cooperative pool).
        .target(name: "TestSupport", dependencies: ["Locking", "LoadModel"], path: "Tests/TestSupport"),
        // Test doubles of the operator: a manual clock, scripted metrics, a recording log sink.
        .target(name: "TestDoubles", dependencies: ["Autoscaling", "Locking", "MetricsSources", "Operator"], path: "Tests/TestDoubles"),
        .testTarget(name: "OperatorTests", dependencies: ["Operator", "MetricsSources", "Autoscaling", "Kube", "KubeEmulator", "JSON", "YAML", "Locking", "PrometheusText", "HTTPKit", "HTTPKitTLS", "TestSupport", "TestDoubles"]),
        .testTarget(name: "PrometheusTextTests", dependencies: ["PrometheusText"], resources: [.copy("Fixtures"), .copy("FuzzCorpus")]),
        .testTarget(name: "KubeTests", dependencies: ["Kube", "KubeEmulator", "JSON", "Locking", "TestSupport"]),
        .testTarget(name: "KubeEmulatorTests", dependencies: ["KubeEmulator", "JSON", "YAML", "Locking", "TestSupport", "HTTPKit", "HTTPKitTLS"]),
        .testTarget(name: "LoadModelTests", dependencies: ["LoadModel", "JSON", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "LoadModel", "Autoscaling", "JSON", "YAML", "TestSupport"]),
        // The install layout (config/, Manifests/, the Dockerfile, the Makefile) and the monitoring config.
        .testTarget(name: "PackagingTests", dependencies: ["JSON", "YAML", "KubeEmulator", "TestSupport"]),
        // The demo: kube-emulator's simulated serving pods as the operator reads them, and eip-demo end to end.
        .testTarget(name: "DemoTests", dependencies: ["Demo", "KubeEmulator", "LoadModel", "MetricsSources", "PrometheusText", "Simulation", "Autoscaling", "JSON", "YAML", "Locking", "TestSupport"]),
        // HTTPKit's request reader and chunked bodies: the bugs its fuzz harness found, kept as tests.
        .testTarget(name: "HTTPKitTests", dependencies: ["HTTPKit"]),
        .testTarget(name: "EIPCtlTests", dependencies: ["EIPCtl", "CommandLineSupport", "Autoscaling", "JSON", "Kube", "KubeEmulator", "YAML", "HTTPKit", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
