import Foundation

// MINIMAL STAND-IN (issue #24, html part): the review part writes the real `ReportHistory` (a
// local folder or an S3 prefix, for `--baseline auto` too). This one lists a local folder only,
// behind the same `Entry` (the contract's `runId`, `finishedAt`, `complete`, `findings`,
// `newFindings`, and the fields the review part's adds). At the merge, the review part's type
// replaces this file and ReportDestination.history(of:) calls its listing.

/// The earlier reports of a report destination, `<dest>/<job>/<stamp>-<runId>/report.json`:
/// what `report.html` draws its trend from.
public enum ReportHistory {
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
            accepted = report.findings.filter { $0.suppressed != nil }.count
            findings = report.findings.count - accepted
            newFindings = report.delta?.new.count ?? 0
            resolvedFindings = report.delta?.resolved.count ?? 0
            backend = report.backend
            table = report.table
            depth = report.parameters["depth"]
            wholeTable = report.complete && report.segments.assigned == report.segments.total
                && report.segments.finished == report.segments.total
            self.location = location
        }
    }

    /// Up to `limit` reports of `job` under `directory` that `include` accepts, newest first.
    /// Folders sort by their UTC stamp, so only the newest are read; a folder whose `report.json`
    /// is missing or unreadable (a run still writing, another version's) is passed over.
    public static func local(_ directory: URL, job: String, limit: Int,
                             where include: (Entry) -> Bool = { _ in true }) -> [Entry] {
        let runs = directory.appendingPathComponent(job)
        guard limit > 0, let names = try? FileManager.default.contentsOfDirectory(atPath: runs.path) else { return [] }
        var entries: [Entry] = []
        for name in names.sorted(by: >) where !name.hasPrefix(".") {
            let folder = runs.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("report.json").path),
                  let report = try? JSONDecoder().decode(JobReport.self, from: data)
            else { continue }
            let entry = Entry(report: report, location: folder.path)
            guard include(entry) else { continue }
            entries.append(entry)
            if entries.count == limit { break }
        }
        return entries
    }
}
