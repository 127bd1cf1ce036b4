import ArgumentParser
import Jobs

/// `--report-dir`, for every job that writes a report.
struct ReportFolderOption: ParsableArguments {
    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Where reports go: a folder, or s3://bucket/prefix.", valueName: "dir"))
    var reportDir: String = "reports"
}

/// Where an audit's report (and its findings) go, and which findings fail the run (`audit`, `merge-reports`).
struct ReportOptions: ParsableArguments {
    @OptionGroup var folder: ReportFolderOption

    @Option(name: .customLong("fail-on"), help: "Exit 1 on findings at or above this severity.")
    var failOn: Severity = .high

    @Option(name: .customLong("publish-findings"), help: ArgumentHelp(
        "Also send the findings to AWS Security Hub (securityhub), after the report is written: BatchImportFindings into the account's default product, one finding per user and code updated run after run; findings of earlier runs gone now are archived (RESOLVED), by a complete run over every segment only (not by a --worker or partial run). Needs --backend aws and IAM securityhub:BatchImportFindings and securityhub:GetFindings. Findings not published: exit 2, the report still written.",
        valueName: "target"))
    var publishFindings: FindingsTarget = .none

    var reportDir: String { folder.reportDir }
}
