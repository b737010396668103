import Foundation
import Synchronization
import Testing

@testable import LoadOpsKit

/// Rounds as the sampler hands them over, with when each arrived.
final class RoundRecorder: Sendable {
    private let rounds = Mutex<[(round: MonitorRound, arrived: ContinuousClock.Instant)]>([])

    func record(_ round: MonitorRound) {
        rounds.withLock { $0.append((round, .now)) }
    }

    var all: [(round: MonitorRound, arrived: ContinuousClock.Instant)] { rounds.withLock { $0 } }
}

@Suite("Monitor sampling")
struct MonitorSamplerTests {
    @Test func hostReadingsArePlausible() async throws {
        let source = HostMonitorSource(diskPath: "/")
        let first = try await source.sample()
        // CPU and the byte rates need two samples; the rest is there at once.
        #expect(first.contains { $0.metric == "memory" } && !first.contains { $0.metric == "cpu" })
        var second: [MonitorReading] = []
        try await ServiceTestSupport.waitUntil("a second host sample with CPU", timeout: 5) {
            second = (try? await source.sample()) ?? []
            return second.contains { $0.metric == "cpu" }
        }
        let byName = Dictionary(second.map { ($0.metric, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(Set(byName.keys) == ["cpu", "memory", "load1", "disk", "disk_read", "disk_write", "net_rx", "net_tx"])
        for metric in ["cpu", "memory", "disk"] {
            let reading = try #require(byName[metric])
            #expect(reading.unit == .percent)
            #expect((0...100).contains(reading.value), "\(metric) = \(reading.value)")
        }
        #expect(try #require(byName["memory"]).value > 0)
        #expect(try #require(byName["load1"]).value >= 0)
        for metric in ["disk_read", "disk_write", "net_rx", "net_tx"] {
            let reading = try #require(byName[metric])
            #expect(reading.unit == .bytesPerSecond)
            #expect(reading.value >= 0 && reading.value.isFinite, "\(metric) = \(reading.value)")
        }
    }

    @Test func procFilesAreReadAsIostatAndIftopCountThem() throws {
        let diskstats = """
               8       0 sda 100 0 2000 0 50 0 4000 0 0 0 0
               8       1 sda1 90 0 1800 0 40 0 3000 0 0 0 0
               7       0 loop0 5 0 10 0 0 0 0 0 0 0 0
             259       0 nvme0n1 1 0 8 0 2 0 16 0 0 0 0
            """
        let disks = HostMonitorSource.diskBytes(diskstats, wholeDisks: ["sda", "nvme0n1"])
        #expect(disks.read == (2000 + 8) * 512)
        #expect(disks.written == (4000 + 16) * 512)

        let netdev = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo: 999999 10 0 0 0 0 0 0 999999 10 0 0 0 0 0 0
              eth0: 1000 10 0 0 0 0 0 0 2000 10 0 0 0 0 0 0
              wlan0:500 5 0 0 0 0 0 0 700 5 0 0 0 0 0 0
            """
        let network = HostMonitorSource.networkBytes(netdev)
        #expect(network.received == 1500)
        #expect(network.sent == 2700)

        let cpu = try HostMonitorSource.cpuTicks("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8\n")
        #expect(cpu.total == 1000 && cpu.idle == 850)
        #expect(try HostMonitorSource.memoryUsedPercent("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\n") == 75)
        #expect(throws: MonitorSourceError.self) { try HostMonitorSource.memoryUsedPercent("MemFree: 1 kB\n") }
    }

    @Test func aCommandPrintsANumberOrSaysWhyNot() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-monitor-command")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "17\n".write(toFile: folder + "/depth", atomically: true, encoding: .utf8)
        let depth = CommandMonitorSource(name: "queue_depth", command: "echo starting >&2; cat depth", timeout: 5, workingDirectory: folder)
        #expect(try await depth.sample() == [MonitorReading("value", 17, .number)])

        let words = CommandMonitorSource(name: "words", command: "echo twelve", timeout: 5, workingDirectory: folder)
        await #expect { try await words.sample() } throws: { "\($0)" == "the command printed \"twelve\", not a number" }
        let failing = CommandMonitorSource(name: "failing", command: "echo gone; exit 3", timeout: 5, workingDirectory: folder)
        await #expect { try await failing.sample() } throws: { "\($0)" == "exit status 3: gone" }
    }

    /// A PostgreSQL that accepts connections and never answers, and a command that hangs: each gives
    /// a timeout error for its own interval, while the others keep theirs and every round arrives on time.
    @Test func aStalledSourceTimesOutWithoutDelayingTheOthers() async throws {
        let silent = try SilentListener()
        let folder = try TestSupport.temporaryDirectory("loadops-monitor-stall")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let stalledDatabase = PostgresMonitorSource(
            name: "postgres", endpoint: try ServiceEndpoint(url: "postgres://app:secret@127.0.0.1:\(silent.port)/app"), connectTimeout: 10)
        let sampler = MonitorSampler(
            sources: [
                HostMonitorSource(),
                stalledDatabase,
                CommandMonitorSource(name: "hung", command: "sleep 31", timeout: 30, workingDirectory: folder),
                CommandMonitorSource(name: "depth", command: "echo 5", timeout: 5, workingDirectory: folder),
            ],
            interval: 0.5, timeout: 0.3)
        let recorder = RoundRecorder()
        let started = ContinuousClock.now
        await sampler.run(duration: 2) { recorder.record($0) }
        let total = MonitorClock.seconds(started.duration(to: .now))

        let rounds = recorder.all
        #expect(rounds.map(\.round.index) == [0, 1, 2, 3, 4])
        #expect(total < 3.5, "the sampler took \(total) s for 2 s of rounds")
        for (round, arrived) in rounds {
            #expect(round.samples.map(\.source) == ["host", "postgres", "hung", "depth"])
            #expect(round.sample("depth")?.readings == [MonitorReading("value", 5, .number)])
            #expect(round.sample("host")?.error == nil)
            #expect(round.sample("postgres")?.error == "no answer within 300ms")
            #expect(round.sample("hung")?.error == "no answer within 300ms")
            #expect(round.elapsed == Double(round.index) * 0.5)
            // Due at the interval's start plus the timeout; the closing grace and the machine's own
            // scheduling make the rest.
            let late = MonitorClock.seconds(started.duration(to: arrived)) - round.elapsed - 0.3
            #expect(late < 0.5, "round \(round.index) arrived \(late) s after its timeout")
        }
        // No stalled sample is left running (the command's process group is stopped).
        try await ServiceTestSupport.waitUntil("the hung command stopped", timeout: 5) {
            let running = try? await ChildProcess.run("/usr/bin/pgrep", ["-f", "^sleep 31$"], timeout: 5)
            return running?.stdout.isEmpty == true
        }
    }

    @Test func cancellingTheTaskStopsTheSamplerAtOnce() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-monitor-cancel")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sampler = MonitorSampler(
            sources: [CommandMonitorSource(name: "hung", command: "sleep 30", timeout: 30, workingDirectory: folder)],
            interval: 5)
        let recorder = RoundRecorder()
        let task = Task { await sampler.run { recorder.record($0) } }
        try await Task.sleep(for: .milliseconds(300))
        let cancelled = ContinuousClock.now
        task.cancel()
        await task.value
        #expect(MonitorClock.seconds(cancelled.duration(to: .now)) < 2)
        #expect(recorder.all.isEmpty)
    }
}
