import Foundation

/// The counters a scanning job keeps in its run state, page by page, by name.
public enum RunCounter: String, Sendable, CaseIterable {
    /// Items the scan read (users and email guards).
    case scanned
    /// Users the job checked, or planned for.
    case users
    /// Users whose credentials were proven genuine (the audit).
    case verified
    /// KMS requests the audit's checks made (the report's count when the backend keeps none).
    case keyRequests
}

extension RunState.PageRecords {
    public mutating func count(_ counter: RunCounter, by amount: Int = 1) {
        count(counter.rawValue, by: amount)
    }
}

extension Dictionary where Key == String, Value == Int {
    /// A run counter's value; 0 when never counted.
    public subscript(_ counter: RunCounter) -> Int {
        self[counter.rawValue] ?? 0
    }
}

extension JobReport {
    /// The one way a job's report is put together (the audit, a repair, a merge of workers'
    /// audits): the run, its table and segments, its counters by name, its findings or actions.
    ///
    /// - Parameters:
    ///   - unverified: users counted as verified whose check the cross-scan checks later failed
    ///     (a key shared with another user): taken off `verified`.
    ///   - summary: the findings' counts by code when `nil`; a repair gives its actions' instead.
    init(job: String, runId: String, startedAt: String, finishedAt: String = JobReport.timestamp(Date()),
         backend: String, table: String, complete: Bool, parameters: [String: String], segments: Segments,
         counters: [String: Int], unverified: Int = 0, findings: [Finding] = [], summary: [String: Int]? = nil,
         stats: Stats, actions: [RepairAction]? = nil) {
        self.init(runId: runId, job: job, backend: backend, table: table, startedAt: startedAt, finishedAt: finishedAt,
                  complete: complete, parameters: parameters, segments: segments, scanned: counters[.scanned],
                  users: counters[.users], verified: max(0, counters[.verified] - unverified),
                  findings: AuditJob.ordered(findings), summary: summary ?? JobReport.summary(of: findings), stats: stats)
        self.actions = actions
    }
}
