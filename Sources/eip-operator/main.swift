import Autoscaling

// The controller arrives with the controller issue; for now the binary reports its version.
let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
    eip-operator \(EIPVersion.current): the ElasticInferencePool controller.

    USAGE: eip-operator [--version]

    The reconcile loop is not built yet; use `eipctl reconcile --dry-run` to see decisions.
    """)
} else {
    print("eip-operator \(EIPVersion.current)")
}
