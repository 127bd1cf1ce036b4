import ArgumentParser
import Foundation
import JobExecution
import Jobs
import Logging
import UserVaultCore

struct MergeReportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-reports",
        abstract: "Merge the reports of the --worker I/M runs of one audit into the report of a single run.",
        discussion: """
            Takes the M report folders (each holding report.json and audit-share.json) of one audit run \
            as M workers, e.g. `audit --worker 0/2` and `audit --worker 1/2`. Counts and per-user findings \
            add up; keys shared by users of different workers, duplicate emails and (deep) orphan keys are \
            found across all of them. Merging deep audits reads the CMK listing and describes orphan \
            candidates, so it needs the backend's options. Writes <report-dir>/audit/<stamp>-<runId>/.
            Folders and --report-dir may be in S3 (s3://bucket/prefix/audit/<stamp>-<runId>).
            --publish-findings securityhub sends the merged findings to AWS Security Hub (and, the merge \
            of every worker being a complete run, archives those gone since the last run).
            The merged report is reviewed as an audit's: --suppressions, and the delta against --baseline \
            (auto: the newest earlier complete report in --report-dir; the workers' own reports never are).
            Exit 0: no unaccepted finding at or above --fail-on (--fail-when new: none new); 1: findings; 2: a \
            worker is missing, incomplete or from another run, the findings were not all published, or a \
            bad suppressions file or baseline.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The report folders of the worker runs (paths or s3:// URIs).", valueName: "dir"))
    var folders: [String]

    @OptionGroup var report: ReportOptions

    @OptionGroup var metrics: MetricsOptions

    var settings: MergeSettings {
        MergeSettings(folders: folders, reportDir: report.reportDir, failOn: report.failOn, publishFindings: report.publishFindings,
                      review: report.review)
    }

    func validate() throws {
        try InvalidSetting.asUsageError { try settings.validate() }
    }

    func run() async throws {
        try await JobRequest.mergeReports(settings).runFromCommandLine(global, metrics: metrics.settings())
    }
}
