import Foundation

extension JobReport {
    /// The rolling report of `uservault watch` (`--report-dir`), in the audit's report format:
    /// job `watch`, the findings open now, `scanned` the changes read and `users` the users proven
    /// again since the watch began (its state's counters), `complete` once it stopped cleanly.
    public static func watch(runId: String, startedAt: Date, backend: String, table: String, complete: Bool,
                             parameters: [String: String], counters: [String: Int], open: [Finding],
                             durationSeconds: Double) -> JobReport {
        var stats = Stats()
        stats.durationSeconds = durationSeconds
        let reproven = counters["reproven"] ?? 0
        let withFindings = Set(open.compactMap(\.userId)).count
        return JobReport(job: "watch", runId: runId, startedAt: timestamp(startedAt), backend: backend, table: table,
                         complete: complete, parameters: parameters,
                         segments: .init(total: 1, worker: "whole", assigned: 1, finished: complete ? 1 : 0),
                         counters: ["scanned": counters["changes"] ?? 0, "users": reproven,
                                    "verified": max(0, reproven - withFindings)],
                         findings: open, stats: stats)
    }
}
