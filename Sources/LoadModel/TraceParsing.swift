import JSON

/// Why a trace file cannot be read: the line (CSV) or the sample (Prometheus JSON), and what was expected.
public struct TraceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the file, when the problem has one.
    public let line: Int?
    public let message: String

    public init(line: Int? = nil, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}

extension Trace {
    /// Reads a trace file: the JSON a Prometheus range query returns (`/api/v1/query_range`, one
    /// series), when the text starts with `{`; otherwise CSV.
    public static func parse(_ text: String, name: String) throws(TraceError) -> Trace {
        let start = text.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\u{FEFF}" }
        if start.first == "{" { return try prometheusRangeQuery(text, name: name) }
        return try csv(text, name: name)
    }

    /// Column names accepted for time and for the rate in a CSV header.
    static let timeColumns = ["time", "timestamp", "t", "ts", "seconds"]
    static let rateColumns = ["qps", "rps", "rate", "value", "requests", "demand"]

    /// CSV: `time,qps` per line, time in seconds (Unix time or seconds from the start), rates in
    /// requests/s, one row per second or per interval (interpolated between rows). An optional header
    /// names the columns (`time`, `timestamp`; `qps`, `rps`, `rate`, `value`), and then others may be
    /// present; without one a row has exactly two fields. Blank lines and `#` comments are skipped.
    public static func csv(_ text: String, name: String) throws(TraceError) -> Trace {
        var samples: [(time: Double, rate: Double)] = []
        var columns: (time: Int, rate: Int, count: Int)?
        // Lines end in \n or \r\n (a Character of its own in Swift, hence isNewline).
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let lineNumber = index + 1
            let trimmed = line.trimmingWhitespace
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingWhitespace) }
            if columns == nil {
                if Double(fields[0]) == nil {
                    columns = try header(fields, line: lineNumber)
                    continue
                }
                guard fields.count == 2 else {
                    throw TraceError(line: lineNumber, "expected 2 fields (time,qps), found \(fields.count); or start with a header naming the time and qps columns")
                }
                columns = (0, 1, 2)
            }
            guard let layout = columns else { continue }
            guard fields.count == layout.count else {
                throw TraceError(line: lineNumber, "expected \(layout.count) fields, as in the first row, found \(fields.count)")
            }
            guard let time = Double(fields[layout.time]), time.isFinite else {
                throw TraceError(line: lineNumber, "time '\(fields[layout.time])' is not a number of seconds")
            }
            guard let rate = Double(fields[layout.rate]), rate.isFinite else {
                throw TraceError(line: lineNumber, "qps '\(fields[layout.rate])' is not a number")
            }
            guard rate >= 0 else { throw TraceError(line: lineNumber, "qps \(fields[layout.rate]) is negative") }
            guard rate <= Trace.maximumRate else { throw TraceError(line: lineNumber, "qps \(fields[layout.rate]) is over \(format(Trace.maximumRate)), the most a trace may ask for") }
            if let previous = samples.last, time <= previous.time {
                throw TraceError(line: lineNumber, "time \(fields[layout.time]) does not come after the previous row's (\(format(previous.time))); rows must be in increasing time order")
            }
            samples.append((time, rate))
            try checkSpan(samples, line: lineNumber)
        }
        guard !samples.isEmpty else { throw TraceError("no samples: expected rows of time,qps") }
        return Trace(name: name, samples: samples)
    }

    private static func header(_ fields: [String], line: Int) throws(TraceError) -> (time: Int, rate: Int, count: Int) {
        let names = fields.map { $0.lowercased().trimmingCharacters(in: "\"") }
        guard let time = names.firstIndex(where: timeColumns.contains) else {
            throw TraceError(line: line, "'\(fields[0])' is neither a time in seconds nor a header with a time column (\(timeColumns.joined(separator: ", ")))")
        }
        guard let rate = names.firstIndex(where: rateColumns.contains) else {
            throw TraceError(line: line, "the header names no rate column (\(rateColumns.joined(separator: ", ")))")
        }
        return (time, rate, fields.count)
    }

    /// The JSON of a Prometheus range query (`curl '…/api/v1/query_range?query=sum(rate(…[1m]))&start=…&end=…&step=15s'`):
    /// one series of `[unixSeconds, "value"]` points.
    public static func prometheusRangeQuery(_ text: String, name: String) throws(TraceError) -> Trace {
        let root: JSONValue
        do throws(JSONParseError) {
            root = try JSONValue(parsing: text)
        } catch {
            throw TraceError(line: error.line, "not valid JSON: \(error.message)")
        }
        if let status = root["status"]?.stringValue, status != "success" {
            throw TraceError("Prometheus answered \(status): \(root["error"]?.stringValue ?? "no error text")")
        }
        guard let data = root["data"], let resultType = data["resultType"]?.stringValue, let result = data["result"]?.arrayValue else {
            throw TraceError("not a Prometheus query answer: expected {\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[…]}}")
        }
        guard resultType == "matrix" else {
            throw TraceError("the answer is a \(resultType), not a matrix: use /api/v1/query_range (a range query), not /api/v1/query")
        }
        guard result.count == 1, let values = result[0]["values"]?.arrayValue else {
            throw TraceError(result.isEmpty ? "the query returned no series"
                                            : "the query returned \(result.count) series; aggregate them into one, e.g. sum(rate(…[1m]))")
        }
        var samples: [(time: Double, rate: Double)] = []
        for (i, point) in values.enumerated() {
            guard let pair = point.arrayValue, pair.count == 2, let time = pair[0].doubleValue, let text = pair[1].stringValue else {
                throw TraceError("sample \(i + 1): expected [unixSeconds, \"value\"], found \(point.compactText)")
            }
            guard let rate = Double(text), rate.isFinite, rate >= 0, rate <= Trace.maximumRate else {
                throw TraceError("sample \(i + 1) (time \(format(time))): '\(text)' is not a rate (a number from 0 to \(format(Trace.maximumRate)))")
            }
            if let previous = samples.last, time <= previous.time {
                throw TraceError("sample \(i + 1): time \(format(time)) does not come after the previous sample's (\(format(previous.time)))")
            }
            samples.append((time, rate))
            try checkSpan(samples, line: nil)
        }
        guard !samples.isEmpty else { throw TraceError("the series has no samples") }
        return Trace(name: name, samples: samples)
    }

    private static func checkSpan(_ samples: [(time: Double, rate: Double)], line: Int?) throws(TraceError) {
        guard let first = samples.first, let last = samples.last, last.time - first.time >= Double(maximumDuration) else { return }
        throw TraceError(line: line, "the trace spans more than \(maximumDuration / 86_400) days (\(format(first.time)) to \(format(last.time)) s); replay a shorter range")
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
    }
}

extension StringProtocol {
    var trimmingWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return Substring(self[start...end])
    }

    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
