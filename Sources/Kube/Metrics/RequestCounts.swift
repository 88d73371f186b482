import Locking

/// Every request a ``KubeClient`` made, counted by HTTP status and method: client-go's
/// `rest_client_requests_total{code,method,host}` (`k8s.io/client-go/tools/metrics`), so that every
/// answer the API server gave, a 500 or a 403 as much as a 200, shows in `/metrics`. A request that
/// got no answer (refused, timed out, TLS) counts under the code `<error>`, as client-go counts it.
/// Watches count once, by the status their stream started with.
public final class RequestCounts: Sendable {
    /// One series: the HTTP status (or `<error>`) and the method.
    public struct Key: Hashable, Sendable, Comparable {
        /// `200`, `404`, … or `<error>`.
        public let code: String
        /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
        public let method: String

        public static func < (a: Key, b: Key) -> Bool { (a.method, a.code) < (b.method, b.code) }
    }

    /// The code a request that got no HTTP answer counts under (client-go's).
    public static let noAnswer = "<error>"

    private let counts = Locked<[Key: Int]>([:])
    private let latencies = Locked<[String: Histogram]>([:])

    /// An empty count.
    public init() {}

    /// Counts one request.
    public func record(code: String, method: String) {
        counts.withLock { $0[Key(code: code, method: method), default: 0] += 1 }
    }

    /// The counts so far, by code and method.
    public var snapshot: [Key: Int] { counts.withLock { $0 } }

    /// Times one request that was answered, from sending it to its whole answer, under its method
    /// (client-go's `rest_client_request_duration_seconds{verb}`, with its buckets). Watches are
    /// not timed: their stream is meant to last minutes.
    public func recordLatency(method: String, seconds: Double) {
        latencies.withLock { $0[method, default: Histogram(bounds: Histogram.requestBounds)].observe(seconds) }
    }

    /// The request durations so far, by method.
    public var latencySnapshot: [String: Histogram] { latencies.withLock { $0 } }
}
