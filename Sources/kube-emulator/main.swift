import CommandLineSupport
import Foundation
import KubeEmulator
import LoadModel

let spec = CommandSpec(
    name: "kube-emulator",
    abstract: "A throwaway Kubernetes API server for tests, demos and benchmarks (see docs/kube-emulator.md).",
    usage: "kube-emulator [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE [--tls-ca FILE]] [--token-file FILE] [--kubeconfig-out FILE] [--serve-trace TRACE [--speed N] [--cold-start 10s]]",
    discussion: """
    Serves the Kubernetes API over HTTPS (with --tls-cert and --tls-key) or plain HTTP. The first line
    on standard output is 'listening on URL'. With --token-file, requests need 'Authorization: Bearer T'
    for a token T listed in the file (re-read when it changes). --kubeconfig-out writes a kubeconfig
    (server, --tls-ca as certificate-authority, the file's first token) for kubectl and eipctl.
    Stops on SIGINT or SIGTERM.

    Simulated serving pods (--serve-trace): each Ready pod of a Deployment serves a Triton-like
    /metrics on its pod IP (port --serve-port), driven by the load model of 'eipctl simulate': the
    trace's requests per second spread over the Deployment's Ready pods, latency and GPU utilisation
    from the profile. Pods become Ready after the profile's cold start. The trace starts when the
    first pod is Ready; --speed N plays N seconds of it per wall second (pods are then Ready after
    cold start / N, and counters grow by the trace's requests per wall second).
    """,
    options: [
        OptionSpec(["--listen"], value: "HOST:PORT", help: "Address to listen on (default 127.0.0.1:0; port 0 picks a free one)."),
        OptionSpec(["--tls-cert"], value: "FILE", help: "PEM server certificate (chain)."),
        OptionSpec(["--tls-key"], value: "FILE", help: "PEM private key of the certificate."),
        OptionSpec(["--tls-ca"], value: "FILE", help: "The CA to name in the kubeconfig written by --kubeconfig-out."),
        OptionSpec(["--token-file"], value: "FILE", help: "Bearer tokens accepted, one per line."),
        OptionSpec(["--client-ca"], value: "FILE", help: "With TLS: accept client certificates signed by this CA (x509 authentication)."),
        OptionSpec(["--kubeconfig-out"], value: "FILE", help: "Write a kubeconfig for this server here."),
        OptionSpec(["--bookmark-interval"], value: "SECONDS", help: "Seconds between watch bookmarks (default 60)."),
        OptionSpec(["--pod-start-delay"], value: "DURATION", help: "Fake kubelet: time from a Pod's creation to Ready, as 500ms, 2s, 1m (default 1s; 'off' disables the kubelet)."),
        OptionSpec(["--nodes"], value: "N", help: "Fake kubelet: nodes to pretend (DaemonSets get one Pod each; default 1)."),
        OptionSpec(["--expired-watch-answer"], value: "FORM",
                   help: "How a watch from an expired resourceVersion is answered: error-event (HTTP 200 and an ERROR event with the 410 Status, as the API server does; the default) or http-status (HTTP 410)."),
        OptionSpec(["--serve-trace"], value: "TRACE", help: "Simulated serving pods on this traffic: builtin:NAME (spike, diurnal, step, bursts, ramp, idle, walk), or a CSV (time,qps) or Prometheus range-query JSON file."),
        OptionSpec(["--serve-profile"], value: "PROFILE", help: "With --serve-trace: the server each pod is: builtin:h100-bert (default), builtin:gpu-bound, or a YAML/JSON profile file."),
        OptionSpec(["--cold-start"], value: "DURATION", help: "With --serve-trace: trace time from a pod's creation to Ready (default: the profile's, 10s)."),
        OptionSpec(["--speed"], value: "N", help: "With --serve-trace: trace seconds played per wall second (default 1)."),
        OptionSpec(["--serve-port"], value: "PORT", help: "With --serve-trace: the port of each pod's /metrics (default 8002, Triton's)."),
        OptionSpec(["--seed"], value: "N", help: "With --serve-trace: the seed of a built-in trace's noise (default 1)."),
    ])

func fail(_ message: String, code: Int32) -> Never {
    try? FileHandle.standardError.write(contentsOf: Data("kube-emulator: \(message)\n".utf8))
    exit(code)
}

let arguments: ParsedArguments
do {
    arguments = try ParsedArguments.parse(Array(CommandLine.arguments.dropFirst()), for: spec)
} catch {
    fail("\(error.message)\nRun 'kube-emulator --help' for usage.", code: 2)
}
if arguments.has("help") {
    print(spec.helpText, terminator: "")
    exit(0)
}
var configuration = KubeEmulator.Configuration()
if let listen = arguments.value("listen") {
    let parts = listen.split(separator: ":", maxSplits: 1)
    guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else { fail("--listen: expected HOST:PORT, not '\(listen)'", code: 2) }
    configuration.host = String(parts[0])
    configuration.port = port
}
configuration.tlsCertificateFile = arguments.value("tls-cert")
configuration.tlsKeyFile = arguments.value("tls-key")
configuration.tokenFile = arguments.value("token-file")
configuration.clientCAFile = arguments.value("client-ca")
if let interval = arguments.value("bookmark-interval") {
    guard let seconds = Double(interval), seconds > 0 else { fail("--bookmark-interval: expected seconds, not '\(interval)'", code: 2) }
    configuration.bookmarkIntervalSeconds = seconds
}

if let delay = arguments.value("pod-start-delay") {
    if delay == "off" {
        configuration.podStartDelaySeconds = nil
    } else {
        guard let seconds = durationSeconds(delay) else { fail("--pod-start-delay: expected a duration such as 500ms, 2s or 1m, not '\(delay)'", code: 2) }
        configuration.podStartDelaySeconds = seconds
    }
}
if let nodes = arguments.value("nodes") {
    guard let count = Int(nodes), count >= 1 else { fail("--nodes: expected a positive number, not '\(nodes)'", code: 2) }
    configuration.nodes = count
}

if let answer = arguments.value("expired-watch-answer") {
    switch answer {
    case "error-event": configuration.expiredWatchAnswer = .errorEvent
    case "http-status": configuration.expiredWatchAnswer = .httpStatus
    default: fail("--expired-watch-answer: expected error-event or http-status, not '\(answer)'", code: 2)
    }
}

if let traceArgument = arguments.value("serve-trace") {
    if arguments.value("pod-start-delay") != nil { fail("--pod-start-delay and --serve-trace go separately: simulated pods are Ready after the cold start (--cold-start)", code: 2) }
    let seedText = arguments.value("seed") ?? "1"
    guard let seed = UInt64(seedText) else { fail("--seed: expected a whole number, not '\(seedText)'", code: 2) }
    var speed = 1.0
    if let text = arguments.value("speed") {
        guard let value = Double(text), value > 0, value <= 10_000 else { fail("--speed: expected a number of trace seconds per second (0 to 10000), not '\(text)'", code: 2) }
        speed = value
    }
    var port = 8002
    if let text = arguments.value("serve-port") {
        guard let value = Int(text), (1...65535).contains(value) else { fail("--serve-port: expected a TCP port, not '\(text)'", code: 2) }
        port = value
    }
    do throws(ServingInputError) {
        var profile = try SimulatedServing.profile(named: arguments.value("serve-profile") ?? "builtin:h100-bert")
        if let text = arguments.value("cold-start") {
            guard let seconds = durationSeconds(text) else { fail("--cold-start: expected a duration such as 10s or 2m, not '\(text)'", code: 2) }
            profile.coldStart = seconds
        }
        let trace = try SimulatedServing.trace(named: traceArgument, seed: seed)
        configuration.servingPods = SimulatedServing(trace: trace, profile: profile, speed: speed, port: port)
    } catch {
        fail(error.description, code: 1)
    }
} else {
    for flag in ["serve-profile", "cold-start", "speed", "serve-port", "seed"] where arguments.value(flag) != nil {
        fail("--\(flag) goes with --serve-trace", code: 2)
    }
}

/// `500ms`, `2s`, `1m`, `1.5s`.
func durationSeconds(_ text: String) -> Double? {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    for (unit, scale) in units where text.hasSuffix(unit) {
        guard let value = Double(text.dropLast(unit.count)), value >= 0 else { return nil }
        return value * scale
    }
    return nil
}

let emulator: KubeEmulator
do {
    emulator = try KubeEmulator(configuration)
} catch {
    fail(error.description, code: 1)
}
if let path = arguments.value("kubeconfig-out") {
    let token = configuration.tokenFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?
        .split(whereSeparator: \.isNewline).first.map(String.init)
    let text = emulator.kubeconfig(certificateAuthorityFile: arguments.value("tls-ca"), token: token)
    do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
        fail("cannot write \(path): \(error.localizedDescription)", code: 1)
    }
}
// Written straight to the descriptor so that a reader waiting for this line gets it at once.
try? FileHandle.standardOutput.write(contentsOf: Data("listening on \(emulator.url)\n".utf8))
if let serving = configuration.servingPods {
    let speed = serving.speed == serving.speed.rounded() ? String(Int(serving.speed)) : String(serving.speed)
    let line = "simulated serving pods: \(serving.trace.name) (\(serving.trace.duration) s) at \(speed)x, profile \(serving.profile.name), "
        + "/metrics on each Deployment pod's IP, port \(serving.port); pods Ready \(serving.podStartDelaySeconds)s after creation; the trace starts at the first Ready pod\n"
    try? FileHandle.standardOutput.write(contentsOf: Data(line.utf8))
}

// Run until SIGINT or SIGTERM, then stop cleanly.
signal(SIGINT, SIG_IGN)
signal(SIGTERM, SIG_IGN)
let stop = DispatchSemaphore(value: 0)
let sources = [SIGINT, SIGTERM].map { signalNumber in
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
    source.setEventHandler { stop.signal() }
    source.resume()
    return source
}
stop.wait()
emulator.stop()
_ = sources
exit(0)
