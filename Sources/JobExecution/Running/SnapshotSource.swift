import AWSBackend
import AWSClients
import Foundation
import Jobs
import Logging
import UserVaultCore

/// Turns `--as-of` / `--from-export` into the item source of a job: the export (asked for, or
/// found), waited for, its manifests read, as an ``ExportedUserTable`` in place of the live table.
/// The export's ARN is noted in the run state as soon as it is known, so a killed run resumes
/// with the same export (never a new one), and a resumed run refuses another export's files.
struct SnapshotSource {
    var settings: SnapshotSettings
    var context: JobContext
    var runId: String
    /// `--progress`: the waiting line (state and time waited) on a terminal, or log lines.
    var progress: ProgressMode

    /// The backend with the export's table in place of the live one, and the export's provenance.
    func open(_ backend: Backend, state: RunState) async throws -> (Backend, ExportProvenance) {
        guard let dynamo = backend.dynamo, let s3 = backend.s3 else {
            throw JobExit.failure("--as-of and --from-export read DynamoDB's export to S3: they need --backend aws")
        }
        let logger = context.logger
        let exports = PointInTimeExports(dynamo: dynamo, tableName: backend.table.tableName)
        let location: (bucket: String, folder: String)
        do {
            switch settings.existingExport {
            case .folder(let bucket, let folder)?:
                location = (bucket, folder)
            case .arn(let arn)?:
                location = try await waitFor(arn, exports: exports)
            case nil:
                let arn: String
                if let noted = try state.noted("exportArn") {
                    arn = noted
                    logger.notice("resuming with the export the run asked for", metadata: ["exportArn": "\(arn)"])
                } else {
                    arn = try await request(exports: exports)
                    try state.note("exportArn", arn)
                }
                location = try await waitFor(arn, exports: exports)
            }
        } catch let error as PointInTimeExportError {
            throw JobExit.failure(error.description)
        } catch let error as UserTableError {
            throw JobExit.failure(error.description)
        }
        let manifest: DynamoDBExportManifest
        do {
            manifest = try await DynamoDBExportManifest.read(s3: s3, bucket: location.bucket, folder: location.folder)
        } catch let error as DynamoDBExportError {
            throw JobExit.failure(error.description)
        } catch let error as AWSError {
            throw JobExit.failure("cannot read the export at s3://\(location.bucket)/\(location.folder): \(error)")
        }
        if let noted = try state.noted("exportArn"), noted != manifest.exportArn {
            throw JobExit.failure("s3://\(location.bucket)/\(location.folder) holds the export \(manifest.exportArn), "
                                  + "not \(noted) that the checkpoint at \(state.path) read: refusing to mix them")
        }
        try state.note("exportArn", manifest.exportArn)
        if let files = try state.noted("dataFiles"), files != String(manifest.dataFiles.count) {
            throw JobExit.failure("the export \(manifest.exportArn) lists \(manifest.dataFiles.count) data files, the checkpoint \(files)")
        }
        try state.note("dataFiles", String(manifest.dataFiles.count))
        logger.notice("reading the DynamoDB export", metadata: [
            "exportArn": "\(manifest.exportArn)", "exportTime": "\(manifest.exportTime)",
            "items": "\(manifest.itemCount)", "dataFiles": "\(manifest.dataFiles.count)",
        ])
        var source = backend
        source.table = ExportedUserTable(s3: s3, manifest: manifest)
        return (source, ExportProvenance(exportArn: manifest.exportArn, tableArn: manifest.tableArn, exportTime: manifest.exportTime))
    }

    /// Checks point-in-time recovery and asks for the export. Returns its ARN.
    private func request(exports: PointInTimeExports) async throws -> String {
        guard let staging = settings.staging.flatMap(SnapshotSettings.s3Location) else {
            throw JobExit.failure("--as-of needs --staging s3://bucket/prefix")
        }
        let asOf = try settings.instant
        let tableArn = try await exports.checkRecovery(asOf: asOf)
        var prefix = staging.prefix
        while prefix.hasSuffix("/") { prefix.removeLast() }
        let arn = try await exports.start(
            tableArn: tableArn, asOf: asOf,
            staging: .init(bucket: staging.bucket, prefix: prefix, kmsKeyId: settings.stagingKMSKey), clientToken: runId)
        context.logger.notice("export requested", metadata: [
            "exportArn": "\(arn)", "asOf": "\(asOf.map { $0.formatted(.iso8601) } ?? "now")",
            "staging": "s3://\(staging.bucket)/\(prefix)",
        ])
        return arn
    }

    /// Waits for the export (`--wait` at most), saying its state and the time waited.
    private func waitFor(_ arn: String, exports: PointInTimeExports) async throws -> (bucket: String, folder: String) {
        let logger = context.logger
        let live = progress == .always || (progress == .auto && isatty(STDERR_FILENO) == 1)
        let quiet = progress == .never
        let done = try await exports.waitUntilDone(arn, limit: try settings.waitLimit) { status, elapsed in
            if live {
                let line = "export \(arn): \(status), \(PointInTimeExportsFormat.elapsed(elapsed))"
                FileHandle.standardError.write(Data((line + "\n").utf8))
            } else if !quiet {
                logger.notice("waiting for the export", metadata: ["exportArn": "\(arn)", "status": "\(status)",
                                                                   "elapsedSeconds": "\(elapsed.components.seconds)"])
            }
        }
        guard let location = PointInTimeExports.folder(of: done) else {
            throw JobExit.failure("DescribeExport does not say where the export \(arn) is (no S3Bucket)")
        }
        return location
    }
}

enum PointInTimeExportsFormat {
    static func elapsed(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        return seconds >= 60 ? "\(seconds / 60) min \(seconds % 60) s waited" : "\(seconds) s waited"
    }
}

/// What a scanning job reads, opened: the backend (its table the live one or an export's), the
/// source for the outputs' provenance, the item count, the scan's configuration and the run state.
struct OpenedSource {
    var backend: Backend
    var source: ItemSource
    var count: Int?
    var configuration: ScanEngine.Configuration
    var state: RunState
}

extension ScanSettings {
    /// Opens the job's items and its run state. The live table: its item count sizes the
    /// segments, and `fingerprint` (the job's, for a configuration) identifies the run. An
    /// export (`snapshot`): the run state is opened first — identified by the options as written,
    /// the segments being the export's data files, not known yet — so that the export's ARN is
    /// in it from the moment it is known; then the export is had, and its data files are the segments.
    func open(
        _ backend: Backend, snapshot: SnapshotSettings, runId: String, context: JobContext, pageSize: Int,
        projection: ScanProjection, fingerprint: (ScanEngine.Configuration) -> RunState.Fingerprint
    ) async throws -> OpenedSource {
        guard snapshot.isSet else {
            let count = try await backend.approximateItemCount()
            let configuration = self.configuration(itemCount: count, pageSize: pageSize, projection: projection)
            return OpenedSource(backend: backend, source: .scan, count: count, configuration: configuration,
                                state: try runState(fingerprint(configuration), runId: runId))
        }
        var identity = fingerprint(configuration(itemCount: nil, pageSize: pageSize, projection: projection))
        identity.totalSegments = 0
        identity.parameters.merge(snapshot.fingerprintParameters) { $1 }
        let state = try runState(identity, runId: runId)
        do {
            // Waiting for the export stops as a scan does: on SIGINT/SIGTERM, and before a Lambda deadline.
            let reader = SnapshotSource(settings: snapshot, context: context, runId: runId, progress: progress)
            let logger = context.logger
            let body: @Sendable () async throws -> (Backend, ExportProvenance) = { try await reader.open(backend, state: state) }
            var bounded = body
            if let deadline = context.deadline {
                bounded = { try await ScanJobRunner.until(deadline, logger: logger, body) }
            }
            let (source, provenance): (Backend, ExportProvenance)
            do {
                let stoppable = bounded
                (source, provenance) = context.stopsOnSignals ? try await SignalWaiter.untilSignal(logger: logger, stoppable)
                    : try await stoppable()
            } catch is CancellationError {
                let arn = (try? state.noted("exportArn")).flatMap { $0 }
                throw JobExit.failure("stopped while waiting for the export" + (arn.map { " \($0)" } ?? "")
                                      + (arn.map { state.isTemporary ? "; resume from it with --from-export \($0)" : "" } ?? ""))
            }
            let count = try await source.table.approximateItemCount()
            var configuration = self.configuration(itemCount: count, pageSize: pageSize, projection: projection)
            configuration.totalSegments = (source.table as? ExportedUserTable)?.segments ?? 1
            return OpenedSource(backend: source, source: .export(provenance), count: count, configuration: configuration, state: state)
        } catch var exit as JobExit {
            // The export's ARN is kept: a resumed run goes on with it.
            if state.isTemporary {
                state.discard()
            } else if let message = exit.message {
                exit.message = message + "; continue with --checkpoint \(state.path) --resume"
            }
            throw exit
        } catch {
            if state.isTemporary { state.discard() }
            throw error
        }
    }
}
