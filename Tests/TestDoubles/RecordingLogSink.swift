import Locking
import Operator

/// Keeps every log record in memory, so that tests assert on structured fields in-process.
public final class RecordingLogSink: LogSink {
    private let recorded = Locked<[LogRecord]>([])

    public init() {}

    public func write(_ record: LogRecord) { recorded.withLock { $0.append(record) } }

    /// Every record so far, oldest first.
    public var records: [LogRecord] { recorded.withLock { $0 } }

    /// The records with this message.
    public func records(_ message: String) -> [LogRecord] { records.filter { $0.message == message } }
}
