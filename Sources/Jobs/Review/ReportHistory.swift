import Foundation

/// The earlier reports in a report destination (a local folder or an S3 prefix), newest first:
/// for `--baseline auto` and for the HTML report's trend.
///
/// ```swift
/// let history = ReportHistory(store: LocalReportStore(directory: URL(fileURLWithPath: "reports")))
/// let trend = try await history.entries(limit: 30)
/// let baseline = try await history.baseline(backend: "embedded", table: "users", depth: "standard", excluding: runId)
/// ```
///
/// Run folders are read newest first by name (`<UTC stamp>-<runId>`, the stamp to the second;
/// runs that started in the same second by their `finishedAt`); a folder without a readable
/// `report.json` (a run still writing, another version's) is passed over.
public struct ReportHistory: Sendable {
    /// One earlier run, as the trend shows it.
    public struct Entry: Sendable, Hashable {
        public var runId: String
        public var finishedAt: String
        public var complete: Bool
        /// Findings not accepted by a rule.
        public var findings: Int
        /// Findings a rule accepted.
        public var accepted: Int
        /// `delta.new`'s count; 0 when the report has no delta.
        public var newFindings: Int
        /// `delta.resolved`'s count; 0 when the report has no delta.
        public var resolvedFindings: Int
        public var backend: String
        public var table: String
        /// `parameters.depth` (audits).
        public var depth: String?
        /// Complete over every segment: not partial, not a `--worker`'s share.
        public var wholeTable: Bool
        /// The run folder: a path or an `s3://` URI.
        public var location: String

        public init(report: JobReport, location: String) {
            runId = report.runId
            finishedAt = report.finishedAt
            complete = report.complete
            accepted = report.acceptedFindings.count
            findings = report.findings.count - accepted
            newFindings = report.delta?.new.count ?? 0
            resolvedFindings = report.delta?.resolved.count ?? 0
            backend = report.backend
            table = report.table
            depth = report.parameters["depth"]
            wholeTable = report.isCompleteOverEverySegment
            self.location = location
        }
    }

    public var store: any ReportStore
    public var job: String

    public init(store: any ReportStore, job: String = "audit") {
        self.store = store
        self.job = job
    }

    /// The earlier runs `include` accepts, newest first, at most `limit`.
    public func entries(limit: Int = 30, where include: (Entry) -> Bool = { _ in true }) async throws -> [Entry] {
        var entries: [Entry] = []
        for group in try await stampGroups() where entries.count < limit {
            for (folder, report) in try await reports(in: group) where entries.count < limit {
                let entry = Entry(report: report, location: store.location(ofRun: folder, of: job))
                if include(entry) { entries.append(entry) }
            }
        }
        return entries
    }

    /// The newest report that may be the baseline of an audit of `table` on `backend` at
    /// `depth` (``ReportReview/unsuitableBaseline(_:backend:table:depth:)``), other than run
    /// `runId`'s own; `nil` when there is none.
    public func baseline(backend: String, table: String, depth: String?, excluding runId: String?) async throws -> JobReport? {
        for group in try await stampGroups() {
            for (_, report) in try await reports(in: group) where report.runId != runId {
                if ReportReview.unsuitableBaseline(report, backend: backend, table: table, depth: depth) == nil { return report }
            }
        }
        return nil
    }

    /// The run folders, newest first, in groups of one stamp (one second).
    func stampGroups() async throws -> [[String]] {
        let folders = try await store.runFolders(of: job).sorted(by: >)
        var groups: [[String]] = []
        for folder in folders {
            let stamp = folder.prefix { $0 != "-" }
            if let last = groups.last?.last, last.prefix(while: { $0 != "-" }) == stamp {
                groups[groups.count - 1].append(folder)
            } else {
                groups.append([folder])
            }
        }
        return groups
    }

    /// The readable reports of one stamp's folders, the last finished first.
    func reports(in group: [String]) async throws -> [(folder: String, report: JobReport)] {
        var reports: [(folder: String, report: JobReport)] = []
        for folder in group {
            if let report = try await report(in: folder) { reports.append((folder, report)) }
        }
        return reports.sorted { ($0.report.finishedAt, $0.report.startedAt) > ($1.report.finishedAt, $1.report.startedAt) }
    }

    func report(in folder: String) async throws -> JobReport? {
        guard let data = try await store.file("report.json", inRun: folder, of: job) else { return nil }
        return try? JSONDecoder().decode(JobReport.self, from: data)
    }
}
