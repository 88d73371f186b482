import Autoscaling
import JSON
import LoadModel
import Simulation

/// The runs of one `eipctl simulate` as people (a table) and programs (JSON with the series) read them.
struct SimulationReport {
    let pool: ElasticInferencePool
    let policy: ScalingPolicy
    let trace: Trace
    let settings: SimulationSettings
    let seed: UInt64
    let builtinTrace: Bool
    /// The view the pool's engine reads through.
    let pipeline: MetricsPipeline
    /// The anchors run beside the engine.
    let anchors: [AnchorSpec]
    let runs: [ScalerRun]

    var title: String { "\(pool.namespace)/\(pool.name) on \(trace.name)" }

    var subtitle: String {
        "\(settings.profile.name), cold start \(Self.seconds(settings.profile.coldStart)), SLO P90 ≤ \(Self.milliseconds(settings.slo))"
            + (builtinTrace ? ", seed \(seed)" : "")
    }

    var text: String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        let profile = settings.profile
        let peak = trace.demand.max() ?? 0
        let mean = trace.demand.isEmpty ? 0 : trace.demand.reduce(0, +) / Double(trace.demand.count)
        line("Pool      \(pool.namespace)/\(pool.name): replicas \(policy.minReplicas)..\(policy.maxReplicas), poll \(Self.seconds(policy.behavior.pollIntervalSeconds)), up \"\(pool.spec.scaleUpThreshold)\", down \"\(pool.spec.scaleDownThreshold)\"")
        var views = ["\(runs.first?.name ?? "the engine") reads \(Self.describe(pipeline))"]
        if anchors.contains(where: { $0.kind != .kpa }) { views.append("HPA and KEDA read Prometheus (60s windows, 15s late)") }
        if anchors.contains(where: { $0.kind == .kpa }) { views.append("KPA its queue-proxies (60s and 6s windows)") }
        line("Metrics   " + views.joined(separator: "; "))
        line("Traffic   \(trace.name): \(NumberText.grouped(trace.duration)) s\(builtinTrace ? " (seed \(seed))" : ""), mean \(NumberText.grouped(Int(mean.rounded()))) req/s, peak \(NumberText.grouped(Int(peak.rounded()))) req/s")
        line("Server    \(profile.name): \(NumberText.grouped(Int(profile.capacity.rounded()))) req/s per ready replica, P90 \(Self.milliseconds(profile.baseLatency)) at low load, cold start \(Self.seconds(profile.coldStart))")
        line("SLO       P90 ≤ \(Self.milliseconds(settings.slo))")
        line()
        let header = ["SCALER", "SLO-VIOLATION", "REPLICA-SECONDS", "GPU-HOURS", "SCALE EVENTS", "DROPPED", "PEAK"]
        let rows = runs.map { run -> [String] in
            let s = run.scores
            return [run.name, "\(NumberText.grouped(s.sloViolationSeconds)) s", NumberText.grouped(s.replicaSeconds), NumberText.fixed(s.gpuHours, 2),
                    NumberText.grouped(s.scaleEvents), NumberText.fixed(s.droppedPercent, 2) + "%", String(s.peakReplicas)]
        }
        let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
        func row(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == 0 ? cell.padding(widths[i]) : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }
        line(row(header))
        for r in rows { line(row(r)) }
        return out
    }

    var json: JSONValue {
        let profile = settings.profile
        var scalers: [JSONValue] = []
        for run in runs {
            let s = run.scores
            scalers.append([
                "name": .string(run.name),
                "sloViolationSeconds": .integer(s.sloViolationSeconds),
                "replicaSeconds": .integer(s.replicaSeconds),
                "gpuHours": .double(NumberText.rounded(s.gpuHours, 4)),
                "scaleEvents": .integer(s.scaleEvents),
                "droppedRequests": .double(s.droppedRequests.rounded()),
                "droppedPercent": .double(NumberText.rounded(s.droppedPercent, 4)),
                "peakReplicas": .integer(s.peakReplicas),
                "events": .array(run.events.map { e in
                    ["time": .integer(e.time), "from": .integer(e.from), "to": .integer(e.to), "reason": .string(e.reason)]
                }),
                "series": [
                    "replicas": .array(run.series.replicas.map { .integer($0) }),
                    "ready": .array(run.series.ready.map { .integer($0) }),
                    "p90Seconds": .array(run.series.p90.map { .double(NumberText.rounded($0, 6)) }),
                    "dropped": .array(run.series.dropped.map { .double($0.rounded()) }),
                ],
            ])
        }
        return [
            "pool": ["namespace": .string(pool.namespace), "name": .string(pool.name), "minReplicas": .integer(policy.minReplicas),
                     "maxReplicas": .integer(policy.maxReplicas), "pollIntervalSeconds": .double(policy.behavior.pollIntervalSeconds),
                     "metrics": .string(Self.describe(pipeline))],
            "trace": ["name": .string(trace.name), "seconds": .integer(trace.duration), "seed": builtinTrace ? (seed <= UInt64(Int.max) ? .integer(Int(seed)) : .string(String(seed))) : .null],
            "profile": ["name": .string(profile.name), "capacity": .double(profile.capacity), "baseLatencySeconds": .double(profile.baseLatency),
                        "gpuUtilisation": ["idle": .double(profile.gpuUtilisation.idle), "perLoad": .double(profile.gpuUtilisation.perLoad),
                                           "maximum": .double(profile.gpuUtilisation.maximum)],
                        "coldStartSeconds": .double(profile.coldStart)],
            "sloSeconds": .double(settings.slo),
            "demand": .array(trace.demand.map { .double(NumberText.rounded($0, 1)) }),
            "scalers": .array(scalers),
        ]
    }

    static func describe(_ pipeline: MetricsPipeline) -> String {
        switch pipeline {
        case .directScrape(let window): return "PodScrape (P90 over \(window)s, no lag)"
        case .prometheus(let interval, let window): return "Prometheus (\(window)s windows, \(interval)s late)"
        }
    }

    static func seconds(_ value: Double) -> String { value == value.rounded() ? "\(Int(value))s" : "\(value)s" }

    static func milliseconds(_ value: Double) -> String {
        let ms = value * 1000
        return ms == ms.rounded() ? "\(Int(ms))ms" : "\(NumberText.rounded(ms, 3))ms"
    }
}
