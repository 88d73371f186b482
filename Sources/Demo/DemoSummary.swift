import Autoscaling
import JSON
import KubeEmulator
import LoadModel
import Simulation

/// The end of a run: its scores, beside `eipctl simulate` of the same pool on the same trace, and
/// the plot of both (the simulator's own ``ComparisonPlot``).
struct DemoSummary {
    /// The live run, scored as the simulator scores its runs (LOADMODEL.md, "Scores").
    let live: ScalerRun
    /// The same pool, uncompressed, in `eipctl simulate` (nil for a run stopped before its end).
    let simulated: ScalerRun?
    let settings: SimulationSettings

    static let liveName = "eip-operator, live on kube-emulator"
    static let simulatedName = "eip-operator in eipctl simulate"

    /// - Parameter run: the target Deployment's ticks and `spec.replicas`, second by second.
    init(run: ServedRun, manifests: DemoManifests, trace: Trace, settings: SimulationSettings, complete: Bool) {
        var events: [ScaleEvent] = []
        for (t, pair) in zip(run.asked, run.asked.dropFirst()).enumerated() where pair.0 != pair.1 {
            events.append(ScaleEvent(time: t + 1, from: pair.0, to: pair.1, reason: pair.1 > pair.0 ? "ScaledUp" : "ScaledDown"))
        }
        live = ScalerRun(name: Self.liveName, scores: Scores(ticks: run.ticks, slo: settings.slo, scaleEvents: events.count),
                         series: RunSeries(ticks: run.ticks), events: events)
        simulated = complete && run.ticks.count == trace.duration
            ? Simulator.run(EngineScaler(name: Self.simulatedName, pool: manifests.pool, policy: manifests.policy), trace: trace, settings: settings)
            : nil
        self.settings = settings
    }

    /// The score table, as `eipctl simulate` prints it.
    var table: [String] {
        let runs = [live] + (simulated.map { [$0] } ?? [])
        let nameWidth = runs.map(\.name.count).max() ?? 10
        func cell(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        var lines = [LiveView.pad("", nameWidth) + "  SLO-VIOLATION  REPLICA-SECONDS  GPU-HOURS  SCALE EVENTS  DROPPED  PEAK"]
        for run in runs {
            let s = run.scores
            lines.append(LiveView.pad(run.name, nameWidth) + "  "
                + [cell("\(s.sloViolationSeconds) s", 13), cell(NumberText.grouped(s.replicaSeconds), 15), cell(NumberText.fixed(s.gpuHours, 2), 9),
                   cell(String(s.scaleEvents), 12), cell(NumberText.fixed(s.droppedPercent, 2) + "%", 7), cell(String(s.peakReplicas), 4)]
                .joined(separator: "  "))
        }
        return lines
    }

    /// `summary.json`: the scores, the scale events, the operator's Events by reason and the replicas
    /// asked second by second, for scripts and tests.
    func json(trace: Trace, speed: Double, wallSeconds: Double, interrupted: Bool, operatorPID: Int32?, events: [String: Int], asked: [Int]) -> JSONValue {
        func scores(_ run: ScalerRun) -> JSONValue {
            let s = run.scores
            return ["name": .string(run.name), "sloViolationSeconds": .integer(s.sloViolationSeconds), "replicaSeconds": .integer(s.replicaSeconds),
                    "scaleEvents": .integer(s.scaleEvents), "droppedPercent": .double(NumberText.rounded(s.droppedPercent, 3)),
                    "peakReplicas": .integer(s.peakReplicas)]
        }
        var object: JSONObject = [
            "trace": .string(trace.name), "traceSeconds": .integer(trace.duration), "playedSeconds": .integer(live.series.demand.count),
            "speed": .double(speed), "wallSeconds": .double(NumberText.rounded(wallSeconds, 1)), "interrupted": .bool(interrupted),
            "sloSeconds": .double(settings.slo), "live": scores(live),
            "scaleEvents": .array(live.events.map { ["time": .integer($0.time), "from": .integer($0.from), "to": .integer($0.to)] }),
            "events": .object(JSONObject(events.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.integer($0.value)) })),
            "asked": .array(asked.map { .integer($0) }),
        ]
        if let simulated { object["simulated"] = scores(simulated) }
        if let operatorPID { object["operatorPid"] = .integer(Int(operatorPID)) }
        return .object(object)
    }

    /// The SVG: the live run's panel, then the simulator's.
    func svg(title: String, subtitle: String) -> String {
        ComparisonPlot(title: title, subtitle: subtitle, runs: [live] + (simulated.map { [$0] } ?? []), settings: settings).svg
    }
}
