import CommandLineSupport
import Foundation
import KubeEmulator

let spec = CommandSpec(
    name: "kube-emulator",
    abstract: "A throwaway Kubernetes API server for tests, demos and benchmarks (see docs/kube-emulator.md).",
    usage: "kube-emulator [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE [--tls-ca FILE]] [--token-file FILE] [--kubeconfig-out FILE]",
    discussion: """
    Serves the Kubernetes API over HTTPS (with --tls-cert and --tls-key) or plain HTTP. The first line
    on standard output is 'listening on URL'. With --token-file, requests need 'Authorization: Bearer T'
    for a token T listed in the file (re-read when it changes). --kubeconfig-out writes a kubeconfig
    (server, --tls-ca as certificate-authority, the file's first token) for kubectl and eipctl.
    Stops on SIGINT or SIGTERM.
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
    ])

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("kube-emulator: \(message)\n".utf8))
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
FileHandle.standardOutput.write(Data("listening on \(emulator.url)\n".utf8))

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
