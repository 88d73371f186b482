import Autoscaling
import Foundation
import JSON
import Kube

/// The operator's `/metrics` in the Prometheus text format (0.0.4). Where controller-runtime, client-go
/// or the Go client's process collector has a family for something, it has their name, type, help,
/// labels and buckets, so the dashboards and alerts built for controller-runtime operators work
/// unchanged: `controller_runtime_*`, `workqueue_*` (labelled `name` and `controller`, both the
/// controller's name), `rest_client_*`, `leader_election_master_status`, `process_*`. The rest are
/// the project's own `eip_*`: watches, caches, metric reads, writes refused, Events lost, the build,
/// and per pool its bounds, replicas, conditions and observed values.
public enum OperatorMetrics {
    /// The text of `/metrics`. A nil controller (a process still starting) has the families'
    /// headers without controller samples. `process` defaults to this process's (`/proc`).
    public static func render(controller: PoolController?, isLeader: Bool, leaseName: String,
                              process: ProcessStatistics? = ProcessStatistics.current()) -> String {
        var w = ExpositionWriter()
        reconcileFamilies(controller, &w)
        workQueueFamilies(controller, &w)
        informerFamilies(controller?.informers ?? [], &w)
        clientFamilies(controller, &w)
        metricReadFamilies(controller?.telemetry.metricsReads ?? [:], &w)
        w.family("leader_election_master_status", "gauge", "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.")
        w.sample("leader_election_master_status", [("name", leaseName)], isLeader ? 1 : 0)
        processFamilies(process, &w)
        buildInfo(&w)
        poolFamilies(controller?.pools.list() ?? [], &w)
        return w.text
    }

    /// controller-runtime's reconcile families (`pkg/internal/controller/metrics`): every result
    /// present from the start, as controller-runtime adds 0 to each when a controller starts.
    static func reconcileFamilies(_ controller: PoolController?, _ w: inout ExpositionWriter) {
        let label = [("controller", PoolController.name)]
        let telemetry = controller?.telemetry
        w.family("controller_runtime_reconcile_total", "counter", "Total number of reconciliations per controller")
        for (result, count) in (telemetry?.reconciles ?? [:]).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            w.sample("controller_runtime_reconcile_total", label + [("result", result.rawValue)], count)
        }
        w.family("controller_runtime_reconcile_errors_total", "counter", "Total number of reconciliation errors per controller",
                 label, telemetry.map { Double($0.reconcileErrors) })
        w.family("controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller", label, telemetry?.reconcileDurations)
        w.family("controller_runtime_max_concurrent_reconciles", "gauge", "Maximum number of concurrent reconciles per controller",
                 label, telemetry.map { Double($0.maxConcurrentReconciles) })
        w.family("controller_runtime_active_workers", "gauge", "Number of currently used workers per controller", label, telemetry.map { Double($0.activeWorkers) })
    }

    /// client-go's work queue families, labelled as controller-runtime labels its queues.
    static func workQueueFamilies(_ controller: PoolController?, _ w: inout ExpositionWriter) {
        let labels = [("controller", PoolController.name), ("name", PoolController.name)]
        let m = controller?.queue.metrics
        w.family("workqueue_depth", "gauge", "Current depth of workqueue", labels, m.map { Double($0.depth) })
        w.family("workqueue_adds_total", "counter", "Total number of adds handled by workqueue", labels, m.map { Double($0.adds) })
        w.family("workqueue_queue_duration_seconds", "How long in seconds an item stays in workqueue before being requested", labels, m?.queueDurations)
        w.family("workqueue_work_duration_seconds", "How long in seconds processing an item from workqueue takes.", labels, m?.workDurations)
        w.family("workqueue_unfinished_work_seconds", "gauge", "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. "
            + "Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
                 labels, m?.unfinishedWorkSeconds)
        w.family("workqueue_longest_running_processor_seconds", "gauge", "How many seconds has the longest running processor for workqueue been running.",
                 labels, m?.longestRunningProcessorSeconds)
        w.family("workqueue_retries_total", "counter", "Total number of retries handled by workqueue", labels, m.map { Double($0.retries) })
    }

    /// The informers' own: watch restarts, list and watch failures, caches synced.
    static func informerFamilies(_ informers: [Informer], _ w: inout ExpositionWriter) {
        w.family("eip_watch_restarts_total", "counter", "Watches restarted, per resource: ended by the server, failed, or answered 410.")
        for informer in informers { w.sample("eip_watch_restarts_total", [("resource", informer.name)], informer.watchRestarts) }
        w.family("eip_list_watch_failures_total", "counter", "Lists and watches that failed, per resource, verb and reason (Forbidden, NotFound, InternalError, ConnectionFailed, Gone, ...).")
        for informer in informers {
            for (key, count) in informer.failureCounts.sorted(by: { $0.key < $1.key }) {
                w.sample("eip_list_watch_failures_total", [("reason", key.reason), ("resource", informer.name), ("verb", key.verb)], count)
            }
        }
        w.family("eip_cache_synced", "gauge", "1 once the resource's cache holds its first list.")
        for informer in informers { w.sample("eip_cache_synced", [("resource", informer.name)], informer.hasSynced ? 1 : 0) }
    }

    /// client-go's request families, and the writes the operator held back or gave up.
    static func clientFamilies(_ controller: PoolController?, _ w: inout ExpositionWriter) {
        guard let controller else { return }
        let host = Self.host(of: controller.client.transport.configuration.server)
        w.family("rest_client_requests_total", "counter", "Number of HTTP requests, partitioned by status code, method, and host.")
        for (key, count) in controller.client.requestCounts.snapshot.sorted(by: { $0.key < $1.key }) {
            w.sample("rest_client_requests_total", [("code", key.code), ("host", host), ("method", key.method)], count)
        }
        w.family("rest_client_request_duration_seconds", "histogram", "Request latency in seconds. Broken down by verb, and host.")
        for (verb, latencies) in controller.client.requestCounts.latencySnapshot.sorted(by: { $0.key < $1.key }) {
            w.histogram("rest_client_request_duration_seconds", [("host", host), ("verb", verb)], latencies)
        }
        w.family("eip_writes_refused_total", "counter", "Writes not sent because this process did not hold the Lease within its renew deadline.")
        w.sample("eip_writes_refused_total", controller.writer.refusedByFence)
        w.family("eip_events_lost_total", "counter", "Events given up: rejected by the API server, out of tries, or dropped from a full queue.")
        w.sample("eip_events_lost_total", controller.events?.lost ?? 0)
    }

    /// The metric reads, per source kind.
    static func metricReadFamilies(_ reads: [String: MetricsReadStatistics], _ w: inout ExpositionWriter) {
        let reads = reads.sorted { $0.key < $1.key }
        w.family("eip_metrics_reads_total", "counter", "Metric reads, per source (prometheus, podscrape, static).")
        for (source, stats) in reads { w.sample("eip_metrics_reads_total", [("source", source)], stats.reads) }
        w.family("eip_metrics_read_errors_total", "counter", "Metric reads that failed as a whole (source down, no pod answered), per source.")
        for (source, stats) in reads { w.sample("eip_metrics_read_errors_total", [("source", source)], stats.errors) }
        w.family("eip_metrics_read_duration_seconds", "histogram", "Time to read a pool's metrics, per source.")
        for (source, stats) in reads { w.histogram("eip_metrics_read_duration_seconds", [("source", source)], stats.durations) }
    }

    /// The Go client's process collector's families (nil statistics: not on Linux; none written).
    static func processFamilies(_ process: ProcessStatistics?, _ w: inout ExpositionWriter) {
        guard let process else { return }
        w.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", [], process.cpuSeconds)
        w.family("process_open_fds", "gauge", "Number of open file descriptors.", [], Double(process.openFileDescriptors))
        if let max = process.maxFileDescriptors { w.family("process_max_fds", "gauge", "Maximum number of open file descriptors.", [], Double(max)) }
        w.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", [], process.virtualMemoryBytes)
        w.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [], process.residentMemoryBytes)
        w.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", [], process.startTimeSeconds)
    }

    /// `eip_build_info`: 1, labelled with what was built (the Go convention of `*_build_info`).
    static func buildInfo(_ w: inout ExpositionWriter) {
        w.family("eip_build_info", "gauge", "A metric with a constant '1' value labeled by the operator's version, its source revision and the Swift language version it was built with.")
        w.sample("eip_build_info", [("revision", EIPVersion.revision), ("swift", swiftVersion), ("version", EIPVersion.current)], 1)
    }

    /// The Swift language version of the compiler that built this (major.minor).
    static var swiftVersion: String {
        #if swift(>=6.4)
        return "6.4+"
        #elseif swift(>=6.3)
        return "6.3"
        #elseif swift(>=6.2)
        return "6.2"
        #elseif swift(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    /// `host:port` of a server URL, as client-go labels its requests.
    static func host(of server: String) -> String {
        guard let scheme = server.range(of: "://") else { return server }
        return String(server[scheme.upperBound...].prefix { $0 != "/" })
    }
}
