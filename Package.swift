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
        .library(name: "Autoscaling", targets: ["Autoscaling"]),
        .library(name: "YAML", targets: ["YAML"]),
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "Kube", targets: ["Kube"]),
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
        // The pool model, threshold expressions, the decision engine and warmup planning. Pure: no I/O.
        .target(name: "Autoscaling", dependencies: ["JSON", "NameSuggestion", "Locking"], linkerSettings: libm),
        // OpenSSL, for the emulator's TLS listener (the client side uses libcurl).
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // A blocking HTTP/1.1 server (plain or TLS) for the emulator and the operator's endpoints.
        .target(name: "HTTPKit", dependencies: ["COpenSSL", "Locking"]),
        // A stand-in Kubernetes API server for tests, demos and benchmarks (see docs/kube-emulator.md).
        .target(name: "KubeEmulator", dependencies: ["JSON", "YAML", "HTTPKit", "Locking"]),
        .executableTarget(name: "kube-emulator", dependencies: ["KubeEmulator", "CommandLineSupport"]),
        // libcurl, for the Kubernetes client: typed wrappers around its variadic calls.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The Kubernetes client: kubeconfig and in-cluster config, raw HTTPS through libcurl, verbs, watches.
        .target(name: "Kube", dependencies: ["CCurl", "JSON", "YAML", "Locking"]),
        // The controller: work queue, informers, the pool reconciler, conditions, events.
        .target(name: "Operator", dependencies: ["Autoscaling", "Kube", "JSON", "Locking", "HTTPKit", "PrometheusText"]),
        // The Prometheus text exposition format and histogram quantiles (for the direct-scrape source).
        .target(name: "PrometheusText"),
        // Flag parsing for the command-line tools.
        .target(name: "CommandLineSupport", dependencies: ["NameSuggestion"]),
        // The `eipctl` commands, as a library so tests can drive them in-process.
        .target(name: "EIPCtl", dependencies: ["Autoscaling", "YAML", "JSON", "CommandLineSupport", "Kube", "Locking", "Operator"]),
        .executableTarget(name: "eipctl", dependencies: ["EIPCtl"]),
        .executableTarget(name: "eip-operator", dependencies: ["Operator", "Autoscaling", "CommandLineSupport"]),
        // `make bench`: prints medians of many runs; never part of the test suite.
        .executableTarget(name: "eip-bench", dependencies: ["Autoscaling", "YAML", "JSON", "KubeEmulator", "Kube", "Locking", "Operator", "PrometheusText", "HTTPKit"]),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "JSON", "TestSupport"]),
        .testTarget(name: "AutoscalingTests", dependencies: ["Autoscaling", "JSON", "YAML", "TestSupport"]),
        // Test helpers (commands, certificates made with the openssl CLI); used by test targets only.
        .target(name: "TestSupport", dependencies: ["Locking"], path: "Tests/TestSupport"),
        .testTarget(name: "OperatorTests", dependencies: ["Operator", "Autoscaling", "Kube", "KubeEmulator", "JSON", "YAML", "Locking", "PrometheusText", "HTTPKit", "TestSupport"]),
        .testTarget(name: "PrometheusTextTests", dependencies: ["PrometheusText"], resources: [.copy("Fixtures"), .copy("FuzzCorpus")]),
        .testTarget(name: "KubeTests", dependencies: ["Kube", "KubeEmulator", "JSON", "Locking", "TestSupport"]),
        .testTarget(name: "KubeEmulatorTests", dependencies: ["KubeEmulator", "JSON", "YAML", "Locking", "TestSupport"]),
        .testTarget(name: "HTTPKitTests", dependencies: ["HTTPKit"]),
        .testTarget(name: "EIPCtlTests", dependencies: ["EIPCtl", "CommandLineSupport", "Autoscaling", "JSON", "Kube", "KubeEmulator", "YAML", "HTTPKit", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
