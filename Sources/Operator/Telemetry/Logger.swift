import Autoscaling
import Foundation
import JSON

/// A value a log field can take. Strings, numbers and booleans keep their JSON kind in the JSON
/// format (`"replicas":3`, not `"replicas":"3"`); a `Duration` is written as float seconds, as zap
/// writes durations in controller-runtime's production encoder. A `JSONValue` goes as it is
/// (controller-runtime's object reference `{"name":…,"namespace":…}` is one).
public protocol LogFieldValue {
    /// The value as JSON.
    var logValue: JSONValue { get }
}

extension String: LogFieldValue { public var logValue: JSONValue { .string(self) } }
extension Int: LogFieldValue { public var logValue: JSONValue { .integer(self) } }
extension Double: LogFieldValue { public var logValue: JSONValue { .double(self) } }
extension Bool: LogFieldValue { public var logValue: JSONValue { .bool(self) } }
extension JSONValue: LogFieldValue { public var logValue: JSONValue { self } }
extension Duration: LogFieldValue { public var logValue: JSONValue { .double(inSeconds) } }

/// One log line before it is formatted: when, how severe, from which logger, what, and its
/// structured fields.
public struct LogRecord: Sendable {
    /// Wall time, from the logger's clock.
    public let time: Timestamp
    /// How severe.
    public let level: Logger.Level
    /// The logger's name: `eip-operator`, or a component's (`eip-operator.informer`).
    public let logger: String
    /// What happened: a short fixed phrase (`reconciled`), the particulars in the fields.
    public let message: String
    /// Key-value pairs, in the order given (`controller`, `namespace`, `name`, `reconcileID`, …).
    public let fields: [(String, JSONValue)]

    /// A record.
    public init(time: Timestamp, level: Logger.Level, logger: String = Logger.rootName, message: String, fields: [(String, JSONValue)]) {
        self.time = time
        self.level = level
        self.logger = logger
        self.message = message
        self.fields = fields
    }

    /// The value of the field `name`, if the record has it.
    public func value(_ name: String) -> JSONValue? { fields.first { $0.0 == name }?.1 }

    /// The field `name` as text (a string as it is, anything else as its compact JSON), if the record has it.
    public func field(_ name: String) -> String? { value(name).map(Self.text) }

    /// A value as the text format writes it: a string bare, anything else as compact JSON.
    static func text(_ value: JSONValue) -> String { value.stringValue ?? value.compactText }
}

/// Where log records go (swift-log's `LogHandler`): ``FormattingLogSink`` writes lines to standard
/// error in the process; tests record them in memory (TestDoubles' `RecordingLogSink`).
public protocol LogSink: Sendable {
    func write(_ record: LogRecord)
}

/// Formats each record as a line and hands it to `write`.
///
/// JSON is the line controller-runtime's zap production encoder writes, so the log pipelines and
/// queries built for controller-runtime operators read it: `{"level":"info","ts":"2026-11-30T18:51:00.123Z",
/// "logger":"eip-operator.informer","msg":"…",<fields>}`, `ts` RFC 3339 in UTC with milliseconds
/// (zap's ISO 8601 encoder), levels by zap's names (`debug`, `info`, `warn`, `error`), field values
/// with their JSON kind. Text is for people: `TS LEVEL logger msg key=value …`.
public struct FormattingLogSink: LogSink {
    /// JSON or text.
    public let format: Logger.Format
    let output: @Sendable (String) -> Void

    /// `write` receives each line with its newline (default: standard error).
    public init(format: Logger.Format, write: @escaping @Sendable (String) -> Void = { Logger.writeStandardError($0) }) {
        self.format = format
        output = write
    }

    /// Writes one line.
    public func write(_ record: LogRecord) {
        switch format {
        case .json:
            var o: JSONObject = ["level": .string(record.level.name), "ts": .string(Self.timestamp(record.time)),
                                 "logger": .string(record.logger), "msg": .string(record.message)]
            for (k, v) in record.fields where o[k] == nil { o[k] = v }
            output(JSONValue.object(o).compactText + "\n")
        case .text:
            output("\(Self.timestamp(record.time)) \(record.level.name.uppercased()) \(record.logger) \(record.message)"
                + record.fields.map { " \($0)=\(LogRecord.text($1))" }.joined() + "\n")
        }
    }

    /// `2026-11-30T18:51:00.123Z`: RFC 3339 in UTC with milliseconds (zap's `ISO8601TimeEncoder`).
    static func timestamp(_ time: Timestamp) -> String {
        // Whole microseconds first: a Double near 1.8e9 s holds the fraction to ~0.2 µs only, so
        // truncating it straight to milliseconds would turn .007 into .006.
        var whole = time.secondsSinceEpoch.rounded(.down)
        var micros = Int(((time.secondsSinceEpoch - whole) * 1_000_000).rounded())
        if micros >= 1_000_000 { whole += 1; micros -= 1_000_000 }
        let millis = micros / 1000
        let text = Timestamp(secondsSinceEpoch: whole).rfc3339
        let digits = String(millis)
        return text.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}

/// Structured log lines at or above a level, stamped with the clock's wall time, under a name, to a
/// sink. ``named(_:)`` gives a component its own logger (`eip-operator.leader-election`), as zap's
/// `Named` does; they share the level, sink and clock.
public final class Logger: Sendable {
    /// Severity, lowest first.
    public enum Level: Int, Sendable, Comparable {
        case debug = 0, info, warning, error

        /// From a flag's value: `debug`, `info`, `warn` or `warning`, `error` (any case); nil otherwise.
        public init?(name: String) {
            switch name.lowercased() {
            case "debug": self = .debug
            case "info": self = .info
            case "warn", "warning": self = .warning
            case "error": self = .error
            default: return nil
            }
        }

        /// The name written in lines: zap's (`debug`, `info`, `warn`, `error`).
        public var name: String { ["debug", "info", "warn", "error"][rawValue] }
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// `json` (one object a line) or `text` (`TS LEVEL logger msg key=value …`).
    public enum Format: String, Sendable { case json, text }

    /// The root logger's name.
    public static let rootName = "eip-operator"

    /// Records below this level are dropped (default `info`).
    public let level: Level
    /// Written as each line's `logger` (default ``rootName``).
    public let name: String
    let sink: any LogSink
    let clock: any Clock

    /// A logger named `name` writing records at `level` and above to `sink`.
    public init(level: Level = .info, name: String = Logger.rootName, sink: any LogSink, clock: any Clock = SystemClock()) {
        self.level = level
        self.name = name
        self.sink = sink
        self.clock = clock
    }

    /// Lines in `format` to `write` (default: standard error).
    public convenience init(level: Level = .info, format: Format = .json, clock: any Clock = SystemClock(),
                            write: @escaping @Sendable (String) -> Void = { Logger.writeStandardError($0) }) {
        self.init(level: level, sink: FormattingLogSink(format: format, write: write), clock: clock)
    }

    /// A logger for a component: this one's name, a dot, `component` (`eip-operator.informer`).
    public func named(_ component: String) -> Logger {
        Logger(level: level, name: "\(name).\(component)", sink: sink, clock: clock)
    }

    /// Logs a record, unless `level` is below the logger's.
    public func log(_ level: Level, _ message: String, _ fields: [(String, any LogFieldValue)] = []) {
        guard level >= self.level else { return }
        sink.write(LogRecord(time: clock.now(), level: level, logger: name, message: message, fields: fields.map { ($0, $1.logValue) }))
    }

    /// At `info`.
    public func info(_ message: String, _ fields: [(String, any LogFieldValue)] = []) { log(.info, message, fields) }
    /// At `warn`.
    public func warning(_ message: String, _ fields: [(String, any LogFieldValue)] = []) { log(.warning, message, fields) }
    /// At `error`.
    public func error(_ message: String, _ fields: [(String, any LogFieldValue)] = []) { log(.error, message, fields) }
    /// At `debug`.
    public func debug(_ message: String, _ fields: [(String, any LogFieldValue)] = []) { log(.debug, message, fields) }
}

extension Logger {
    /// Writes `line` to standard error. A failed write (a closed pipe: the process ignores SIGPIPE
    /// for libcurl's sake, so it is an error, not a signal) drops the line: a log reader that went
    /// away must not stop the operator.
    public static func writeStandardError(_ line: String) {
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }
}
