import Autoscaling
import Kube

/// The waits of an informer between a failed list or watch and the next try, and before every
/// relist, as client-go's reflector takes them (`tools/cache/reflector.go`: `defaultBackoffInit`
/// 800 ms, `defaultBackoffMax` 30 s, factor 2, `defaultBackoffReset` 2 min): a server that keeps
/// failing, or keeps answering 410, is asked at most about twice a minute; once no wait has been
/// needed for 2 minutes the server is taken to be healthy and the waits start over from 800 ms.
/// A `Retry-After` the server sent is waited out in full when it is longer.
struct ReflectorBackoff {
    /// 800 ms doubling to 30 s, ±10 % (the reflector's jitter is +0–100 %; ±10 % keeps the mean
    /// near its base while still spreading clients that failed together).
    private var delays = Backoff(initial: .milliseconds(800), maximum: .seconds(30), jitter: 0.1)
    /// When the last wait was handed out (monotonic), nil before any.
    private var lastWait: Duration?
    /// 2 minutes without a wait: healthy again.
    static let reset: Duration = .seconds(120)

    /// Starts the waits over from 800 ms (a watch that carried events before it broke).
    mutating func reset() { delays.reset() }

    /// The next wait at monotonic time `now`, at least the `Retry-After` of `error` when it has one.
    mutating func next(at now: Duration, after error: KubeError? = nil) -> Duration {
        if let lastWait, now - lastWait >= Self.reset { delays.reset() }
        lastWait = now
        let wait = delays.next()
        guard let asked = error?.retryAfterDuration else { return wait }
        return max(wait, asked)
    }
}
