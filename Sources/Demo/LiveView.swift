#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LoadModel
import Simulation

/// What the screen shows at one instant: the load model's truth (demand, true P90, pods) beside
/// what the operator reports in the pool's status (the P90 and GPU it read, its last decision).
struct Frame: Sendable {
    /// Seconds of trace played, and the trace's length.
    var second: Int
    var duration: Int
    /// Offered load now, req/s.
    var demand: Double
    /// The pool's true P90 now (the load model's), seconds; nil before the first tick.
    var trueP90: Double
    /// What the operator's last read showed (`status.observed`): P90 in seconds, GPU utilisation 0–1.
    var seenP90: Double?
    var seenGPU: Double?
    /// The Deployment's `spec.replicas`, its pods that serve, and its pods still starting.
    var asked: Int
    var ready: Int
    var warming: Int
    /// The reason of the operator's last decision (`status.lastDecision.reason`).
    var decision: String?
}

/// The demo's terminal output. On a terminal: rows and Events scroll, and a status panel at the
/// bottom is redrawn in place a few times a second. Elsewhere (CI logs, pipes): the same rows and
/// Events as plain lines, nothing redrawn.
final class LiveView: @unchecked Sendable {
    let interactive: Bool
    /// The P90 clause of the scale-up rule (`> 150ms`), its value in seconds, and the SLO.
    let p90Threshold: (text: String, seconds: Double)?
    let slo: Double
    /// Told when standard output is gone (the reader of a pipe quit): nobody watches, so the run stops.
    let interruption: Interruption?
    private var panelLines = 0

    init(interactive: Bool, p90Threshold: (text: String, seconds: Double)?, slo: Double, interruption: Interruption? = nil) {
        self.interactive = interactive
        self.p90Threshold = p90Threshold
        self.slo = slo
        self.interruption = interruption
    }

    /// Whether standard output is a terminal that understands cursor movement.
    static var standardOutputIsTerminal: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"].map { $0 != "dumb" } ?? false
    }

    /// Lines printed above everything else (they scroll).
    func say(_ lines: String...) {
        clearPanel()
        for line in lines { write(line + "\n") }
    }

    static let tableHeader = "  TIME    DEMAND     P90 SEEN  TRUE P90   GPU  ASKED READY WARMING  LAST DECISION"

    /// One row of the table.
    func row(_ f: Frame) {
        say(Self.rowText(f, threshold: p90Threshold?.seconds, slo: slo))
    }

    static func rowText(_ f: Frame, threshold: Double?, slo: Double) -> String {
        let over = f.seenP90.map { value in threshold.map { value > $0 } ?? false } ?? false
        let breach = f.trueP90 > slo
        return "  " + [
            pad(clock(f.second), 6), pad(rate(f.demand), 9, right: true), pad((f.seenP90.map(latency) ?? "-") + (over ? "*" : " "), 11, right: true),
            pad(latency(f.trueP90) + (breach ? "!" : " "), 10, right: true), pad(f.seenGPU.map(percent) ?? "-", 5, right: true),
            pad(String(f.asked), 6, right: true), pad(String(f.ready), 5, right: true), pad(String(f.warming), 7, right: true),
            " " + (f.decision ?? "-"),
        ].joined(separator: " ")
    }

    /// An Event of the operator, at the trace time it was seen.
    func event(at second: Int?, type: String, reason: String, message: String, count: Int) {
        let time = second.map(Self.clock) ?? "setup"
        let repeats = count > 1 ? " (x\(count))" : ""
        say("  \(Self.pad(time, 6)) \(type == "Warning" ? "Warning " : "")\(reason)\(repeats): \(message)")
    }

    /// Redraws the status panel (terminal only).
    func panel(_ f: Frame, speed: Double, events: Int) {
        guard interactive else { return }
        clearPanel()
        let width = max(40, Self.terminalWidth - 1)
        let bar = Self.bar(done: f.second, of: f.duration, width: 24)
        let threshold = p90Threshold.map { " (scale-up \($0.text))" } ?? ""
        let lines = [
            String(repeating: "-", count: min(width, 100)),
            " \(bar) \(Self.clock(f.second)) of \(Self.clock(f.duration)) of traffic, \(Self.number(speed))x  ·  \(events) Events",
            " demand \(Self.rate(f.demand))  ·  P90 seen \(f.seenP90.map(Self.latency) ?? "-")\(threshold), true \(Self.latency(f.trueP90)) (SLO \(Self.latency(slo)))  ·  GPU \(f.seenGPU.map(Self.percent) ?? "-")",
            " replicas: asked \(f.asked), ready \(f.ready), warming \(f.warming)  ·  last decision: \(f.decision ?? "-")  ·  Ctrl-C stops",
        ].map { String($0.prefix(width)) }
        for line in lines { write(line + "\n") }
        panelLines = lines.count
    }

    /// Removes the panel (before anything scrolls above it, and at the end).
    func clearPanel() {
        guard interactive, panelLines > 0 else { return }
        write("\u{1B}[\(panelLines)F\u{1B}[J")
        panelLines = 0
    }

    func write(_ text: String) {
        if !Self.write(text, to: STDOUT_FILENO) { interruption?.outputClosed() }
    }

    /// Writes all of `text` to a descriptor; false when it cannot (a closed pipe: SIGPIPE is ignored
    /// by ``Interruption``, so the write fails with EPIPE instead of killing the demo before it cleans up).
    @discardableResult
    static func write(_ text: String, to descriptor: Int32) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            bytes = bytes.dropFirst(written)
        }
        return true
    }

    // MARK: Formatting

    static var terminalWidth: Int {
        var size = winsize()
        return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 100
    }

    /// `mm:ss` (or `h:mm:ss`) of trace time.
    static func clock(_ seconds: Int) -> String {
        let s = max(0, seconds)
        let body = String(format: "%02d:%02d", s / 60 % 60, s % 60)
        return s >= 3600 ? "\(s / 3600):" + body : body
    }

    /// `12.0k/s`, `950/s`.
    static func rate(_ value: Double) -> String {
        value >= 1000 ? "\(NumberText.fixed(value / 1000, 1))k/s" : "\(Int(value.rounded()))/s"
    }

    /// `9ms`, `182ms`, `2.3s`.
    static func latency(_ seconds: Double) -> String {
        seconds >= 1 ? "\(NumberText.fixed(seconds, 1))s" : "\(Int((seconds * 1000).rounded()))ms"
    }

    /// `58%`.
    static func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded()))%" }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : NumberText.fixed(value, 1)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        guard text.count < width else { return text }
        let fill = String(repeating: " ", count: width - text.count)
        return right ? fill + text : text + fill
    }

    static func bar(done: Int, of total: Int, width: Int) -> String {
        let filled = total > 0 ? min(width, width * done / total) : 0
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }
}
