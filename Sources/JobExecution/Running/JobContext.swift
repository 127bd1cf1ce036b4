import Foundation
import Jobs
import Logging

/// What a job runs with, whoever starts it (the command line, `run JOBFILE`, the demo, the
/// Lambda handler): the settings that open the backend, the logger, and when to stop.
///
/// The job's log lines carry its `runId` (and on Lambda the invocation's `requestId`) through
/// ``JobLogContext``, whichever logger writes them.
public struct JobContext: Sendable {
    public var settings: Settings
    public var logger: Logger
    /// SIGINT and SIGTERM stop the job cleanly between pages (the command line).
    var stopsOnSignals = true
    /// The job stops cleanly between pages at this instant (Lambda: before the invocation's deadline).
    var deadline: ContinuousClock.Instant?

    public init(settings: Settings, logger: Logger, stopsOnSignals: Bool = true, deadline: ContinuousClock.Instant? = nil) {
        self.settings = settings
        self.logger = logger
        self.stopsOnSignals = stopsOnSignals
        self.deadline = deadline
    }
}

/// How a job ended, typed: the command line prints it, the Lambda handler returns it as JSON.
public enum JobOutcome: Sendable {
    /// A job that writes a report (audit, merge-reports, rotate-keys, backfill).
    case report(ReportOutcome)
    /// An export: the archive and its digest.
    case export(ExportOutcome)

    public struct ReportOutcome: Sendable {
        var job: String
        var report: JobReport
        /// The report folder: a path or an `s3://` URI.
        var location: String
        /// Exit 1 when the report holds unaccepted findings at or above this (audit, merge-reports).
        var failOn: Severity?
        /// Which of those count (`--fail-when`): all, or only those new since the baseline.
        var failWhen: FailWhen = .any
        /// Why the run ended before the end (the report is then partial); `nil` when it did not.
        public var failure: String?
        /// Whether the job changed things or only planned (repairs).
        var applied: Bool?
        /// Why the findings were not all published (`--publish-findings`); the report is written.
        var publishFailure: String?
    }

    public struct ExportOutcome: Sendable {
        var output: String
        var runId: String
        var users: Int
        var parts: Int
        var bytes: Int
        var sha256: String
        var format: String
    }

    /// The exit-code contract: 0 done; 1 findings (or failed repair actions); 2 the run did not finish.
    public var exitCode: Int32 {
        switch self {
        case .export: return 0
        case .report(let outcome):
            if outcome.failure != nil || !outcome.report.complete || outcome.publishFailure != nil { return 2 }
            if let failOn = outcome.failOn { return outcome.report.failing(atOrAbove: failOn, when: outcome.failWhen).isEmpty ? 0 : 1 }
            return (outcome.report.actions ?? []).contains { $0.outcome == .failed } ? 1 : 0
        }
    }

    /// The run finished (a report may still hold findings).
    public var complete: Bool {
        if case .report(let outcome) = self { return outcome.failure == nil && outcome.report.complete }
        return true
    }

    public var runId: String {
        switch self {
        case .report(let outcome): outcome.report.runId
        case .export(let outcome): outcome.runId
        }
    }

    /// The result's detail for the Lambda handler: `report` (location, runId, counts, summary) or `export`.
    public var record: (key: String, value: [String: Any]) {
        switch self {
        case .report(let outcome):
            let report = outcome.report
            return ("report", [
                "report": outcome.location + "/report.json", "runId": report.runId, "complete": report.complete,
                "users": report.users, "verified": report.verified, "findings": report.findings.count, "summary": report.summary,
                "accepted": report.acceptedFindings.count,
            ].merging(report.published.map { ["published": ["sent": $0.sent, "failed": $0.failed, "archived": $0.archived,
                                                            "suppressed": $0.suppressed]] } ?? [:],
                      uniquingKeysWith: { $1 })
             .merging(report.delta.map { ["new": $0.new.count, "resolved": $0.resolved.count] } ?? [:], uniquingKeysWith: { $1 }))
        case .export(let outcome):
            return ("export", ["output": outcome.output, "runId": outcome.runId, "users": outcome.users, "parts": outcome.parts,
                               "bytes": outcome.bytes, "sha256": outcome.sha256])
        }
    }

    /// The summary lines for people (stdout).
    public var summary: [String] {
        switch self {
        case .export(let outcome):
            return ["export of \(outcome.users) users to \(outcome.output): \(outcome.parts) part\(outcome.parts == 1 ? "" : "s"), "
                + "\(outcome.format), \(outcome.bytes) bytes, sha256 \(outcome.sha256)"]
        case .report(let outcome):
            let report = outcome.report
            let summary = report.summary.isEmpty ? ""
                : " (" + report.summary.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
            let head: String
            if let applied = outcome.applied {
                let actions = report.actions ?? []
                let failed = actions.filter { $0.outcome == .failed }.count
                let skipped = actions.filter { $0.outcome == .skipped }.count
                let verb = applied ? "done" : "planned (dry run: nothing changed)"
                head = "\(outcome.job) over \(report.users) users on \(report.backend) table '\(report.table)': "
                    + "\(actions.count - failed - skipped) \(verb), \(skipped) skipped, \(failed) failed" + summary
            } else {
                let accepted = report.acceptedFindings.count
                head = "audit of \(report.users) users on \(report.backend) table '\(report.table)': \(report.verified) verified, "
                    + "\(report.findings.count) findings" + summary + (accepted > 0 ? ", \(accepted) of them accepted" : "")
            }
            var lines = [head]
            if let delta = report.delta {
                lines.append(delta.baseline.map { "since run \($0.runId): \(delta.new.count) new, \(delta.resolved.count) resolved, "
                    + "\(delta.unchanged) unchanged" + (delta.reopened.isEmpty ? "" : ", \(delta.reopened.count) no longer accepted") }
                    ?? "no earlier report to compare with: \(delta.new.count) new")
            }
            if let expired = report.suppressions?.expired, !expired.isEmpty {
                lines.append("expired suppression rules (their findings count again): " + expired.joined(separator: ", "))
            }
            // An audit's (and a merge's) page for people; a repair has none.
            let page = outcome.applied == nil ? ["page: \(outcome.location)/\(ReportHTML.fileName)"] : []
            return lines + (report.published.map { [$0.summary] } ?? []) + (report.orphanKeys.map { [Self.line($0, outcome)] } ?? [])
                + ["report: \(outcome.location)/report.md"] + page
        }
    }

    /// The orphan keys' line: what the deep audit's cost a month, or what prune-orphans saves.
    static func line(_ cost: OrphanKeyCost, _ outcome: ReportOutcome) -> String {
        switch outcome.applied {
        case nil: "orphan keys: \(cost.keys), costing \(cost.aboutText)"
        case true?: "orphan keys scheduled for deletion: \(cost.keys), saving \(cost.aboutText)"
        case false?: "orphan keys --apply would schedule for deletion: \(cost.keys), saving \(cost.aboutText)"
        }
    }

    /// The line for stderr when the exit code is not 0.
    public func exitMessage(checkpoint: String?) -> String? {
        guard case .report(let outcome) = self else { return nil }
        if let failure = outcome.failure { return failure }
        if let publishFailure = outcome.publishFailure, outcome.report.complete { return publishFailure }
        guard outcome.report.complete else {
            let what = outcome.job == "merge-reports" ? "a worker's run did not finish: the merged report is partial"
                : outcome.job == "audit" ? "the audit stopped before the end: the report is partial"
                : "\(outcome.job) stopped before the end: the report is partial"
            return what + (checkpoint.map { "; resume with --checkpoint \($0) --resume" } ?? "")
        }
        if let failOn = outcome.failOn {
            let serious = outcome.report.failing(atOrAbove: failOn, when: outcome.failWhen).count
            let accepted = outcome.report.acceptedFindings.filter { $0.severity >= failOn }.count
            guard serious > 0 else { return nil }
            return "\(serious) \(outcome.failWhen == .new ? "new " : "")findings at or above \(failOn.rawValue)"
                + (accepted > 0 ? " (\(accepted) more accepted)" : "")
        }
        let failed = (outcome.report.actions ?? []).filter { $0.outcome == .failed }.count
        return failed > 0 ? "\(failed) actions failed" : nil
    }
}

extension JobRequest {
    /// The scan of a scanning job (all but merge-reports); setting it on merge-reports does nothing.
    public var scan: ScanSettings? {
        get {
            switch self {
            case .audit(let settings): settings.scan
            case .export(let settings): settings.scan
            case .repair(let settings): settings.scan
            case .mergeReports: nil
            }
        }
        set {
            guard let scan = newValue else { return }
            switch self {
            case .audit(var settings): settings.scan = scan; self = .audit(settings)
            case .export(var settings): settings.scan = scan; self = .export(settings)
            case .repair(var settings): settings.scan = scan; self = .repair(settings)
            case .mergeReports: break
            }
        }
    }

    /// Runs with its checkpoint at `path` (a local copy of one kept elsewhere), resuming the run
    /// recorded there, if any.
    public mutating func useCheckpoint(_ path: String) {
        guard var scan else { return }
        scan.checkpoint = path
        scan.resume = scan.resume || FileManager.default.fileExists(atPath: path)
        self.scan = scan
    }

    /// The run continues one recorded in its checkpoint.
    public var resumes: Bool { scan?.resume ?? false }
}
