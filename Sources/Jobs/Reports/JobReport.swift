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
    /// The suppressions file applied, when one was given (review part of issue #24).
    public var suppressions: SuppressionsSummary?
    /// What changed since the baseline run; absent with `--baseline none` (review part of issue #24).
    public var delta: ReportDelta?

    /// Findings at or above `severity`.
    public func findings(atOrAbove severity: Severity) -> [Finding] {
        findings.filter { $0.severity >= severity }
    }

    public static func summary(of findings: [Finding]) -> [String: Int] {
        findings.reduce(into: [:]) { $0[$1.code.rawValue, default: 0] += 1 }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}
