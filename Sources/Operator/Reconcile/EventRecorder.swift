import Autoscaling
import Foundation
import JSON
import Kube
import Locking

/// Records core/v1 Events about pools, as client-go's event broadcaster does, through the
/// controller's ``WriteExecutor`` (so Events pass its rate limit and fence too):
/// - ``record(_:type:reason:message:)`` only queues the Event (at most 1,000 waiting: client-go's
///   `maxQueuedEvents`; past it the newest are dropped and counted) and returns: a reconcile never
///   waits on an Event;
/// - one delivery task writes them in order. A repeat of the same reason and message for the same
///   object bumps the existing Event's `count` and `lastTimestamp` (client-go's correlator) instead
///   of adding another; an Event the server has expired is created anew;
/// - a write that fails on the way (5xx, 429, a timeout, a broken connection) is retried, up to 12
///   tries in all (`maxTriesPerEvent`), the first wait random in 0–10 s and then 10 s each
///   (`defaultSleepDuration`), at least the server's `Retry-After`. Every try sends the same body (the
///   same name, the same count), so a try that timed out but went through is not counted twice: a
///   create answered 409 AlreadyExists is that Event, recorded;
/// - an Event the server rejects (4xx), or one still failing after 12 tries, is given up with an
///   error line and counted (``lost``): never silently.
public final class EventRecorder: Sendable {
    /// Who reports the Events (the `source` and `reporting*` fields), as `v1.EventSource`.
    public struct Source: Sendable {
        /// `eip-operator` by default.
        public var component: String
        /// This process (its leader-election identity).
        public var instance: String

        /// A source.
        public init(component: String = "eip-operator", instance: String) {
            self.component = component
            self.instance = instance
        }
    }

    /// `Normal` (something changed as intended) or `Warning` (something is wrong).
    public enum EventType: String, Sendable { case normal = "Normal", warning = "Warning" }

    /// Events waiting at most (client-go's `maxQueuedEvents`).
    public static let maximumQueued = 1000
    /// Tries per Event (client-go's `maxTriesPerEvent`).
    public static let maximumTries = 12
    /// The wait between tries (client-go's `defaultSleepDuration`; the first is random below it).
    public static let retryWait: Duration = .seconds(10)

    let source: Source
    let clock: any Clock
    private let queue: AsyncStream<Occurrence>.Continuation
    private let delivery: Delivery
    /// The last name suffix handed out (nanoseconds of wall time, made unique).
    private let lastSuffix = Locked<UInt64>(0)

    /// A recorder writing through `writer` (a controller's, so that Events pass its guards too),
    /// stamping with `clock`'s wall time and waiting between tries on it; lost Events are said on `log`.
    public init(writer: WriteExecutor, source: Source, clock: any Clock = SystemClock(), log: Logger? = nil) {
        self.source = source
        self.clock = clock
        let (stream, continuation) = AsyncStream.makeStream(of: Occurrence.self, bufferingPolicy: .bufferingOldest(Self.maximumQueued))
        queue = continuation
        let delivery = Delivery(writer: writer, clock: clock, log: log)
        self.delivery = delivery
        Task { await delivery.run(stream) }
    }

    /// A recorder writing through an executor of its own (for callers outside a controller).
    public convenience init(client: KubeClient, component: String = "eip-operator", instance: String, clock: any Clock = SystemClock()) {
        self.init(writer: WriteExecutor(client: client, clock: clock), source: Source(component: component, instance: instance), clock: clock)
    }

    deinit { queue.finish() }

    /// Queues an Event about `pool` (its metadata names the involved object); returns at once.
    public func record(_ pool: JSONValue, type: EventType, reason: String, message: String) async {
        let meta = ObjectMeta(pool)
        guard let namespace = meta.namespace, let uid = meta.uid else { return }
        let time = clock.now()
        let now = JSONValue.string(time.rfc3339)
        let name = "\(meta.name).\(String(uniqueSuffix(time), radix: 16))"
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "involvedObject": ["apiVersion": .string(ResourceRef.elasticInferencePools.apiVersion), "kind": .string(ElasticInferencePool.kind),
                               "name": .string(meta.name), "namespace": .string(namespace), "uid": .string(uid),
                               "resourceVersion": .string(meta.resourceVersion ?? "")],
            "reason": .string(reason), "message": .string(message), "type": .string(type.rawValue),
            "source": ["component": .string(source.component)], "reportingComponent": .string(source.component),
            "reportingInstance": .string(source.instance),
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
        ]
        delivery.queued()
        if case .dropped = queue.yield(Occurrence(key: "\(uid)|\(type.rawValue)|\(reason)|\(message)", event: event, time: now)) {
            delivery.dropped(reason: reason)
        }
    }

    /// Waits until every Event queued so far is written or given up, for at most `timeout` seconds
    /// of real time (tests; shutdown). True when nothing is left.
    @discardableResult
    public func flush(timeout: Double = 10) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while delivery.pending > 0 && Date() < deadline { try? await Task.sleep(nanoseconds: 5_000_000) }
        return delivery.pending == 0
    }

    /// Events given up (rejected, out of tries, or dropped from a full queue).
    public var lost: Int { delivery.lost }

    /// client-go names Events `<object>.<unix nanoseconds in hex>`; two Events in the same
    /// nanosecond (or under a clock that stands still, in tests) get the next one up.
    private func uniqueSuffix(_ time: Timestamp) -> UInt64 {
        let nanoseconds = UInt64(max(0, time.secondsSinceEpoch) * 1e9)
        return lastSuffix.withLock { last in
            last = max(nanoseconds, last + 1)
            return last
        }
    }

    /// One Event to record: its correlation key (object, type, reason, message), the new Event, its time.
    struct Occurrence: Sendable {
        let key: String
        let event: JSONValue
        let time: JSONValue
    }

    /// The delivery task's state: the Events written (for repeats), the counts.
    final class Delivery: Sendable {
        let writer: WriteExecutor
        let clock: any Clock
        let log: Logger?
        private let recent = Locked<[String: (name: String, namespace: String, count: Int)]>([:])
        private let counts = Locked((pending: 0, lost: 0))

        init(writer: WriteExecutor, clock: any Clock, log: Logger?) {
            self.writer = writer
            self.clock = clock
            self.log = log
        }

        var pending: Int { counts.withLock { $0.pending } }
        var lost: Int { counts.withLock { $0.lost } }
        func queued() { counts.withLock { $0.pending += 1 } }

        func dropped(reason: String) {
            counts.withLock { $0.pending -= 1; $0.lost += 1 }
            log?.error("event dropped: too many waiting", [("reason", reason), ("queued", EventRecorder.maximumQueued)])
        }

        func run(_ stream: AsyncStream<Occurrence>) async {
            for await occurrence in stream {
                await deliver(occurrence)
                counts.withLock { $0.pending -= 1 }
            }
        }

        /// Writes one occurrence: a new Event, or the next count of the one it repeats.
        private func deliver(_ occurrence: Occurrence) async {
            let metadata = occurrence.event["metadata"]
            let namespace = metadata?["namespace"]?.stringValue ?? ""
            let name = metadata?["name"]?.stringValue ?? ""
            let existing = recent.withLock { $0[occurrence.key] }
            // The request is built once: every try sends the same name, the same count.
            var request = existing.map {
                KubeRequest.patch(.events, namespace: $0.namespace, name: $0.name, .merge(["count": .integer($0.count + 1), "lastTimestamp": occurrence.time]))
            } ?? .create(.events, namespace: namespace, occurrence.event)
            var tries = 0
            while true {
                tries += 1
                do throws(KubeError) {
                    _ = try await writer.send(request)
                    remember(occurrence.key, bumped: request.verb == .patch, name: name, namespace: namespace)
                    return
                } catch {
                    switch error.kind {
                    case .notFound where request.verb == .patch:
                        // The server has expired the Event (after an hour, by default): start a new one.
                        recent.withLock { _ = $0.removeValue(forKey: occurrence.key) }
                        request = .create(.events, namespace: namespace, occurrence.event)
                        continue
                    case .alreadyExists where request.verb == .create:
                        // An earlier try went through after all: this is that Event, counted once.
                        remember(occurrence.key, bumped: false, name: name, namespace: namespace)
                        return
                    case .notLeader, .cancelled:
                        return  // not ours to write any more
                    default:
                        break
                    }
                    guard error.isRetryable || error.kind == .transport, tries < EventRecorder.maximumTries else {
                        giveUp(request, error, tries: tries)
                        return
                    }
                    log?.warning("event not written; retrying", [("verb", request.verb.rawValue), ("name", request.name ?? name),
                                                                ("reason", error.kind.description), ("error", error.message), ("try", tries)])
                    // The first wait is random, so that clients that failed together do not retry together.
                    var wait = tries == 1 ? EventRecorder.retryWait * Double.random(in: 0..<1) : EventRecorder.retryWait
                    if let asked = error.retryAfterDuration { wait = max(wait, asked) }
                    do { try await clock.sleep(for: wait) } catch { return }
                }
            }
        }

        private func remember(_ key: String, bumped: Bool, name: String, namespace: String) {
            recent.withLock { r in
                if bumped {
                    r[key]?.count += 1
                } else {
                    if r.count > 4096 { r.removeAll() }
                    r[key] = (name, namespace, 1)
                }
            }
        }

        private func giveUp(_ request: KubeRequest, _ error: KubeError, tries: Int) {
            counts.withLock { $0.lost += 1 }
            var fields: [(String, any LogFieldValue)] = [("verb", request.verb.rawValue), ("name", request.name ?? ""), ("reason", error.kind.description)]
            if let code = error.statusCode { fields.append(("code", code)) }
            log?.error("event lost", fields + [("error", error.message), ("tries", tries)])
        }
    }
}
