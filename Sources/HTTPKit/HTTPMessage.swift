#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 request as the emulator's handlers see it.
public struct HTTPRequest: Sendable {
    public let method: String
    /// The path, percent-decoded, without the query.
    public let path: String
    /// Query parameters, percent-decoded (`+` is a space); the last value wins for repeated names.
    public let query: [String: String]
    /// Header names lower-cased.
    public let headers: [String: String]
    public let body: [UInt8]
    /// The common name of a verified client certificate (x509 authentication), if one was presented.
    public var clientCertificateName: String? = nil

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    public init(method: String, path: String, query: [String: String], headers: [String: String], body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Whether the client asked to close the connection after this response.
    var wantsClose: Bool { header("connection")?.lowercased() == "close" }
}

/// Reads HTTP/1.1 requests from a stream: request line, headers, and a body by Content-Length or
/// chunked transfer encoding. Errors are answered 400 (431 for a head too large, 413 for a body)
/// by the caller. With ``ReadLimits`` it bounds how long each part may take, as Go's server does
/// (`IdleTimeout`, `ReadHeaderTimeout`, `ReadTimeout`): before each read it tells the socket how
/// long it may block (`armTimeout`), and a part not read by its deadline is ``ReadError/timedOut``.
struct HTTPRequestReader {
    let stream: any ByteStream
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 16 * 1024)
    static let maximumBodyBytes = 16 * 1024 * 1024
    /// The largest request head read (the request line and headers), and the largest chunked trailer.
    let maximumHeaderBytes: Int
    /// The time limits; nil: none.
    let limits: ReadLimits?
    /// Sets how long the next socket read may block (seconds; never called without ``limits``).
    let armTimeout: (@Sendable (Double) -> Void)?
    /// Told when a request's first bytes are in (it is arriving, no longer a connection idling).
    let onArrival: (@Sendable () -> Void)?
    /// When this reader started: the first request's head counts from it.
    private let started = MonotonicTime.seconds()
    private var requests = 0

    /// How long each part of a request may take, in seconds.
    struct ReadLimits: Sendable {
        /// From the connection's start to the end of the first request's head, and from the first
        /// byte of each later request to the end of its head.
        var head: Double
        /// Waiting for the next request on a kept-alive connection.
        var idle: Double
        /// From the end of the head to the end of the body.
        var body: Double
    }

    init(stream: any ByteStream, maximumHeaderBytes: Int = 64 * 1024, limits: ReadLimits? = nil, armTimeout: (@Sendable (Double) -> Void)? = nil,
         onArrival: (@Sendable () -> Void)? = nil) {
        self.stream = stream
        self.maximumHeaderBytes = maximumHeaderBytes
        self.limits = limits
        self.armTimeout = armTimeout
        self.onArrival = onArrival
    }

    enum ReadError: Error { case closed, malformed(String), tooLarge, headTooLarge, timedOut }

    /// The next request, or `.closed` when the peer closed the connection between requests.
    mutating func next() throws(ReadError) -> HTTPRequest {
        defer { requests += 1 }
        // Waiting for the request's first byte (the whole head, for a connection's first request).
        if buffer.isEmpty, let limits {
            let deadline = requests == 0 ? started + limits.head : MonotonicTime.seconds() + limits.idle
            try fill(toHold: 1, deadline: deadline)
        }
        onArrival?()
        let headDeadline = limits.map { (requests == 0 ? started : MonotonicTime.seconds()) + $0.head }
        let headerEnd: Range<Int>
        do throws(ReadError) {
            headerEnd = try fill(toFind: [13, 10, 13, 10], limit: maximumHeaderBytes, deadline: headDeadline)
        } catch {
            if case .tooLarge = error { throw .headTooLarge }
            throw error
        }
        let head = String(decoding: buffer[..<headerEnd.lowerBound], as: UTF8.self)
        buffer.removeSubrange(..<headerEnd.upperBound)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { throw .malformed("empty request") }
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { throw .malformed("bad request line") }
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("bad header line") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        let bodyDeadline = limits.map { MonotonicTime.seconds() + $0.body }
        let body: [UInt8]
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try readChunkedBody(deadline: bodyDeadline)
        } else if let lengthText = headers["content-length"] {
            // RFC 9110 §8.6: one or more digits, nothing else (Swift's Int("+5") would take a sign).
            guard !lengthText.isEmpty, lengthText.utf8.count <= 18, lengthText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let length = Int(lengthText) else { throw .malformed("bad Content-Length") }
            guard length <= Self.maximumBodyBytes else { throw .tooLarge }
            try fill(toHold: length, deadline: bodyDeadline)
            body = Array(buffer.prefix(length))
            buffer.removeFirst(length)
        } else {
            body = []
        }
        let target = String(requestLine[1])
        let (path, query) = Self.splitTarget(target)
        return HTTPRequest(method: String(requestLine[0]), path: path, query: query, headers: headers, body: body)
    }

    private mutating func readChunkedBody(deadline: Double?) throws(ReadError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let lineEnd = try fill(toFind: [13, 10], limit: 1024, deadline: deadline)
            let sizeText = String(decoding: buffer[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            buffer.removeSubrange(..<lineEnd.upperBound)
            let size = try Self.chunkSize(sizeText.trimmingSpaces())
            if size == 0 {
                // The trailer: header lines, each ended by CRLF, up to an empty line; as much as a head may be.
                var trailerBytes = 0
                while true {
                    let end = try fill(toFind: [13, 10], limit: 1024, deadline: deadline)
                    buffer.removeSubrange(..<end.upperBound)
                    if end.lowerBound == 0 { return body }
                    trailerBytes += end.upperBound
                    guard trailerBytes <= maximumHeaderBytes else { throw .tooLarge }
                }
            }
            guard size <= Self.maximumBodyBytes - body.count else { throw .tooLarge }
            try fill(toHold: size + 2, deadline: deadline)
            guard buffer[size] == 13, buffer[size + 1] == 10 else { throw .malformed("a chunk is not followed by CRLF") }
            body += buffer.prefix(size)
            buffer.removeFirst(size + 2)
        }
    }

    /// A chunk size (RFC 9112 §7.1): hex digits only. Swift's `Int(_:radix:)` would take a sign, so
    /// `-1` was a negative size that crashed the reader; more than 8 digits is over any body we take.
    static func chunkSize(_ text: String) throws(ReadError) -> Int {
        guard !text.isEmpty, text.utf8.allSatisfy({ hexDigit($0) }) else { throw .malformed("bad chunk size") }
        guard text.utf8.count <= 8, let size = Int(text, radix: 16) else { throw .tooLarge }
        return size
    }

    private static func hexDigit(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    /// Reads until the buffer holds `pattern`, and returns where. Each read searches only the bytes
    /// it added (and the pattern's length less one before them, for a pattern split across reads),
    /// so a client sending a byte at a time costs linear time, not quadratic. Throws `.tooLarge`
    /// past `limit` bytes, and as ``readMore(deadline:)`` does.
    private mutating func fill(toFind pattern: [UInt8], limit: Int, deadline: Double?) throws(ReadError) -> Range<Int> {
        var searched = 0
        while true {
            if let range = buffer[max(0, searched - pattern.count + 1)...].firstRange(of: pattern) { return range }
            searched = buffer.count
            if buffer.count > limit + pattern.count { throw .tooLarge }
            try readMore(deadline: deadline)
        }
    }

    /// Reads until the buffer holds at least `count` bytes; throws as ``readMore(deadline:)`` does.
    private mutating func fill(toHold count: Int, deadline: Double?) throws(ReadError) {
        while buffer.count < count { try readMore(deadline: deadline) }
    }

    /// One read from the stream. Throws `.closed` when the peer closed before a request began,
    /// `.malformed` when it closed mid-request, `.timedOut` when `deadline` (monotonic seconds)
    /// passes first.
    private mutating func readMore(deadline: Double?) throws(ReadError) {
        if let deadline, let armTimeout {
            let left = deadline - MonotonicTime.seconds()
            guard left > 0 else { throw .timedOut }
            armTimeout(left)
        }
        let n = chunk.withUnsafeMutableBytes { stream.read(into: $0) }
        if n == 0 {
            if let deadline, MonotonicTime.seconds() >= deadline { throw .timedOut }
            throw buffer.isEmpty ? .closed : .malformed("connection closed mid-request")
        }
        buffer += chunk.prefix(n)
    }

    static func splitTarget(_ target: String) -> (String, [String: String]) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query[percentDecode(String(kv[0]))] = kv.count == 2 ? percentDecode(String(kv[1])) : ""
            }
        }
        return (percentDecode(String(parts[0]), plusIsSpace: false), query)
    }

    static func percentDecode(_ s: String, plusIsSpace: Bool = true) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(s.utf8).makeIterator()
        while let b = iterator.next() {
            if b == UInt8(ascii: "%"), let h = iterator.next(), let l = iterator.next(),
               let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) {
                bytes.append(v)
            } else if b == UInt8(ascii: "+") && plusIsSpace {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Writes HTTP/1.1 responses: whole ones with Content-Length, or a chunked stream written piece by
/// piece (each watch event is one chunk, sent at once).
public final class HTTPResponseWriter: @unchecked Sendable {
    // Used only by the connection's own thread.
    public let stream: any ByteStream
    private(set) var keepAlive: Bool
    private(set) var streaming = false

    init(stream: any ByteStream, keepAlive: Bool) {
        self.stream = stream
        self.keepAlive = keepAlive
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 413: return "Request Entity Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Entity"
        case 431: return "Request Header Fields Too Large"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status"
        }
    }

    private func head(_ status: Int, _ headers: [(String, String)]) -> String {
        var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Date: \(HTTPDate.now())\r\n"
        if !keepAlive { text += "Connection: close\r\n" }
        return text
    }

    /// Sends a whole response.
    @discardableResult
    public func send(status: Int, headers: [(String, String)] = [], body: [UInt8]) -> Bool {
        let text = head(status, headers) + "Content-Length: \(body.count)\r\n\r\n"
        return stream.write(Array(text.utf8) + body)
    }

    /// Starts a chunked response; follow with ``writeChunk(_:)`` and ``finishStream()``.
    @discardableResult
    public func startStream(status: Int, headers: [(String, String)]) -> Bool {
        streaming = true
        return stream.write(Array((head(status, headers) + "Transfer-Encoding: chunked\r\n\r\n").utf8))
    }

    /// One chunk, written and flushed at once; false when the client is gone.
    @discardableResult
    public func writeChunk(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return true }
        return stream.write(Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10])
    }

    /// Ends a chunked response.
    @discardableResult
    public func finishStream() -> Bool { stream.write(Array("0\r\n\r\n".utf8)) }

    /// Closes the connection after this response (a dropped watch, a fatal error).
    public func closeAfterResponse() { keepAlive = false }
}

extension StringProtocol {
    public func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

/// `CLOCK_MONOTONIC` in seconds, for the server's deadlines.
enum MonotonicTime {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// RFC 7231 dates for the `Date` header.
enum HTTPDate {
    static func now() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
