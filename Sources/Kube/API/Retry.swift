/// Retrying API calls, as client-go's helpers do.
public enum Retry {
    /// Runs `body`, retrying it while it fails with a retryable error (429, 5xx timeouts and
    /// unavailability, connection trouble): waits follow `backoff` (800 ms doubling, ±10%), or the
    /// server's `Retry-After` when it sent one. Gives up after `attempts` tries with the last error.
    public static func onRetryable<T: Sendable>(attempts: Int = 5, backoff: Backoff = Backoff(),
                                                _ body: () async throws(KubeError) -> T) async throws(KubeError) -> T {
        var delays = backoff
        var attempt = 1
        while true {
            do throws(KubeError) {
                return try await body()
            } catch {
                guard error.isRetryable, attempt < attempts else { throw error }
                attempt += 1
                let wait = error.retryAfterDuration ?? delays.next()
                do { try await Task.sleep(for: max(.zero, wait)) } catch { throw KubeError(.cancelled, "cancelled while waiting to retry") }
            }
        }
    }

    /// Read-modify-write under optimistic concurrency: runs `body` (which should read the object
    /// afresh each time) again when it fails with 409 Conflict, up to `attempts` times (client-go's
    /// `RetryOnConflict` default: 5), with short jittered waits (10 ms doubling).
    public static func onConflict<T: Sendable>(attempts: Int = 5, _ body: () async throws(KubeError) -> T) async throws(KubeError) -> T {
        var delays = Backoff(initial: .milliseconds(10), maximum: .milliseconds(500), jitter: 0.1)
        var attempt = 1
        while true {
            do throws(KubeError) {
                return try await body()
            } catch {
                guard error.kind == .conflict, attempt < attempts else { throw error }
                attempt += 1
                do { try await Task.sleep(for: delays.next()) } catch { throw KubeError(.cancelled, "cancelled while waiting to retry") }
            }
        }
    }
}
