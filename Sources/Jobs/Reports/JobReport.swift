import Foundation

/// `report.json` (a contract with the tools that read it): what a job run did and found. Its JSON Schema is
/// `reports/schema/report.schema.json`. Nothing in it is a password, a ciphertext byte or a secret.
public struct JobReport: Sendable, Codable {
    public struct Segments: Sendable, Codable, Hashable {
        public var total: Int
        public var worker: String
        public var assigned: Int
        public var finished: Int
    }

    public struct Stats: Sendable, Codable, Hashable {
        public var dynamoRequests = 0
        public var kmsRequests = 0
        /// Resource Groups Tagging API requests (finding per-user keys by their `CreatedBy` tag).
        public var taggingRequests = 0
        public var retries = 0
        public var throttles = 0
        public var consumedReadUnits = 0.0
        public var durationSeconds = 0.0

        public init() {}
    }

    public var runId: String
    public var job: String
    public var backend: String
    public var table: String
    public var startedAt: String
    public var finishedAt: String
    public var complete: Bool
    public var parameters: [String: String]
    public var segments: Segments
    public var scanned: Int
    public var users: Int
    public var verified: Int
    public var findings: [Finding]
    /// Finding code → count (a repair: `<ACTION>_<OUTCOME>` → count).
    public var summary: [String: Int]
    public var stats: Stats
    /// `rotate-keys` and `backfill`: per user, what was done or would be done, and failures.
    public var actions: [RepairAction]?
    /// Where the findings were published (`--publish-findings`), and how that went.
    public var published: FindingsPublication?
    /// The deep audit: what its orphan keys cost a month; prune-orphans: what the keys it
    /// scheduled for deletion (or would, in a dry run) cost, saved from now on. An estimate.
    public var orphanKeys: OrphanKeyCost?
    /// The suppressions file the findings were reviewed with, and what its rules did
    /// (`--suppressions`); `nil` when none was given.
    public var suppressions: SuppressionsSummary?
    /// What changed since the baseline (`--baseline`); `nil` with `--baseline none`.
    public var delta: ReportDelta?

    /// Findings at or above `severity`, accepted ones included.
    public func findings(atOrAbove severity: Severity) -> [Finding] {
        findings.filter { $0.severity >= severity }
    }

    /// The id of `finding` from run to run: the OCSF `finding_info.uid`
    /// (``OCSFFindings/findingUID(_:backend:table:account:region:)``), which the delta compares.
    public func findingId(_ finding: Finding) -> String {
        OCSFFindings.findingUID(finding, backend: backend, table: table)
    }

    /// The run finished every segment of the table: not partial, not one `--worker`'s share. Only
    /// such a run may say a finding is gone (archive it in Security Hub, count it resolved), and
    /// only such a report is a baseline.
    public var isCompleteOverEverySegment: Bool {
        complete && segments.assigned == segments.total && segments.finished == segments.total
    }

    /// The findings a rule accepted.
    public var acceptedFindings: [Finding] {
        findings.filter { $0.suppressed != nil }
    }

    public static func summary(of findings: [Finding]) -> [String: Int] {
        findings.reduce(into: [:]) { $0[$1.code.rawValue, default: 0] += 1 }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}
