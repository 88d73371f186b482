import Foundation
import HTTPClient
import JSON
import Locking

/// One watch event.
public struct WatchEvent: Sendable {
    /// The watch event types (an `ERROR` event is thrown, not yielded).
    public enum EventType: String, Sendable {
        case added = "ADDED", modified = "MODIFIED", deleted = "DELETED"
        /// Carries only `metadata.resourceVersion`: where to resume from.
        case bookmark = "BOOKMARK"
    }

    /// What happened.
    public let type: EventType
    /// The object as it is after the change (as it was, for `DELETED`).
    public let object: JSONValue

    /// The object's resourceVersion: where a watch resumes from.
    public var resourceVersion: String? { object["metadata"]?["resourceVersion"]?.stringValue }
}

/// Turns the bytes of a watch response into events: lines may be split across chunks or several may
/// share one (libcurl hands over 1 byte to ~16 KB at a time), so bytes wait until their line is whole.
final class WatchDecoder: @unchecked Sendable {
    // Fed on the transfer's thread only.
    private var pending: [UInt8] = []
    private let continuation: AsyncThrowingStream<WatchEvent, Error>.Continuation
    private(set) var failure: KubeError?

    init(_ continuation: AsyncThrowingStream<WatchEvent, Error>.Continuation) { self.continuation = continuation }

    /// Takes a chunk; false stops the stream (after an `ERROR` event or a malformed line).
    func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // The new bytes are searched for newlines (bytes from an earlier chunk were searched then).
        var newlines: [Int] = []
        for (offset, byte) in bytes.enumerated() where byte == 10 { newlines.append(pending.count + offset) }
        pending.append(contentsOf: bytes)
        var start = 0
        for newline in newlines {
            let line = pending[start..<newline]
            start = newline + 1
            if !handle(line) {
                pending.removeAll()
                return false
            }
        }
        pending.removeFirst(start)
        return true
    }

    private func handle(_ line: ArraySlice<UInt8>) -> Bool {
        guard line.contains(where: { $0 != 32 && $0 != 13 && $0 != 9 }) else { return true }
        guard let event = try? JSONValue(parsing: Array(line)), let typeName = event["type"]?.stringValue, let object = event["object"] else {
            failure = KubeError(.malformedResponse, "a watch event is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))")
            return false
        }
        if typeName == "ERROR" {
            failure = KubeError.fromWatchError(object)
            return false
        }
        guard let type = WatchEvent.EventType(rawValue: typeName) else {
            failure = KubeError(.malformedResponse, "unknown watch event type \(typeName)")
            return false
        }
        continuation.yield(WatchEvent(type: type, object: object))
        return true
    }
}

extension KubeClient {
    /// One watch request (`allowWatchBookmarks=true`). The sequence yields events until the server
    /// ends the stream (it then finishes: watch again from the last resourceVersion), and throws a
    /// ``KubeError``: `.gone` for 410 whether it comes as the HTTP status or as an `ERROR` event
    /// (relist), `.timedOut` when the stream was silent for the inactivity timeout. Cancelling the
    /// consuming task, or dropping the sequence, stops the transfer within a second. `onOpen` is
    /// called once the server has answered 2xx: the stream is open, before its first event.
    public func watch(_ resource: ResourceRef, namespace: String?, resourceVersion: String?, labelSelector: String? = nil,
                      fieldSelector: String? = nil, timeoutSeconds: Int? = nil,
                      onOpen: (@Sendable () -> Void)? = nil) -> AsyncThrowingStream<WatchEvent, Error> {
        var query: [(String, String)] = [("watch", "1"), ("allowWatchBookmarks", "true")]
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        let path = resource.path(namespace: namespace) + Self.query(query)
        let transport = self.transport
        let counts = requestCounts
        return AsyncThrowingStream { continuation in
            let cancel = Locked(false)
            continuation.onTermination = { _ in cancel.withLock { $0 = true } }
            let decoder = WatchDecoder(continuation)
            Task {
                do throws(HTTPClientError) {
                    let response = try await transport.stream(path: path, cancel: cancel, onResponse: { status in
                        if (200..<300).contains(status) { onOpen?() }
                    }) { decoder.feed($0) }
                    counts.record(code: String(response.statusCode), method: "GET")
                    if !(200..<300).contains(response.statusCode) {
                        continuation.finish(throwing: KubeError.fromResponse(statusCode: response.statusCode, body: response.body,
                                                                             retryAfter: KubeError.retryAfterSeconds(response.headers["retry-after"])))
                    } else if let failure = decoder.failure {
                        continuation.finish(throwing: failure)
                    } else {
                        continuation.finish()
                    }
                } catch {
                    if error.kind == .cancelled {
                        continuation.finish()
                    } else {
                        counts.record(code: RequestCounts.noAnswer, method: "GET")
                        continuation.finish(throwing: KubeError(error))
                    }
                }
            }
        }
    }

    /// A watch that survives dropped connections: when a stream ends or fails on the way (connection
    /// trouble, timeouts, 5xx, 429), it watches again from the last resourceVersion seen (bookmarks
    /// included), so no event is lost or repeated. Failures back off (800 ms doubling to 30 s, honouring
    /// Retry-After); the backoff starts over after any stream that delivered events, so ordinary
    /// reconnects never run out of retries. Ends by throwing `.gone` (relist and start again) or a
    /// non-retryable error (401, 403, …).
    public func resumingWatch(_ resource: ResourceRef, namespace: String?, from resourceVersion: String, labelSelector: String? = nil,
                              fieldSelector: String? = nil, timeoutSeconds: Int? = nil,
                              backoff: Backoff = Backoff()) -> AsyncThrowingStream<WatchEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var last = resourceVersion
                var delays = backoff
                while !Task.isCancelled {
                    var delivered = false
                    do {
                        for try await event in self.watch(resource, namespace: namespace, resourceVersion: last, labelSelector: labelSelector,
                                                          fieldSelector: fieldSelector, timeoutSeconds: timeoutSeconds) {
                            if let rv = event.resourceVersion { last = rv }
                            delivered = true
                            continuation.yield(event)
                        }
                        if delivered { delays.reset() }
                        continue  // the server ended the stream: watch again at once
                    } catch let error as KubeError where error.isRetryable || error.kind == .transport {
                        if delivered { delays.reset() }
                        let wait = error.retryAfterDuration ?? delays.next()
                        try? await Task.sleep(for: wait)
                    } catch {
                        continuation.finish(throwing: error)
                        return
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Exponential backoff with jitter: `initial` doubling up to `maximum`, each wait ±`jitter`.
/// client-go's reflector uses 800 ms → 30 s.
public struct Backoff: Sendable {
    /// The first wait (default 800 ms).
    public var initial: Duration
    /// The longest wait (default 30 s).
    public var maximum: Duration
    /// Each wait is moved by up to this fraction either way (default 0.1), so that many clients
    /// that failed together do not retry together.
    public var jitter: Double
    private var attempt = 0

    /// A backoff; the defaults are client-go's reflector's.
    public init(initial: Duration = .milliseconds(800), maximum: Duration = .seconds(30), jitter: Double = 0.1) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The next wait.
    public mutating func next() -> Duration {
        let base = min(maximum, initial * (1 << min(attempt, 40)))
        attempt += 1
        return base * (1 + Double.random(in: -jitter...jitter))
    }

    /// Starts over from `initial` (after a success).
    public mutating func reset() { attempt = 0 }
}
