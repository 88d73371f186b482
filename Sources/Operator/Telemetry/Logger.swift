import Autoscaling
import Foundation
import JSON

/// One log line before it is formatted: when, how severe, what, and its structured fields.
public struct LogRecord: Sendable {
    /// Wall time, from the logger's clock.
    public let time: Timestamp
    /// How severe.
    public let level: Logger.Level
    /// What happened: a short fixed phrase (`reconciled`), the particulars in the fields.
    public let message: String
    /// Key-value pairs, in the order given (`namespace`, `pool`, `reconcileID`, …).
    public let fields: [(String, String)]

    /// A record.
    public init(time: Timestamp, level: Logger.Level, message: String, fields: [(String, String)]) {
        self.time = time
        self.level = level
        self.message = message
        self.fields = fields
    }

    /// The value of the field `name`, if the record has it.
    public func field(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }
}

/// Where log records go (swift-log's `LogHandler`): ``FormattingLogSink`` writes lines to standard
/// error in the process; tests record them in memory (TestDoubles' `RecordingLogSink`).
public protocol LogSink: Sendable {
    func write(_ record: LogRecord)
}

/// Formats each record as a line and hands it to `write`: JSON
/// (`{"time":…,"level":…,"msg":…,<fields>}`) or text (`TIME LEVEL msg key=value …`).
public struct FormattingLogSink: LogSink {
    /// JSON or text.
    public let format: Logger.Format
    let output: @Sendable (String) -> Void

    /// `write` receives each line with its newline (default: standard error).
    public init(format: Logger.Format, write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.format = format
        output = write
    }

    /// Writes one line.
    public func write(_ record: LogRecord) {
        switch format {
        case .json:
            var o: JSONObject = ["time": .string(record.time.rfc3339), "level": .string(record.level.name), "msg": .string(record.message)]
            for (k, v) in record.fields { o[k] = .string(v) }
            output(JSONValue.object(o).compactText + "\n")
        case .text:
            output("\(record.time.rfc3339) \(record.level.name.uppercased()) \(record.message)" + record.fields.map { " \($0)=\($1)" }.joined() + "\n")
        }
    }
}

/// Structured log lines at or above a level, stamped with the clock's wall time, to a sink.
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

        /// The name written in lines.
        public var name: String { ["debug", "info", "warning", "error"][rawValue] }
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// `json` (one object a line) or `text` (`TIME LEVEL msg key=value …`).
    public enum Format: String, Sendable { case json, text }

    /// Records below this level are dropped (default `info`).
    public let level: Level
    let sink: any LogSink
    let clock: any Clock

    /// A logger writing records at `level` and above to `sink`.
    public init(level: Level = .info, sink: any LogSink, clock: any Clock = SystemClock()) {
        self.level = level
        self.sink = sink
        self.clock = clock
    }

    /// Lines in `format` to `write` (default: standard error).
    public convenience init(level: Level = .info, format: Format = .json, clock: any Clock = SystemClock(),
                            write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.init(level: level, sink: FormattingLogSink(format: format, write: write), clock: clock)
    }

    /// Logs a record, unless `level` is below the logger's.
    public func log(_ level: Level, _ message: String, _ fields: [(String, String)] = []) {
        guard level >= self.level else { return }
        sink.write(LogRecord(time: clock.now(), level: level, message: message, fields: fields))
    }

    /// At `info`.
    public func info(_ message: String, _ fields: [(String, String)] = []) { log(.info, message, fields) }
    /// At `warning`.
    public func warning(_ message: String, _ fields: [(String, String)] = []) { log(.warning, message, fields) }
    /// At `error`.
    public func error(_ message: String, _ fields: [(String, String)] = []) { log(.error, message, fields) }
    /// At `debug`.
    public func debug(_ message: String, _ fields: [(String, String)] = []) { log(.debug, message, fields) }
}
