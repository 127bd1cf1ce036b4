import ArgumentParser
import JobExecution
import Jobs

/// `--report-dir`, for every job that writes a report.
struct ReportFolderOption: ParsableArguments {
    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Where reports go: a folder, or s3://bucket/prefix.", valueName: "dir"))
    var reportDir: String = "reports"
}

/// Where an audit's report (and its findings) go, and which findings fail the run (`audit`, `merge-reports`).
struct ReportOptions: ParsableArguments {
    @OptionGroup var folder: ReportFolderOption

    @Option(name: .customLong("fail-on"), help: "Exit 1 on unaccepted findings at or above this severity.")
    var failOn: Severity = .high

    @Option(name: .customLong("publish-findings"), help: ArgumentHelp(
        "Also send the findings to AWS Security Hub (securityhub), after the report is written: BatchImportFindings into the account's default product, one finding per user and code updated run after run; findings of earlier runs gone now are archived (RESOLVED), by a complete run over every segment only (not by a --worker or partial run). Accepted findings are SUPPRESSED with their rule's reason as a note (BatchUpdateFindings where an import cannot set it). Needs --backend aws and IAM securityhub:BatchImportFindings, securityhub:GetFindings and securityhub:BatchUpdateFindings. Findings not published: exit 2, the report still written.",
        valueName: "target"))
    var publishFindings: FindingsTarget = .none

    @Option(name: .customLong("suppressions"), help: ArgumentHelp(
        Self.suppressionsHelp + " An accepted finding stays in every output, marked, and does not count for the exit code; an expired rule accepts nothing and is named in the report. A bad file: exit 2 before anything is scanned. " + Self.expiryHelp,
        valueName: "file"))
    var suppressions: String?

    /// What `--suppressions` takes, for `audit`, `merge-reports` and `watch`.
    static let suppressionsHelp = "Accepted findings: a YAML file of rules (a path or s3://bucket/key; env USERVAULT_SUPPRESSIONS), each with id, codes, users/keys/table, reason, owner and expires (at most 365 days ahead)."
    static let expiryHelp = "Expiry is judged by today, or by USERVAULT_NOW (an RFC 3339 instant; for tests and replays)."

    @Option(name: .customLong("baseline"), help: ArgumentHelp(
        "What the report is compared with (report.json delta: new, resolved, unchanged): auto, the newest earlier complete report of the same table and depth in --report-dir (never a partial or --worker one); a report folder or report.json (path or s3://); or none.",
        valueName: "auto|none|report"))
    var baseline: BaselineChoice = .auto

    @Option(name: .customLong("fail-when"), help: ArgumentHelp(
        "any: exit 1 on every unaccepted finding at or above --fail-on; new: only on those new since the baseline (or whose acceptance ended)."))
    var failWhen: FailWhen = .any

    var reportDir: String { folder.reportDir }

    func validate() throws {
        try InvalidSetting.asUsageError { try review.validate() }
    }

    var review: ReviewSettings {
        ReviewSettings(suppressions: suppressions, baseline: baseline, failWhen: failWhen)
    }
}
