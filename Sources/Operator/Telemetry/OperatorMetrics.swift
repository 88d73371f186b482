import Autoscaling
import Foundation
import JSON
import Kube

/// The operator's own metrics in the Prometheus text format (0.0.4), named as controller-runtime
/// names them where it has a name: reconciles and their durations by result, queue depth, watch
/// restarts, leadership, and per pool its desired and ready replicas and observed values.
public enum OperatorMetrics {
    /// The text of `/metrics` (a nil controller: a standby's, or one still starting).
    public static func render(controller: PoolController?, isLeader: Bool, leaseName: String) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }
        /// One histogram's series: cumulative buckets, `+Inf`, sum and count, under `labels`.
        func histogram(_ name: String, _ labels: String, _ h: Histogram) {
            for (bound, count) in zip(Histogram.bounds, h.counts) { out += "\(name)_bucket{\(labels),le=\"\(number(bound))\"} \(count)\n" }
            out += "\(name)_bucket{\(labels),le=\"+Inf\"} \(h.count)\n"
            out += "\(name)_sum{\(labels)} \(h.sum)\n"
            out += "\(name)_count{\(labels)} \(h.count)\n"
        }
        let controllerLabel = "controller=\"elasticinferencepool\""

        family("controller_runtime_reconcile_total", "counter", "Total number of reconciliations per controller.")
        let totals = controller?.telemetry.reconciles ?? [:]
        for result in ["success", "error"] { out += "controller_runtime_reconcile_total{\(controllerLabel),result=\"\(result)\"} \(totals[result] ?? 0)\n" }

        family("controller_runtime_reconcile_time_seconds", "histogram", "Length of time per reconciliation per controller.")
        let durations = controller?.telemetry.reconcileDurations ?? [:]
        for result in ["success", "error"] {
            histogram("controller_runtime_reconcile_time_seconds", "\(controllerLabel),result=\"\(result)\"", durations[result] ?? Histogram())
        }

        family("workqueue_depth", "gauge", "Current depth of workqueue.")
        out += "workqueue_depth{name=\"elasticinferencepool\"} \(controller?.queue.depth ?? 0)\n"

        let informers = controller?.informers ?? []
        family("eip_watch_restarts_total", "counter", "Watches restarted, per resource: ended by the server, failed, or answered 410.")
        for informer in informers {
            out += "eip_watch_restarts_total{resource=\"\(informer.name)\"} \(informer.watchRestarts)\n"
        }
        family("eip_list_watch_failures_total", "counter", "Lists and watches that failed, per resource, verb and reason (Forbidden, NotFound, InternalError, ConnectionFailed, Gone, ...).")
        for informer in informers {
            for (key, count) in informer.failureCounts.sorted(by: { $0.key < $1.key }) {
                out += "eip_list_watch_failures_total{resource=\"\(informer.name)\",verb=\"\(key.verb)\",reason=\"\(key.reason)\"} \(count)\n"
            }
        }
        family("eip_cache_synced", "gauge", "1 once the resource's cache holds its first list.")
        for informer in informers {
            out += "eip_cache_synced{resource=\"\(informer.name)\"} \(informer.hasSynced ? 1 : 0)\n"
        }
        if let controller {
            family("rest_client_requests_total", "counter", "Number of HTTP requests, partitioned by status code, method, and host.")
            let host = escape(Self.host(of: controller.client.transport.configuration.server))
            for (key, count) in controller.client.requestCounts.snapshot.sorted(by: { $0.key < $1.key }) {
                out += "rest_client_requests_total{code=\"\(escape(key.code))\",host=\"\(host)\",method=\"\(key.method)\"} \(count)\n"
            }
            family("eip_writes_refused_total", "counter", "Writes not sent because this process did not hold the Lease within its renew deadline.")
            out += "eip_writes_refused_total \(controller.writer.refusedByFence)\n"
            family("eip_events_lost_total", "counter", "Events given up: rejected by the API server, out of tries, or dropped from a full queue.")
            out += "eip_events_lost_total \(controller.events?.lost ?? 0)\n"
        }

        let reads = (controller?.telemetry.metricsReads ?? [:]).sorted { $0.key < $1.key }
        family("eip_metrics_reads_total", "counter", "Metric reads, per source (prometheus, podscrape, static).")
        for (source, stats) in reads { out += "eip_metrics_reads_total{source=\"\(source)\"} \(stats.reads)\n" }
        family("eip_metrics_read_errors_total", "counter", "Metric reads that failed as a whole (source down, no pod answered), per source.")
        for (source, stats) in reads { out += "eip_metrics_read_errors_total{source=\"\(source)\"} \(stats.errors)\n" }
        family("eip_metrics_read_duration_seconds", "histogram", "Time to read a pool's metrics, per source.")
        for (source, stats) in reads { histogram("eip_metrics_read_duration_seconds", "source=\"\(source)\"", stats.durations) }

        family("leader_election_master_status", "gauge", "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.")
        out += "leader_election_master_status{name=\"\(escape(leaseName))\"} \(isLeader ? 1 : 0)\n"

        let pools = controller?.pools.list() ?? []
        family("eip_pool_desired_replicas", "gauge", "Replicas the pool's last decision asked for.")
        for pool in pools {
            guard let value = pool["status"]?["desiredReplicas"]?.intValue else { continue }
            out += "eip_pool_desired_replicas{namespace=\"\(escape(ObjectMeta(pool).namespace ?? ""))\",pool=\"\(escape(ObjectMeta(pool).name))\"} \(value)\n"
        }
        family("eip_pool_ready_replicas", "gauge", "Ready replicas of the pool's Deployment at the last decision.")
        for pool in pools {
            guard let value = pool["status"]?["readyReplicas"]?.intValue else { continue }
            out += "eip_pool_ready_replicas{namespace=\"\(escape(ObjectMeta(pool).namespace ?? ""))\",pool=\"\(escape(ObjectMeta(pool).name))\"} \(value)\n"
        }
        family("eip_pool_observed_value", "gauge", "The last observed metric values (seconds for latencies, fraction for utilisation, counts and rates as they are), the pools' own metrics too.")
        out += observedValues(of: pools)
        return out
    }

    /// A label value escaped for the text format (`\`, `"`, line breaks).
    static func escape(_ v: String) -> String {
        v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// `eip_pool_observed_value` samples of `pools`: each value in `status.observed`, the built-ins
    /// by their status keys, a pool's own metrics from `observed.custom` (their kind read from how
    /// they are written: `93%` a fraction, `250ms` a time, `12` a number).
    static func observedValues(of pools: [JSONValue]) -> String {
        var out = ""
        for pool in pools {
            let observed = pool["status"]?["observed"]
            var values: [(MetricName, String)] = MetricName.builtIns.compactMap { metric in
                observed?[metric.statusKey]?.stringValue.map { (metric, $0) }
            }
            // A pool's own metrics (`observed.custom`): their kind shows in how they are written.
            for (name, value) in observed?["custom"]?.objectValue ?? [:] {
                guard let text = value.stringValue else { continue }
                let kind: MetricKind = text.hasSuffix("%") ? .fraction : (text.last?.isLetter == true ? .duration : .count)
                values.append((.custom(name, kind: kind), text))
            }
            for (metric, text) in values {
                guard let quantity = try? Quantity.parse(text, for: metric).get() else { continue }
                out += "eip_pool_observed_value{namespace=\"\(escape(ObjectMeta(pool).namespace ?? ""))\",pool=\"\(escape(ObjectMeta(pool).name))\",metric=\"\(escape(metric.rawValue))\"} \(quantity.value)\n"
            }
        }
        return out
    }

    /// `host:port` of a server URL, as client-go labels its requests.
    static func host(of server: String) -> String {
        guard let scheme = server.range(of: "://") else { return server }
        return String(server[scheme.upperBound...].prefix { $0 != "/" })
    }
}
