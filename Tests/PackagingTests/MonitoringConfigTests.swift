import Foundation
import JSON
import Testing
import TestSupport
import YAML

/// config/prometheus (ServiceMonitor, alerts) and config/grafana (the dashboard).
@Suite("Monitoring config", .runsOnOwnThreads)
struct MonitoringConfigTests {
    static let promtool = "/usr/bin/promtool"

    /// The rule groups of the PrometheusRule, as a rules file promtool reads (JSON is YAML).
    static func ruleGroups() throws -> JSONValue {
        let text = try String(contentsOfFile: repositoryRoot + "/config/prometheus/alerts.yaml", encoding: .utf8)
        let rule = try #require(try YAMLReader.jsonValues(in: text).first)
        #expect(rule["kind"]?.stringValue == "PrometheusRule")
        return ["groups": try #require(rule["spec"]?["groups"])]
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: promtool), "promtool is not installed (scripts/install-deps.sh)"))
    func alertsPassPromtool() throws {
        let path = NSTemporaryDirectory() + "eip-alerts-\(UUID().uuidString).yml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.ruleGroups().prettyText.write(toFile: path, atomically: true, encoding: .utf8)
        let check = run(Self.promtool, ["check", "rules", path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: 5 rules found"))
    }

    @Test func alertsCoverTheOperatorAndItsPools() throws {
        let alerts = try Self.ruleGroups()["groups"]?.arrayValue?.first?["rules"]?.arrayValue ?? []
        #expect(alerts.compactMap { $0["alert"]?.stringValue } == ["EIPOperatorDown", "EIPOperatorNoLeader", "EIPReconcileErrors",
                                                                   "EIPPoolAtMaxReplicas", "EIPPoolMetricsUnavailable"])
        for alert in alerts {
            #expect(alert["labels"]?["severity"]?.stringValue != nil)
            #expect(alert["annotations"]?["summary"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func dashboardIsWellFormed() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/config/grafana/eip-operator-dashboard.json", encoding: .utf8)
        let dashboard = try JSONValue(parsing: text)
        #expect(dashboard["uid"]?.stringValue == "eip-operator")
        let panels = dashboard["panels"]?.arrayValue ?? []
        let ids = panels.compactMap { $0["id"]?.intValue }
        #expect(ids.count == panels.count && Set(ids).count == ids.count, "every panel has its own id")
        let queries = panels.flatMap { $0["targets"]?.arrayValue ?? [] }.compactMap { $0["expr"]?.stringValue }
        #expect(queries.count >= 20)
        // The dashboards built for controller-runtime operators find their families here too.
        for family in ["controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total", "controller_runtime_reconcile_time_seconds_bucket",
                       "workqueue_depth", "workqueue_adds_total", "rest_client_requests_total", "process_resident_memory_bytes"] {
            #expect(queries.contains { $0.contains(family) }, "no panel reads \(family)")
        }
    }
}
