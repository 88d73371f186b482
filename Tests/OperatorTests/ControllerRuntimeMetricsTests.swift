import Autoscaling
import Foundation
import JSON
import Kube
import PrometheusText
import TestSupport
import Testing
import YAML
@testable import Operator
import TestDoubles

/// `/metrics` as controller-runtime operators expose it, so that their dashboards and alerts work
/// (issue 18, item 4): the families, their types and buckets, promtool's check, and every metric
/// that config/prometheus and config/grafana name.
@Suite("controller-runtime's metrics", .runsOnOwnThreads)
struct ControllerRuntimeMetricsTests {
    /// The families a controller-runtime operator exports that dashboards read, with their types.
    static let controllerRuntimeFamilies: [String: MetricFamily.Kind] = [
        "controller_runtime_reconcile_total": .counter, "controller_runtime_reconcile_errors_total": .counter,
        "controller_runtime_reconcile_time_seconds": .histogram, "controller_runtime_active_workers": .gauge,
        "controller_runtime_max_concurrent_reconciles": .gauge,
        "workqueue_adds_total": .counter, "workqueue_depth": .gauge, "workqueue_queue_duration_seconds": .histogram,
        "workqueue_work_duration_seconds": .histogram, "workqueue_retries_total": .counter, "workqueue_unfinished_work_seconds": .gauge,
        "workqueue_longest_running_processor_seconds": .gauge,
        "rest_client_requests_total": .counter, "rest_client_request_duration_seconds": .histogram, "leader_election_master_status": .gauge,
        "process_cpu_seconds_total": .counter, "process_resident_memory_bytes": .gauge, "process_virtual_memory_bytes": .gauge,
        "process_open_fds": .gauge, "process_max_fds": .gauge, "process_start_time_seconds": .gauge,
    ]

    /// The project's own.
    static let ownFamilies: [String: MetricFamily.Kind] = [
        "eip_build_info": .gauge, "eip_pool_min_replicas": .gauge, "eip_pool_max_replicas": .gauge, "eip_pool_status_condition": .gauge,
        "eip_pool_desired_replicas": .gauge, "eip_pool_ready_replicas": .gauge, "eip_pool_observed_value": .gauge,
        "eip_watch_restarts_total": .counter, "eip_list_watch_failures_total": .counter, "eip_cache_synced": .gauge,
        "eip_metrics_reads_total": .counter, "eip_metrics_read_errors_total": .counter, "eip_metrics_read_duration_seconds": .histogram,
        "eip_writes_refused_total": .counter, "eip_events_lost_total": .counter,
    ]

    /// A controller on the emulator that has reconciled one pool (its status has conditions), and its `/metrics`.
    static func renderedAfterOneReconcile() async throws -> (ControllerFixture, String, [String: MetricFamily]) {
        let f = try await ControllerFixture()
        try await f.createDeployment("model", replicas: 1)
        try await f.createPool("pool", target: "model", min: 2, max: 12)
        #expect(await f.eventually { f.controller.pools.get(namespace: "default", name: "pool")?["status"]?["conditions"] != nil })
        // The status is written before the reconcile returns and is counted: wait for the queue to be idle.
        await f.settle()
        let text = OperatorMetrics.render(controller: f.controller, isLeader: true, leaseName: "eip")
        let families = Dictionary(try ExpositionParser.parse(text).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return (f, text, families)
    }

    @Test func everyFamilyIsExportedWithItsType() async throws {
        let (_, text, families) = try await Self.renderedAfterOneReconcile()
        let unlimitedFiles = ProcessStatistics.current()?.maxFileDescriptors == nil  // then no process_max_fds is written
        for (name, kind) in Self.controllerRuntimeFamilies.merging(Self.ownFamilies, uniquingKeysWith: { a, _ in a })
        where !(name == "process_max_fds" && unlimitedFiles) {
            #expect(families[name]?.kind == kind, "\(name): \(families[name].map { "\($0.kind)" } ?? "missing")")
            // Failures have no series until one happens.
            if name != "eip_list_watch_failures_total" { #expect(families[name]?.samples.isEmpty == false, "\(name) has no sample") }
        }
        if let promtool {
            let check = run(promtool, ["check", "metrics"], stdin: text)
            #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)")
        }
    }

    @Test(.enabled(if: promtool != nil, "promtool not installed (Debian's prometheus package; scripts/install-deps.sh)"))
    func promtoolAcceptsTheWholeOutput() async throws {
        let (_, text, _) = try await Self.renderedAfterOneReconcile()
        let check = run(promtool ?? "", ["check", "metrics"], stdin: text)
        #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)")
    }

    @Test func reconcileFamiliesAreLabelledAsControllerRuntimeLabelsThem() async throws {
        let (f, _, families) = try await Self.renderedAfterOneReconcile()
        let totals = try #require(families["controller_runtime_reconcile_total"]).samples
        #expect(Set(totals.compactMap { $0.labels["result"] }) == ["success", "error", "requeue", "requeue_after"], "every result from the start")
        #expect(totals.allSatisfy { $0.labels["controller"] == "elasticinferencepool" && $0.labels.count == 2 })
        #expect((totals.first { $0.labels["result"] == "requeue_after" }?.value ?? 0) >= 1, "a pool polls: it asks to come back")
        let time = try #require(families["controller_runtime_reconcile_time_seconds"]).samples
        #expect(time.allSatisfy { Set($0.labels.keys).subtracting(["le"]) == ["controller"] }, "no result label")
        let bounds = time.filter { $0.name.hasSuffix("_bucket") }.compactMap { $0.labels["le"] }.compactMap(Double.init)
        #expect(bounds == Histogram.reconcileBounds + [.infinity])
        #expect(Histogram.reconcileBounds.count == 40 && Histogram.reconcileBounds.last == 60)
        let count = time.first { $0.name.hasSuffix("_count") }?.value ?? -1
        #expect(count == totals.reduce(0) { $0 + $1.value }, "each reconcile is timed once")
        #expect(families["controller_runtime_max_concurrent_reconciles"]?.samples.first?.value == 2, "the default workers")
        let adds = families["workqueue_adds_total"]?.samples.first
        #expect(adds?.labels == ["name": "elasticinferencepool", "controller": "elasticinferencepool"])
        #expect((adds?.value ?? 0) >= 1)
        _ = f
    }

    /// client-go's request latencies: by verb and host, its buckets, one observation per answered
    /// request that is not a watch.
    @Test func requestLatenciesAreTimedByVerb() async throws {
        let (f, _, families) = try await Self.renderedAfterOneReconcile()
        let samples = try #require(families["rest_client_request_duration_seconds"]).samples
        let counts = samples.filter { $0.name.hasSuffix("_count") }
        #expect(Set(counts.compactMap { $0.labels["verb"] }).isSuperset(of: ["GET", "PATCH"]))
        #expect(counts.allSatisfy { $0.labels["host"] == OperatorMetrics.host(of: f.emulator.url) })
        // The controller keeps running: the PATCHes counted since the render are at least those timed in it.
        let patches = f.controller.client.requestCounts.snapshot.filter { $0.key.method == "PATCH" }.values.reduce(0, +)
        let timed = counts.first { $0.labels["verb"] == "PATCH" }?.value ?? 0
        #expect(timed >= 1 && timed <= Double(patches), "\(timed) PATCHes timed, \(patches) counted")
        let bounds = samples.filter { $0.name.hasSuffix("_bucket") && $0.labels["verb"] == "GET" }.compactMap { $0.labels["le"] }.compactMap(Double.init)
        #expect(bounds == Histogram.requestBounds + [.infinity])
    }

    @Test func poolBoundsAndConditionsAreGauges() async throws {
        let (f, _, families) = try await Self.renderedAfterOneReconcile()
        #expect(families["eip_pool_min_replicas"]?.samples.first?.value == 2)
        #expect(families["eip_pool_max_replicas"]?.samples.first?.value == 12)
        #expect(families["eip_pool_min_replicas"]?.samples.first?.labels == ["namespace": "default", "pool": "pool"])
        let conditions = try #require(families["eip_pool_status_condition"]).samples
        let status = f.controller.pools.get(namespace: "default", name: "pool")?["status"]?["conditions"]?.arrayValue ?? []
        #expect(!status.isEmpty)
        for condition in status {
            let type = condition["type"]?.stringValue ?? ""
            let series = conditions.filter { $0.labels["condition"] == type }
            #expect(series.count == 3, "True, False and Unknown for \(type)")
            #expect(series.filter { $0.value == 1 }.map { $0.labels["status"] } == [condition["status"]?.stringValue], "\(type)")
        }
    }

    @Test func buildInfoIsOneWithTheVersion() {
        var w = ExpositionWriter()
        OperatorMetrics.buildInfo(&w)
        #expect(w.text.contains("eip_build_info{revision=\"\(EIPVersion.revision)\",swift=\"\(OperatorMetrics.swiftVersion)\",version=\"\(EIPVersion.current)\"} 1\n"))
    }

    /// A standby, or a process still starting, has every family's header and no controller samples.
    @Test func withoutAControllerTheFamiliesStillHaveHeaders() throws {
        let families = Dictionary(try ExpositionParser.parse(OperatorMetrics.render(controller: nil, isLeader: false, leaseName: "eip"))
            .map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in Self.controllerRuntimeFamilies.keys where name.hasPrefix("controller_runtime") || name.hasPrefix("workqueue") {
            #expect(families[name] != nil && families[name]?.samples.isEmpty == true, "\(name)")
        }
    }

    // MARK: The monitoring config names only what is exported

    /// Every metric the alerts and the dashboard query is one the operator exports (a histogram's
    /// `_bucket`, `_sum` and `_count` included); `up` is Prometheus' own.
    @Test func everyMetricTheAlertsAndTheDashboardNameIsExported() async throws {
        let (_, _, families) = try await Self.renderedAfterOneReconcile()
        var exported = Set(families.keys)
        for (name, family) in families where family.kind == .histogram { exported.formUnion(["_bucket", "_sum", "_count"].map { name + $0 }) }
        exported.insert("up")
        let queries = try Self.alertExpressions() + Self.dashboardExpressions()
        #expect(queries.count >= 25)
        for query in queries {
            let names = Self.metricNames(in: query)
            #expect(!names.isEmpty, "no metric in \(query)")
            for name in names { #expect(exported.contains(name), "\(name) (in \(query)) is not exported") }
        }
    }

    @Test func metricNamesAreReadOutOfPromQL() {
        #expect(Self.metricNames(in: #"histogram_quantile(0.99, sum by (le, source) (rate(eip_metrics_read_duration_seconds_bucket{job=~"$job"}[5m])))"#)
            == ["eip_metrics_read_duration_seconds_bucket"])
        #expect(Self.metricNames(in: #"eip_pool_desired_replicas >= eip_pool_max_replicas and on (namespace, pool) eip_pool_status_condition{condition="ScalingLimited", status="True"} == 1"#)
            == ["eip_pool_desired_replicas", "eip_pool_max_replicas", "eip_pool_status_condition"])
        #expect(Self.metricNames(in: #"label_values(eip_pool_desired_replicas{job=~"$job"}, namespace)"#) == ["eip_pool_desired_replicas"])
        #expect(Self.metricNames(in: #"absent(up{job="eip-operator-metrics"} == 1)"#) == ["up"])
    }

    static func alertExpressions() throws -> [String] {
        let text = try String(contentsOfFile: repositoryRoot + "/config/prometheus/alerts.yaml", encoding: .utf8)
        let rule = try #require(try YAMLReader.jsonValues(in: text).first)
        return (rule["spec"]?["groups"]?.arrayValue ?? []).flatMap { $0["rules"]?.arrayValue ?? [] }.compactMap { $0["expr"]?.stringValue }
    }

    /// The panels' queries (rows' panels too) and the template variables' queries.
    static func dashboardExpressions() throws -> [String] {
        let dashboard = try JSONValue(parsing: String(contentsOfFile: repositoryRoot + "/config/grafana/eip-operator-dashboard.json", encoding: .utf8))
        func queries(_ panels: [JSONValue]) -> [String] {
            panels.flatMap { panel in
                (panel["targets"]?.arrayValue ?? []).compactMap { $0["expr"]?.stringValue } + queries(panel["panels"]?.arrayValue ?? [])
            }
        }
        let variables = (dashboard["templating"]?["list"]?.arrayValue ?? []).compactMap { $0["query"]?["query"]?.stringValue ?? $0["definition"]?.stringValue }
            .filter { $0.contains("(") }
        return queries(dashboard["panels"]?.arrayValue ?? []) + variables
    }

    /// The metric names a PromQL expression selects, in order: what is left once strings, label
    /// matchers, ranges, grouping clauses, Grafana variables, functions, keywords and numbers are
    /// taken out. `label_values(selector, label)` (Grafana's) keeps its selector only.
    static func metricNames(in query: String) -> [String] {
        var q = query
        func strip(_ pattern: String, _ replacement: String = " ") {
            q = q.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        strip(#"\{[^}]*\}"#)
        strip(#"label_values\(([^,]*),[^)]*\)"#, "$1")
        strip(#""[^"]*"|'[^']*'"#)
        strip(#"\[[^\]]*\]"#)
        strip(#"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#)
        strip(#"\$\{?\w+\}?"#)
        strip(#"\b[a-zA-Z_:][a-zA-Z0-9_:]*\s*\("#, "(")
        let keywords: Set<String> = ["and", "or", "unless", "bool", "offset", "inf", "nan", "group_left", "group_right"]
        let regex = try? NSRegularExpression(pattern: #"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*"#)
        let matches = regex?.matches(in: q, range: NSRange(q.startIndex..., in: q)) ?? []
        return matches.compactMap { Range($0.range, in: q).map { String(q[$0]) } }.filter { !keywords.contains($0.lowercased()) }
    }
}

/// The Go client's process collector's statistics, read from `/proc`.
@Suite("Process statistics")
struct ProcessStatisticsTests {
    @Test func theStatLineIsReadAfterTheCommandWhateverItHolds() throws {
        // Fields 14-15 (utime, stime) 250 and 50 ticks, 22 (starttime) 1000 ticks, 23 (vsize), 24 (rss) 100 pages.
        let stat = "4242 (eip (op) x) S 1 4242 4242 0 -1 4194304 97 0 0 0 250 50 0 0 20 0 9 0 1000 3133440 100 18446744073709551615 0\n"
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 4096                 files     \n"
        let p = try #require(ProcessStatistics.parse(stat: stat, systemStat: "cpu  1 2 3\nbtime 1796051243\n", limits: limits,
                                                     openFileDescriptors: 12, ticksPerSecond: 100, pageSize: 4096))
        #expect(p == ProcessStatistics(cpuSeconds: 3, residentMemoryBytes: 409_600, virtualMemoryBytes: 3_133_440,
                                       startTimeSeconds: 1_796_051_253, openFileDescriptors: 12, maxFileDescriptors: 1024))
    }

    @Test func anUnlimitedOrMissingLimitIsNone() throws {
        let stat = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 1 1 1 0\n"
        let unlimited = "Max open files            unlimited            unlimited            files     \n"
        #expect(ProcessStatistics.parse(stat: stat, systemStat: "btime 1\n", limits: unlimited, openFileDescriptors: 1,
                                        ticksPerSecond: 100, pageSize: 4096)?.maxFileDescriptors == nil)
        #expect(ProcessStatistics.parse(stat: "garbage", systemStat: "btime 1\n", limits: "", openFileDescriptors: 1,
                                        ticksPerSecond: 100, pageSize: 4096) == nil)
        #expect(ProcessStatistics.parse(stat: stat, systemStat: "cpu 1\n", limits: "", openFileDescriptors: 1,
                                        ticksPerSecond: 100, pageSize: 4096) == nil, "no boot time")
    }

    @Test func thisProcessIsReadFromProc() throws {
        let p = try #require(ProcessStatistics.current())
        #expect(p.residentMemoryBytes > 1_000_000 && p.virtualMemoryBytes >= p.residentMemoryBytes)
        #expect(p.openFileDescriptors > 2)
        #expect(p.maxFileDescriptors.map { $0 >= p.openFileDescriptors } ?? true)
        let now = Date().timeIntervalSince1970
        #expect(p.startTimeSeconds <= now + 1 && p.startTimeSeconds > now - 86_400, "started in the last day: \(p.startTimeSeconds)")
        #expect(p.cpuSeconds > 0)
    }
}
