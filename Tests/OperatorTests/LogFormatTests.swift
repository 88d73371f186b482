import Autoscaling
import Foundation
import JSON
import KubeEmulator
import Locking
import TestSupport
import Testing
@testable import Operator
import TestDoubles

/// The lines of a logger writing JSON (or text) into memory.
private final class LogLines: Sendable {
    private let lines = Locked<[String]>([])
    let logger: Logger

    init(format: Logger.Format = .json, level: Logger.Level = .debug, clock: any Clock) {
        let lines = self.lines
        logger = Logger(level: level, format: format, clock: clock) { line in lines.withLock { $0.append(line) } }
    }

    var text: [String] { lines.withLock { $0 } }
    /// Each line parsed as JSON (a line that is not JSON fails the test).
    func json() throws -> [JSONValue] { try text.map { try JSONValue(parsing: $0) } }
}

/// Log lines as controller-runtime's zap JSON encoder writes them, so that the queries built for
/// controller-runtime operators read ours (issue 18, item 3).
@Suite("Log format", .runsOnOwnThreads)
struct LogFormatTests {
    /// 2026-11-27T10:00:00.25Z.
    static let clock = ManualClock(start: Timestamp(secondsSinceEpoch: 1_795_773_600.25))

    @Test func aJSONLineHasTsLevelLoggerMsgAndTypedFields() throws {
        let lines = LogLines(clock: Self.clock)
        lines.logger.named("informer").info("watch expired; relisting",
                                            [("resource", "pods"), ("code", 410), ("ratio", 0.5), ("synced", true), ("after", Duration.milliseconds(1500))])
        let line = try #require(try lines.json().first)
        #expect(line["ts"] == "2026-11-27T10:00:00.250Z", "RFC 3339, UTC, milliseconds")
        #expect(line["level"] == "info")
        #expect(line["logger"] == "eip-operator.informer")
        #expect(line["msg"] == "watch expired; relisting")
        #expect(line["resource"] == "pods")
        #expect(line["code"] == .integer(410), "numbers stay numbers")
        #expect(line["ratio"] == .double(0.5))
        #expect(line["synced"] == .bool(true))
        #expect(line["after"] == .double(1.5), "a duration is float seconds")
        #expect(line.objectValue?.keys.prefix(4) == ["level", "ts", "logger", "msg"], "zap's order")
    }

    @Test func levelsAreZapsNames() throws {
        let lines = LogLines(clock: Self.clock)
        lines.logger.debug("d")
        lines.logger.info("i")
        lines.logger.warning("w")
        lines.logger.error("e")
        #expect(try lines.json().compactMap { $0["level"]?.stringValue } == ["debug", "info", "warn", "error"])
        #expect(Logger.Level(name: "warn") == .warning && Logger.Level(name: "WARNING") == .warning)
    }

    @Test func aLevelBelowTheLoggersIsDropped() {
        let lines = LogLines(level: .info, clock: Self.clock)
        lines.logger.named("webhook").debug("not written")
        #expect(lines.text.isEmpty)
    }

    /// A field cannot overwrite the line's own keys.
    @Test func aFieldNamedLikeAKeyOfTheLineDoesNotReplaceIt() throws {
        let lines = LogLines(clock: Self.clock)
        lines.logger.info("starting", [("msg", "other"), ("level", "error")])
        let line = try #require(try lines.json().first)
        #expect(line["msg"] == "starting" && line["level"] == "info")
    }

    @Test func namesNestWithDots() {
        let logger = LogLines(clock: Self.clock).logger
        #expect(logger.name == "eip-operator")
        #expect(logger.named("controller").named("elasticinferencepool").name == "eip-operator.controller.elasticinferencepool")
    }

    @Test func theTextFormatIsOneReadableLine() {
        let lines = LogLines(format: .text, clock: Self.clock)
        lines.logger.named("leader-election").warning("could not release the lease", [("lease", "eip-system/eip"), ("tries", 3)])
        #expect(lines.text == ["2026-11-27T10:00:00.250Z WARN eip-operator.leader-election could not release the lease lease=eip-system/eip tries=3\n"])
    }

    @Test func timestampsKeepMillisecondsAtTheEdges() {
        #expect(FormattingLogSink.timestamp(Timestamp(secondsSinceEpoch: 1_795_773_600)) == "2026-11-27T10:00:00.000Z")
        #expect(FormattingLogSink.timestamp(Timestamp(secondsSinceEpoch: 1_795_773_600.999_9)) == "2026-11-27T10:00:00.999Z")
        #expect(FormattingLogSink.timestamp(Timestamp(secondsSinceEpoch: 1_795_773_600.007)) == "2026-11-27T10:00:00.007Z")
    }

    /// controller-runtime's reconcile keys, in its order, with a UUID v4 per reconcile.
    @Test func reconcileLinesCarryControllerRuntimesKeys() throws {
        let lines = LogLines(clock: Self.clock)
        let id = UUID()
        lines.logger.error("Reconciler error", PoolController.reconcileFields(ObjectKey(namespace: "serving", name: "llama"), reconcileID: id)
            + [("error", "deployments.apps \"model\" is forbidden")])
        let line = try #require(try lines.json().first)
        #expect(line.objectValue?.keys == ["level", "ts", "logger", "msg", "controller", "controllerGroup", "controllerKind",
                                           "ElasticInferencePool", "namespace", "name", "reconcileID", "error"])
        #expect(line["controller"] == "elasticinferencepool" && line["controllerGroup"] == "aiops.example.com")
        #expect(line["ElasticInferencePool"] == ["name": "llama", "namespace": "serving"])
        let reconcileID = try #require(line["reconcileID"]?.stringValue)
        #expect(reconcileID == id.uuidString.lowercased())
        // Version 4 (random), RFC 4122 variant: xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx.
        let parts = reconcileID.split(separator: "-").map(String.init)
        #expect(parts.map(\.count) == [8, 4, 4, 4, 12])
        #expect(parts[2].first == "4" && "89ab".contains(parts[3].first ?? "x"))
    }

    /// A reconcile that fails is logged at error level as `Reconciler error`, with `error`.
    @Test func aFailedReconcileIsAnErrorLine() async throws {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 1)
        f.emulator.inject(Fault(verb: "patch", pathPrefix: "/apis/apps/v1/namespaces/default/deployments/model", status: 403,
                                count: 1, userAgent: ControllerFixture.operatorUserAgent, message: "deployments.apps \"model\" is forbidden"))
        try await f.createPool("pool", target: "model")
        #expect(await f.eventually { !f.log.records("Reconciler error").isEmpty })
        let failure = try #require(f.log.records("Reconciler error").first)
        #expect(failure.level == .error)
        #expect(failure.field("error")?.contains("forbidden") == true, "\(failure.field("error") ?? "")")
        #expect(failure.field("name") == "pool" && failure.field("controller") == "elasticinferencepool")
    }
}
