import ArgumentParser
import Jobs

/// `--report-dir`, for every job that writes a report.
struct ReportFolderOption: ParsableArguments {
    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Where reports go: a folder, or s3://bucket/prefix.", valueName: "dir"))
    var reportDir: String = "reports"
}

/// Where an audit's report goes, and which findings fail the run (`audit`, `merge-reports`).
struct ReportOptions: ParsableArguments {
    @OptionGroup var folder: ReportFolderOption

    @Option(name: .customLong("fail-on"), help: "Exit 1 on findings at or above this severity.")
    var failOn: Severity = .high

    var reportDir: String { folder.reportDir }
}
