import Foundation

/// What Linux's `/proc` says about a process and a listening port: CPU time, open descriptors,
/// the accept queue. Counters, not clocks, so tests can compare ratios instead of timing.
public enum ProcessUsage {
    /// Clock ticks a second (`sysconf(_SC_CLK_TCK)`), the unit of ``cpuTicks(_:)``.
    public static let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))

    /// User + system CPU time the process has used, in clock ticks (`/proc/PID/stat` fields 14
    /// and 15); `nil` when it is gone.
    public static func cpuTicks(_ pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": field 3 (state) onwards; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    /// How many descriptors the process holds open; `nil` when it is gone.
    public static func openDescriptors(_ pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    /// Connections waiting in the accept queue of the IPv4 socket listening on `port`
    /// (`/proc/net/tcp`'s `rx_queue` of a socket in state LISTEN); `nil` when none listens.
    public static func acceptQueue(port: Int) -> Int? {
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return nil }
        let local = String(format: ":%04X", port)
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[1].hasSuffix(local), fields[3] == "0A" else { continue }
            return fields[4].split(separator: ":").last.flatMap { Int($0, radix: 16) }
        }
        return nil
    }
}
