import ArchiveIO
import ArgumentParser
import Foundation
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

    func validate() throws {
        guard (1...10_000).contains(pageSize) else { throw ValidationError("--page-size must be 1–10,000") }
        if output.hasPrefix("s3://"), S3Output.parse(output) == nil { throw ValidationError("--output s3://bucket/key needs a bucket and a key") }
        guard !output.isEmpty, !output.hasSuffix("/") else { throw ValidationError("--output must name a file") }
    }

    /// `--format`, else the output's extension, else tar.gz.
    var archiveFormat: ArchiveFormat {
        if let format { return format }
        let name = output.lowercased()
        if name.hasSuffix(".tar.zst") || name.hasSuffix(".tzst") { return .tarZst }
        if name.hasSuffix(".zip") { return .zip }
        return .tarGz
    }

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        let logger = Logger(label: "uservault.export")
        let s3 = S3Output.parse(output)
        // An S3 export is staged locally: beside the checkpoint (so --resume finds it), else in a temporary directory.
        let staging: URL? = s3.map { location in
            self.scan.checkpoint.map { URL(fileURLWithPath: $0 + ".staging") }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("uservault-export-\(UUID().uuidString)")
        }
        if let staging {
            try PrivateDirectory.create(at: staging)
        }
        let destination = staging.map { $0.appendingPathComponent((s3!.key as NSString).lastPathComponent) }
            ?? URL(fileURLWithPath: output)
        let scan = self.scan
        let format = archiveFormat
        let pageSize = self.pageSize
        let result = try await Backend.with(settings, readOnly: true, logger: logger) { backend in
            let count = try? await backend.table.approximateItemCount()
            var scanConfiguration = ScanEngine.Configuration(
                totalSegments: scan.totalSegments(itemCount: count), concurrency: scan.concurrency,
                worker: scan.workerShare, pageSize: pageSize)
            scanConfiguration.budgets = await scan.budgets(nil, backend: backend, logger: logger)
            scanConfiguration.readThrottles = backend.readThrottles
            let job = ExportJob(configuration: .init(scan: scanConfiguration, format: format))
            let state = try scan.runState(job.fingerprint(table: backend.table, destination: URL(fileURLWithPath: output)))
            do {
                let result = try await JobLogContext.with(["runId": "\(state.runId)"]) {
                    try await scan.withProgress(expected: count, budgets: scanConfiguration.budgets, logger: logger) { progress in
                        try await job.run(table: backend.table, to: destination, state: state, logger: logger, progress: progress)
                    }
                }
                state.discard()
                return result
            } catch {
                if state.isTemporary { state.discard() }
                let line = error is CancellationError ? "stopped by a signal: nothing was written" : UserVaultCLI.oneLine(error)
                throw CLIExit.failure("export failed: \(line)"
                    + (state.isTemporary ? "" : "; continue it with --checkpoint \(state.path) --resume"))
            }
        }
        var shown = destination.path
        if let s3, let staging {
            do {
                // The archive first, then its .sha256: a reader that sees the checksum sees the archive.
                try await S3Output.upload([
                    (destination, s3), (URL(fileURLWithPath: destination.path + ".sha256"), S3Output.Location(bucket: s3.bucket, key: s3.key + ".sha256")),
                ], settings: settings, logger: logger)
            } catch {
                throw CLIExit.failure("export written but not uploaded to \(output): \(UserVaultCLI.oneLine(error)) "
                    + "(the archive is at \(destination.path))")
            }
            try? FileManager.default.removeItem(at: staging)
            shown = output
        }
        RunRecord.shared.record(["output": shown, "runId": result.runId, "users": result.itemCount, "parts": result.files,
                                 "bytes": result.bytes, "sha256": result.sha256])
        print("export of \(result.itemCount) users to \(shown): \(result.files) part\(result.files == 1 ? "" : "s"), \(format.rawValue), "
              + "\(result.bytes) bytes, sha256 \(result.sha256)")
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
        guard FileManager.default.fileExists(atPath: path) else { throw CLIExit.failure("no archive at \(path)") }
        let outcome = ExportVerifier.verify(archive: path)
        guard outcome.problems.isEmpty else {
            for problem in outcome.problems { print(problem) }
            throw CLIExit.findings("\(path): \(outcome.problems.count) problems")
        }
        print("\(path): \(outcome.users) users in \(outcome.files) part\(outcome.files == 1 ? "" : "s"); manifest, checksums and shape verified")
    }
}
