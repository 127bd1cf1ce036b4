import ArchiveIO
import ArgumentParser
import Foundation
import JobExecution
import Jobs
import Logging
import UserVaultCore

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the users' non-credential data as a JSON:API archive.",
        discussion: """
            A parallel segmented scan that reads only the allow-listed attributes (id, firstname, \
            lastname, email, username, createdAt; never credentials, never key ids) and writes an archive \
            of users/part-<worker>-<segment>-<seq>.json, each a JSON:API 1.0 document of up to --page-size \
            users, plus manifest.json (the run, the scan parameters, itemCount, and every part's item count, \
            size and SHA-256). PATH.sha256 beside the archive holds its SHA-256 (sha256sum format).
            The archive is written under a temporary name beside PATH (mode 0600) and renamed only when \
            complete: a failed or stopped run leaves nothing at PATH. With --checkpoint, each page is kept \
            as a synced file beside PATH until the end, so --resume continues a killed run.
            An s3://bucket/key output is staged in a local temporary directory, then uploaded (multipart) \
            with key.sha256 beside it.
            With --as-of TIME (or --from-export), the users come from DynamoDB's own export to S3, an exact \
            snapshot of the table at that second read without spending read capacity: the archive is the same, \
            its manifest names the export (ARN, table ARN, exportTime), and its name carries the time \
            (users-asof-20261130T000000Z.tar.gz). Each data file is checked against the export's manifests \
            (MD5, item count); a mismatch is exit 2, one line naming the file, and no archive.
            Check an archive with `uservault verify-export PATH`.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scan: ScanOptions

    @Option(help: ArgumentHelp("The archive to write: a path, or s3://bucket/key.", valueName: "path|s3://bucket/key"))
    var output: String

    @Option(help: "Archive format (default: from the output's extension, else tar.gz).")
    var format: ArchiveFormat?

    @Option(name: .customLong("page-size"), help: "Users per document (and per scan page), 1–10,000.")
    var pageSize: Int = 1000

    @OptionGroup(title: "Point in time (DynamoDB export to S3)") var snapshot: SnapshotOptions

    @OptionGroup var metrics: MetricsOptions

    var settings: ExportSettings {
        ExportSettings(scan: scan.settings, output: output, format: format, pageSize: pageSize, snapshot: snapshot.settings)
    }

    func validate() throws {
        try InvalidSetting.asUsageError { try settings.validate() }
    }

    func run() async throws {
        try await JobRequest.export(settings).runFromCommandLine(global, metrics: metrics.settings())
    }
}

struct VerifyExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-export",
        abstract: "Re-check an export archive: counts, checksums, JSON:API shape, the attribute allow-list.",
        discussion: """
            Reads the archive (any of tar.gz, tar.zst, zip) and checks: every part is listed in \
            manifest.json with its item count, size and SHA-256, and nothing else is; itemCount is the sum; \
            every part is a JSON:API 1.0 document of "users" resources with an id, unique across the \
            archive, and no attribute beyond the allow-list; PATH.sha256 holds the archive's SHA-256.
            Exit 0 when all hold; 1 with one line per problem (a corrupt archive is one); 2 when there is no \
            file at PATH.
            """)

    @Argument(help: ArgumentHelp("The archive (a local path).", valueName: "path"))
    var path: String

    func run() async throws {
        guard FileManager.default.fileExists(atPath: path) else { throw JobExit.failure("no archive at \(path)") }
        let outcome = ExportVerifier.verify(archive: path)
        guard outcome.problems.isEmpty else {
            for problem in outcome.problems { print(problem) }
            throw JobExit.findings("\(path): \(outcome.problems.count) problems")
        }
        print("\(path): \(outcome.users) users in \(outcome.files) part\(outcome.files == 1 ? "" : "s"); manifest, checksums and shape verified")
    }
}
