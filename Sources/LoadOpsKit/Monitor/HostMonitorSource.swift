import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// This machine, from /proc, as `top`, `free`, `df`, `iostat` and `iftop` show it: CPU %, memory
/// used %, the 1-minute load average, used space of a file system, disk and network bytes per second.
///
/// Readings: `cpu` (%), `memory` (%), `load1`, `disk` (% used of `diskPath`), `disk_read` and
/// `disk_write` (bytes/s, whole disks), `net_rx` and `net_tx` (bytes/s, every interface but `lo`).
/// CPU and the byte rates are measured between two samples, so they appear from the second one on.
actor HostMonitorSource: MonitorSource {
    nonisolated let name: String
    let diskPath: String
    private var rates = CounterRates()

    init(name: String = "host", diskPath: String = "/") {
        self.name = name
        self.diskPath = diskPath
    }

    func sample() throws -> [MonitorReading] {
        let cpu = try Self.cpuTicks(Self.read("/proc/stat"))
        let memory = try Self.memoryUsedPercent(Self.read("/proc/meminfo"))
        let load = try Self.loadAverage(Self.read("/proc/loadavg"))
        let disk = try Self.diskUsedPercent(diskPath)
        let diskBytes = Self.diskBytes(try Self.read("/proc/diskstats"), wholeDisks: Self.wholeDisks())
        let network = Self.networkBytes(try Self.read("/proc/net/dev"))

        let perSecond = rates.rates([
            "cpu_total": cpu.total, "cpu_idle": cpu.idle,
            "disk_read": diskBytes.read, "disk_write": diskBytes.written,
            "net_rx": network.received, "net_tx": network.sent,
        ])
        var readings: [MonitorReading] = []
        if let total = perSecond["cpu_total"], let idle = perSecond["cpu_idle"], total > 0 {
            readings.append(MonitorReading("cpu", min(100, max(0, (total - idle) / total * 100)), .percent))
        }
        readings += [
            MonitorReading("memory", memory, .percent),
            MonitorReading("load1", load, .number),
            MonitorReading("disk", disk, .percent),
        ]
        for metric in ["disk_read", "disk_write", "net_rx", "net_tx"] {
            if let rate = perSecond[metric] { readings.append(MonitorReading(metric, rate, .bytesPerSecond)) }
        }
        return readings
    }

    private static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw MonitorSourceError("cannot read \(path) (the host source needs Linux's /proc)")
        }
    }

    // MARK: /proc parsing (pure, for the tests)

    /// The first `cpu` line of /proc/stat: every jiffy spent (user, nice, system, idle, iowait,
    /// irq, softirq, steal) and the idle ones (idle and iowait). Guest time is already in user.
    static func cpuTicks(_ stat: String) throws -> (total: Double, idle: Double) {
        guard let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else {
            throw MonitorSourceError("/proc/stat has no cpu line")
        }
        let fields = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard fields.count >= 5 else { throw MonitorSourceError("/proc/stat's cpu line is not as expected") }
        return (fields.reduce(0, +), fields[3] + fields[4])
    }

    /// Used memory as `free` counts it: MemTotal less MemAvailable.
    static func memoryUsedPercent(_ meminfo: String) throws -> Double {
        var values: [String: Double] = [:]
        for line in meminfo.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let value = Double(fields[1]) { values[String(fields[0].dropLast())] = value }
        }
        guard let total = values["MemTotal"], let available = values["MemAvailable"], total > 0 else {
            throw MonitorSourceError("/proc/meminfo has no MemTotal or MemAvailable")
        }
        return max(0, (total - available) / total * 100)
    }

    static func loadAverage(_ loadavg: String) throws -> Double {
        guard let first = loadavg.split(separator: " ").first, let value = Double(first) else {
            throw MonitorSourceError("/proc/loadavg is not as expected")
        }
        return value
    }

    /// Bytes read and written by whole disks since boot: /proc/diskstats counts 512-byte sectors
    /// (fields 6 and 10), and partitions again, so only the disks in `wholeDisks` count.
    static func diskBytes(_ diskstats: String, wholeDisks: Set<String>) -> (read: Double, written: Double) {
        var read = 0.0
        var written = 0.0
        for line in diskstats.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 10, wholeDisks.contains(String(fields[2])),
                let sectorsRead = Double(fields[5]), let sectorsWritten = Double(fields[9])
            else { continue }
            read += sectorsRead * 512
            written += sectorsWritten * 512
        }
        return (read, written)
    }

    /// Devices of /sys/block backed by hardware (or a virtual machine's disk): they have a `device`
    /// link, which loop, RAM, zram, device-mapper and RAID devices (built on disks already counted) do not.
    static func wholeDisks() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []
        return Set(names.filter { FileManager.default.fileExists(atPath: "/sys/block/\($0)/device") })
    }

    /// Bytes received and sent since boot by every interface but loopback.
    static func networkBytes(_ netdev: String) -> (received: Double, sent: Double) {
        var received = 0.0
        var sent = 0.0
        for line in netdev.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let interface = line[..<colon].trimmingCharacters(in: .whitespaces)
            let fields = line[line.index(after: colon)...].split(separator: " ")
            guard interface != "lo", fields.count >= 9, let rx = Double(fields[0]), let tx = Double(fields[8]) else { continue }
            received += rx
            sent += tx
        }
        return (received, sent)
    }

    /// Used space as `df` counts it: used / (used + available to unprivileged users).
    static func diskUsedPercent(_ path: String) throws -> Double {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else {
            throw MonitorSourceError("cannot read the file system of \(path): \(String(cString: strerror(errno)))")
        }
        let used = Double(stats.f_blocks - stats.f_bfree)
        let available = Double(stats.f_bavail)
        return used + available > 0 ? used / (used + available) * 100 : 0
    }
}
