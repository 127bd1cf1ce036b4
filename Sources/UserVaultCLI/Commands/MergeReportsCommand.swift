import ArgumentParser
import Foundation
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
            Exit 0: no finding at or above --fail-on; 1: findings; 2: a worker is missing, incomplete or \
            from another run.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The report folders of the worker runs (paths or s3:// URIs).", valueName: "dir"))
    var folders: [String]

    @OptionGroup var report: ReportOptions

    func validate() throws {
        guard !folders.isEmpty else { throw ValidationError("name the report folders of the worker runs") }
    }

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        let logger = Logger(label: "uservault.merge-reports")
        let threshold = report.failOn
        let destination = try ReportDestination(report.reportDir)
        var parts: [AuditMerge.Part] = []
        var fetched: [URL] = []
        defer { for folder in fetched { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) } }
        do {
            for folder in folders {
                var local = URL(fileURLWithPath: folder)
                if folder.hasPrefix("s3://") {
                    do {
                        local = try await S3Output.fetchReportFolder(folder, settings: settings, logger: logger)
                    } catch let exit as CLIExit {
                        throw exit
                    } catch {
                        throw CLIExit.failure("cannot fetch \(folder): \(UserVaultCLI.oneLine(error))")
                    }
                    fetched.append(local)
                }
                parts.append(try AuditMerge.load(local))
            }
        } catch let error as MergeError {
            throw CLIExit.failure(error.description)
        }
        let merged: JobReport
        do {
            if parts.contains(where: { $0.share.depth == AuditDepth.deep.rawValue }) {
                merged = try await Backend.with(settings, readOnly: true, logger: logger) { backend in
                    try await AuditMerge.merge(parts, keys: backend.keys)
                }
            } else {
                merged = try await AuditMerge.merge(parts, keys: nil)
            }
        } catch let error as MergeError {
            throw CLIExit.failure(error.description)
        }
        let location = try await destination.deliver(merged, settings: settings, logger: logger)
        try AuditCommand.conclude(merged, location: location, failOn: threshold,
                                  incomplete: "a worker's run did not finish: the merged report is partial")
    }
}
