import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the Prometheus Go client's process collector reports about its own process, read from
/// Linux's `/proc` as it reads it (`procfs`): the `process_*` families that every controller-runtime
/// operator exports and that dashboards chart (CPU, memory, file descriptors, start time).
public struct ProcessStatistics: Sendable, Equatable {
    /// `process_cpu_seconds_total`: user and system CPU time, seconds (`utime + stime` in
    /// `/proc/self/stat`, in clock ticks).
    public var cpuSeconds: Double
    /// `process_resident_memory_bytes`: resident set size (`rss` pages × page size).
    public var residentMemoryBytes: Double
    /// `process_virtual_memory_bytes`: virtual memory size (`vsize`).
    public var virtualMemoryBytes: Double
    /// `process_start_time_seconds`: when the process started, seconds since the Unix epoch (the
    /// boot time `btime` of `/proc/stat` plus `starttime` ticks).
    public var startTimeSeconds: Double
    /// `process_open_fds`: entries of `/proc/self/fd`.
    public var openFileDescriptors: Int
    /// `process_max_fds`: the soft limit on open files (`Max open files` in `/proc/self/limits`);
    /// nil when unlimited or unreadable.
    public var maxFileDescriptors: Int?

    /// The statistics of this process; nil where `/proc` cannot be read (not Linux).
    public static func current() -> ProcessStatistics? {
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        guard let stat = read("/proc/self/stat"), let system = read("/proc/stat"),
              let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return parse(stat: stat, systemStat: system, limits: read("/proc/self/limits") ?? "", openFileDescriptors: fds.count,
                     ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))), pageSize: Double(sysconf(Int32(_SC_PAGESIZE))))
    }

    /// The statistics in the text of `/proc/self/stat`, `/proc/stat` and `/proc/self/limits`; nil
    /// when the stat line or the boot time is malformed.
    static func parse(stat: String, systemStat: String, limits: String, openFileDescriptors: Int,
                      ticksPerSecond: Double, pageSize: Double) -> ProcessStatistics? {
        // `pid (comm) state ppid …`: the command may hold spaces and parentheses; the fields start
        // after the last `)`, with `state` as field 3 of proc(5).
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        func field(_ number: Int) -> Double? { number - 3 < fields.count ? Double(fields[number - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23), let rss = field(24),
              let bootLine = systemStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(bootLine.dropFirst("btime ".count).trimmingCharacters(in: .whitespaces)) else { return nil }
        let openFiles = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }
        let soft = openFiles?.dropFirst("Max open files".count).split(separator: " ").first.flatMap { Int($0) }
        return ProcessStatistics(cpuSeconds: (utime + stime) / ticksPerSecond, residentMemoryBytes: rss * pageSize, virtualMemoryBytes: vsize,
                                 startTimeSeconds: boot + start / ticksPerSecond, openFileDescriptors: openFileDescriptors, maxFileDescriptors: soft)
    }
}
