import Autoscaling
import Foundation
import JSON

/// Structured log lines on standard error: JSON (`{"time":…,"level":…,"msg":…,…}`) or text.
public final class Logger: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug = 0, info, warning, error

        public init?(name: String) {
            switch name.lowercased() {
            case "debug": self = .debug
            case "info": self = .info
            case "warn", "warning": self = .warning
            case "error": self = .error
            default: return nil
            }
        }

        var name: String { ["debug", "info", "warning", "error"][rawValue] }
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    public enum Format: String, Sendable { case json, text }

    let level: Level
    let format: Format
    let clock: any WallClock
    let write: @Sendable (String) -> Void

    public init(level: Level = .info, format: Format = .json, clock: any WallClock = SystemWallClock(),
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.level = level
        self.format = format
        self.clock = clock
        self.write = write
    }

    public func log(_ level: Level, _ message: String, _ fields: [(String, String)] = []) {
        guard level >= self.level else { return }
        let time = clock.now()
        switch format {
        case .json:
            var o: JSONObject = ["time": .string(time.rfc3339), "level": .string(level.name), "msg": .string(message)]
            for (k, v) in fields { o[k] = .string(v) }
            write(JSONValue.object(o).compactText + "\n")
        case .text:
            write("\(time.rfc3339) \(level.name.uppercased()) \(message)" + fields.map { " \($0)=\($1)" }.joined() + "\n")
        }
    }

    public func info(_ message: String, _ fields: [(String, String)] = []) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [(String, String)] = []) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [(String, String)] = []) { log(.error, message, fields) }
    public func debug(_ message: String, _ fields: [(String, String)] = []) { log(.debug, message, fields) }
}
