import Autoscaling
import Foundation
import JSON
import Kube
import KubeEmulator
import Locking
import TestDoubles
import Testing
@testable import Operator

/// A recorder on a manual clock against `f`'s emulator, with its log; `requestTimeout` for the client.
func recorder(_ f: OperatorFixture, clock: ManualClock, requestTimeout: Double = 30) -> (EventRecorder, RecordingLogSink) {
    var transport = TransportConfiguration(server: f.emulator.url)
    transport.requestTimeout = requestTimeout
    let sink = RecordingLogSink()
    let writer = WriteExecutor(client: KubeClient(transport: HTTPTransport(transport)), clock: clock)
    return (EventRecorder(writer: writer, source: .init(instance: "test"), clock: clock, log: Logger(level: .debug, sink: sink, clock: clock)), sink)
}

let eventsPath = "/api/v1/namespaces/default/events"
let aPool: JSONValue = ["metadata": ["name": "pool", "namespace": "default", "uid": "uid-1", "resourceVersion": "7"]]

extension OperatorFixture {
    func events() async throws -> [EventView] { try await client.list(.events, namespace: "default").items.map(EventView.init) }
    func eventWrites(_ verb: String) -> [Int] { emulator.requests.filter { $0.path.hasPrefix(eventsPath) && $0.verb == verb }.map(\.status) }
}

/// Moves `clock` on by `step` each time the recorder is waiting on it, until `done` or `limit` of moves.
func drive(_ clock: ManualClock, by step: Duration, limit: Int = 20, until done: () -> Bool) async {
    for _ in 0..<limit where !done() {
        _ = await eventually { clock.pendingTimers > 0 || done() }
        clock.advance(by: step)
    }
}

@Suite("Events are not lost")
struct EventDeliveryTests {
    /// An Event whose POST gets 5xx is retried with client-go's waits (the first random below 10 s,
    /// then 10 s), on the recorder's clock, until it is written: one Event, counted once.
    @Test func aFailedCreateIsRetriedUntilWritten() async throws {
        let f = try OperatorFixture()
        let clock = ManualClock()
        let (events, sink) = recorder(f, clock: clock)
        f.emulator.inject(Fault(verb: "create", pathPrefix: eventsPath, status: 500, count: 3))
        await events.record(aPool, type: .warning, reason: "MetricsUnavailable", message: "no fresh value for P90")
        await drive(clock, by: .seconds(10)) { f.eventWrites("create").count == 4 }
        #expect(await events.flush(timeout: 30))
        #expect(f.eventWrites("create") == [500, 500, 500, 201])
        let written = try await f.events()
        #expect(written.count == 1 && written.first?.count == 1)
        #expect(sink.records("event not written; retrying").count == 3)
        #expect(events.lost == 0)
    }

    /// A repeat's PATCH that fails is retried with the same count: the repeat is counted once.
    @Test func aRepeatIsCountedOnceThroughRetries() async throws {
        let f = try OperatorFixture()
        let clock = ManualClock()
        let (events, _) = recorder(f, clock: clock)
        await events.record(aPool, type: .warning, reason: "MetricsUnavailable", message: "no fresh value for P90")
        #expect(await events.flush(timeout: 30))
        f.emulator.inject(Fault(verb: "patch", pathPrefix: eventsPath, status: 503, count: 2))
        await events.record(aPool, type: .warning, reason: "MetricsUnavailable", message: "no fresh value for P90")
        await drive(clock, by: .seconds(10)) { f.eventWrites("patch").count == 3 }
        #expect(await events.flush(timeout: 30))
        #expect(f.eventWrites("patch") == [503, 503, 200])
        #expect(try await f.events().first?.count == 2)
    }

    /// A create that timed out at the client but went through at the server: the retry's 409
    /// AlreadyExists is that Event, not a second one; the next repeat bumps the same Event to 2.
    @Test func aCreateThatTimedOutButWentThroughIsNotRecordedTwice() async throws {
        let f = try OperatorFixture()
        let clock = ManualClock()
        let (events, _) = recorder(f, clock: clock, requestTimeout: 1)
        f.emulator.inject(Fault(verb: "create", pathPrefix: eventsPath, delaySeconds: 2))
        await events.record(aPool, type: .normal, reason: "ScaledUp", message: "2 -> 6")
        // Once the server has stored it (after its 2 s delay), let the recorder try again.
        #expect(await eventually { f.eventWrites("create") == [201] })
        await drive(clock, by: .seconds(10)) { f.eventWrites("create").count == 2 }
        #expect(await events.flush(timeout: 30))
        #expect(f.eventWrites("create") == [201, 409])
        await events.record(aPool, type: .normal, reason: "ScaledUp", message: "2 -> 6")
        #expect(await events.flush(timeout: 30))
        let written = try await f.events()
        #expect(written.count == 1 && written.first?.count == 2, "\(written.map(\.count))")
    }

    /// After 12 tries (client-go's maxTriesPerEvent) the Event is given up, with an error line and a count.
    @Test func anEventStillFailingAfterTwelveTriesIsGivenUpAndSaid() async throws {
        let f = try OperatorFixture()
        let clock = ManualClock()
        let (events, sink) = recorder(f, clock: clock)
        f.emulator.inject(Fault(verb: "create", pathPrefix: eventsPath, status: 500, count: 100))
        await events.record(aPool, type: .normal, reason: "ScaledUp", message: "2 -> 6")
        await drive(clock, by: .seconds(10), limit: 30) { events.lost == 1 }
        #expect(f.eventWrites("create").count == 12)
        let lost = try #require(sink.records("event lost").first)
        #expect(lost.level == .error && lost.field("tries") == "12" && lost.field("code") == "500")
        // A rejection (4xx) is not retried at all.
        f.emulator.clearFaults()
        f.emulator.inject(Fault(verb: "create", pathPrefix: eventsPath, status: 403, count: 1, message: "events is forbidden"))
        await events.record(aPool, type: .normal, reason: "ScaledDown", message: "6 -> 4")
        #expect(await events.flush(timeout: 30))
        #expect(events.lost == 2)
        #expect(sink.records("event lost").last?.field("error") == "events is forbidden")
    }

    /// Recording never waits on the API server: with every Event write hanging, `record` returns at once.
    @Test func recordingNeverWaitsForTheAPIServer() async throws {
        let f = try OperatorFixture()
        let clock = ManualClock()
        let (events, _) = recorder(f, clock: clock)
        f.emulator.inject(Fault(verb: "create", pathPrefix: eventsPath, count: 100, hang: true))
        for i in 0..<50 { await events.record(aPool, type: .normal, reason: "ScaledUp", message: "step \(i)") }
        #expect(await !events.flush(timeout: 0.2), "still waiting for the first")
    }

    /// A reconcile is not held up by Events that cannot be written: the pool converges while every
    /// Event write fails, and the Events arrive once the server takes them.
    @Test func reconcilesDoNotWaitForEvents() async throws {
        let f = try await ControllerFixture()
        f.emulator.inject(Fault(verb: "create", pathPrefix: eventsPath, status: 500, count: 10_000))
        try await f.createDeployment("model", replicas: 1)
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { await f.replicas("model") == 2 })
        #expect(await f.eventually { await f.condition("pool", "Ready")?["status"] == "True" })
        f.emulator.clearFaults()
        #expect(await f.eventually(step: .seconds(1), upTo: .seconds(30)) { await f.eventReasons().contains("ScaledUp") })
    }
}
