import EmbeddedStore
import Foundation
import Jobs
import Logging
import UserVaultCore

extension JobRequest {
    /// Runs the job: the one entry point of the command line, `run JOBFILE`, the demo and the
    /// Lambda `job` handler.
    /// - Throws: ``JobExit`` when the job could not run (or failed with no partial report).
    public func execute(_ context: JobContext) async throws -> JobOutcome {
        switch self {
        case .audit(let settings): try await settings.execute(context)
        case .export(let settings): try await settings.execute(context)
        case .repair(let settings): try await settings.execute(context)
        case .mergeReports(let settings): try await settings.execute(context)
        }
    }
}

extension AuditSettings {
    func execute(_ context: JobContext) async throws -> JobOutcome {
        let (settings, logger) = (context.settings, context.logger)
        try publishFindings.check(settings)
        let destination = try ReportDestination(reportDir)
        let (scan, kms, depth, keyState, failOn, snapshot) = (self.scan, budgets, self.depth, self.keyState, self.failOn, self.snapshot)
        let runId = scan.plannedRunId()
        // The suppressions file and the baseline: checked before anything is opened or scanned.
        let reportReview = try await scan.naming(runId) {
            try await review.prepare(context, today: CalendarDay(settings.now()), destination: destination,
                                     backend: settings.backend.reportName, table: settings.tableName, depth: depth.rawValue, runId: runId)
        }
        let delivered = try await scan.naming(runId) {
            try await Backend.with(settings, readOnly: true, pageCacheKiB: EmbeddedStore.Configuration.largePageCacheKiB,
                                   logger: logger) { live in
                // The live table, or a DynamoDB export of it (--as-of, --from-export): the same audit after that.
                let opened = try await scan.open(live, snapshot: snapshot, runId: runId, context: context, pageSize: 1000,
                                                 projection: .full) { configuration in
                    AuditJob(configuration: .init(scan: configuration, failOn: failOn, depth: depth)).fingerprint(table: live.table)
                }
                let (backend, count, state) = (opened.backend, opened.count, opened.state)
                var configuration = opened.configuration
                configuration.budgets = await scan.budgets(kms, backend: backend, logger: logger)
                configuration.readThrottles = backend.readThrottles
                let job = AuditJob(configuration: .init(scan: configuration, failOn: failOn, depth: depth,
                                                        keyState: keyState.resolved(for: backend), source: opened.source))
                let keys = RateLimitedKeyService(backend.keys, limits: configuration.budgets.kms, throttles: backend.kmsThrottles)
                let runner = ScanJobRunner(label: "audit", state: state, expected: count, budgets: configuration.budgets,
                                           progress: scan.progress, context: context)
                return try await runner.run(
                    to: destination, extras: { Self.extras(job, state, backend, complete: $0) }, review: { reportReview.apply(to: $0) },
                    partial: { job.partialReport(table: backend.table, state: state, error: $0, externalStats: backend.stats) }
                ) { progress in
                    try await job.run(table: backend.table, keys: keys, state: state, logger: logger,
                                      progress: progress, externalStats: { backend.stats })
                }
            }
        }
        let published = try await scan.naming(runId) {
            await publishFindings.publish(delivered.report, to: destination, settings: settings, logger: logger)
        }
        return .report(.init(job: "audit", report: published.report, location: delivered.location, failOn: failOn,
                             failWhen: review.failWhen, failure: delivered.failure, publishFailure: published.failure))
    }

    /// A `--worker` run's share of the cross-worker checks, for `merge-reports`.
    static func extras(_ job: AuditJob, _ state: RunState, _ backend: Backend, complete: Bool) -> [String: Data] {
        guard job.configuration.scan.worker.count > 1,
              let share = try? job.share(state: state, table: backend.table, complete: complete),
              let data = try? JSONEncoder().encode(share)
        else { return [:] }
        return [AuditShare.fileName: data]
    }
}

extension RepairSettings {
    func execute(_ context: JobContext) async throws -> JobOutcome {
        let (settings, logger) = (context.settings, context.logger)
        let destination = try ReportDestination(reportDir)
        let (scan, kms, apply, repair, label) = (self.scan, budgets, self.apply, self.repair, self.label)
        let runId = scan.plannedRunId()
        // A dry run only reads.
        let delivered = try await scan.naming(runId) {
            try await Backend.with(settings, readOnly: !apply, logger: logger) { backend in
                let count = try await backend.approximateItemCount()
                var configuration = scan.configuration(itemCount: count, pageSize: 1000, projection: .full)
                configuration.budgets = await scan.budgets(kms, backend: backend, logger: logger)
                configuration.readThrottles = backend.readThrottles
                let keys = RateLimitedKeyService(backend.keys, limits: configuration.budgets.kms, throttles: backend.kmsThrottles)
                func runner(_ state: RunState) -> ScanJobRunner {
                    ScanJobRunner(label: label, state: state, expected: count, budgets: configuration.budgets,
                                  progress: scan.progress, context: context)
                }
                if case .rotateKeys(.pruneOrphans, _, let pendingDays, let grace) = repair {
                    let job = OrphanKeyPrune(configuration: .init(scan: configuration, apply: apply, grace: grace,
                                                                  pendingDays: pendingDays, now: settings.now()))
                    let state = try scan.runState(job.fingerprint(table: backend.table), runId: runId)
                    return try await runner(state).run(
                        to: destination,
                        partial: { job.partialReport(table: backend.table, state: state, error: $0, externalStats: backend.stats) }
                    ) { progress in
                        try await job.run(table: backend.table, keys: keys, state: state, logger: logger, progress: progress,
                                          externalStats: { backend.stats })
                    }
                }
                let job = RepairJob(configuration: .init(scan: configuration, apply: apply),
                                    planner: Self.planner(repair, keys: keys, table: backend.table))
                let state = try scan.runState(job.fingerprint(table: backend.table), runId: runId)
                return try await runner(state).run(
                    to: destination,
                    partial: { job.partialReport(table: backend.table, state: state, error: $0, externalStats: backend.stats) }
                ) { progress in
                    try await job.run(table: backend.table, state: state, logger: logger, progress: progress,
                                      externalStats: { backend.stats })
                }
            }
        }
        return .report(.init(job: label, report: delivered.report, location: delivered.location, failure: delivered.failure,
                             applied: apply))
    }

    static func planner(_ repair: Repair, keys: any KeyService, table: any UserTable) -> any RepairPlanner {
        switch repair {
        case .rotateKeys(.rekey, _, let pendingDays, _): RekeySweep(table: table, keys: keys, pendingDays: pendingDays)
        case .rotateKeys(.rotateNow, let olderThanDays, _, _): RotateNowSweep(keys: keys, olderThanDays: olderThanDays)
        case .rotateKeys(.enableRotation, _, _, _): EnableRotationSweep(keys: keys)
        case .rotateKeys(.pruneOrphans, _, _, _): preconditionFailure("prune-orphans is a job of its own (OrphanKeyPrune)")
        case .backfill(.emailGuards): EmailGuardsBackfill(table: table)
        case .backfill(.keyMetadata): KeyMetadataBackfill(table: table, keys: keys)
        case .backfill(.encryptPlaintext): EncryptPlaintextBackfill(table: table, keys: keys)
        }
    }
}

extension ExportSettings {
    func execute(_ context: JobContext) async throws -> JobOutcome {
        let (settings, logger) = (context.settings, context.logger)
        let s3 = S3Output.parse(output)
        // An S3 export is staged locally: beside the checkpoint (so --resume finds it), else in a temporary directory.
        let staging: URL? = s3.map { _ in
            self.scan.checkpoint.map { URL(fileURLWithPath: $0 + ".staging") }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("uservault-export-\(UUID().uuidString)")
        }
        if let staging {
            try PrivateDirectory.create(at: staging)
        }
        let named = staging.map { $0.appendingPathComponent((s3!.key as NSString).lastPathComponent) }
            ?? URL(fileURLWithPath: output)
        let (scan, format, pageSize, output, snapshot) = (self.scan, archiveFormat, self.pageSize, self.output, self.snapshot)
        let runId = scan.plannedRunId()
        let (result, destination, source) = try await scan.naming(runId) {
            try await Backend.with(settings, readOnly: true, logger: logger) { live in
                // The live table, or a DynamoDB export of it (--as-of, --from-export): the same export after that.
                let opened = try await scan.open(live, snapshot: snapshot, runId: runId, context: context, pageSize: pageSize,
                                                 projection: .publicAttributes) { configuration in
                    ExportJob(configuration: .init(scan: configuration, format: format))
                        .fingerprint(table: live.table, destination: URL(fileURLWithPath: output))
                }
                let (backend, count, state) = (opened.backend, opened.count, opened.state)
                // An export's archive carries its time in its name: users-asof-20261130T000000Z.tar.gz.
                let destination = opened.source.provenance.map {
                    named.deletingLastPathComponent().appendingPathComponent($0.archiveName(named.lastPathComponent))
                } ?? named
                var configuration = opened.configuration
                configuration.budgets = await scan.budgets(nil, backend: backend, logger: logger)
                configuration.readThrottles = backend.readThrottles
                let job = ExportJob(configuration: .init(scan: configuration, format: format, source: opened.source))
                let runner = ScanJobRunner(label: "export", state: state, expected: count, budgets: configuration.budgets,
                                           progress: scan.progress, context: context)
                do {
                    let result = try await runner.withProgressAndStops { progress in
                        try await job.run(table: backend.table, to: destination, state: state, logger: logger, progress: progress)
                    }
                    state.discard()
                    return (result, destination, opened.source)
                } catch {
                    if state.isTemporary { state.discard() }
                    let line = error is CancellationError ? "stopped before the end: nothing was written" : ErrorLine.of(error)
                    throw JobExit.failure("export failed: \(line)"
                        + (state.isTemporary ? "" : "; continue it with --checkpoint \(state.path) --resume"))
                }
            }
        }
        var shown = destination.path
        if var s3, let staging {
            if let provenance = source.provenance {
                s3.key = (s3.key as NSString).deletingLastPathComponent
                s3.key = (s3.key.isEmpty ? "" : s3.key + "/") + provenance.archiveName((output as NSString).lastPathComponent)
            }
            do {
                // The archive first, then its .sha256: a reader that sees the checksum sees the archive.
                try await S3Output.upload([
                    (destination, s3),
                    (URL(fileURLWithPath: destination.path + ".sha256"), S3Output.Location(bucket: s3.bucket, key: s3.key + ".sha256")),
                ], settings: settings, logger: logger)
            } catch {
                throw JobExit.failure("export written but not uploaded to \(output): \(ErrorLine.of(error)) "
                    + "(the archive is at \(destination.path))")
            }
            try? FileManager.default.removeItem(at: staging)
            shown = "s3://\(s3.bucket)/\(s3.key)"
        }
        return .export(.init(output: shown, runId: result.runId, users: result.itemCount, parts: result.files, bytes: result.bytes,
                             sha256: result.sha256, format: format.rawValue))
    }
}

extension MergeSettings {
    func execute(_ context: JobContext) async throws -> JobOutcome {
        let (settings, logger) = (context.settings, context.logger)
        try publishFindings.check(settings)
        let destination = try ReportDestination(reportDir)
        let today = CalendarDay(settings.now())
        let suppressions = try await review.suppressionsFile(context, today: today)
        var parts: [AuditMerge.Part] = []
        var fetched: [URL] = []
        defer { for folder in fetched { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) } }
        do {
            for folder in folders {
                var local = URL(fileURLWithPath: folder)
                if folder.hasPrefix("s3://") {
                    do {
                        local = try await S3Output.fetchReportFolder(folder, settings: settings, logger: logger)
                    } catch let exit as JobExit {
                        throw exit
                    } catch {
                        throw JobExit.failure("cannot fetch \(folder): \(ErrorLine.of(error))")
                    }
                    fetched.append(local)
                }
                parts.append(try AuditMerge.load(local))
            }
        } catch let error as MergeError {
            throw JobExit.failure(error.description)
        }
        // The folders were checked to be at least one, each loaded.
        let share = parts[0].share
        let reportReview = try await review.prepare(context, today: today, destination: destination, backend: share.backend,
                                                    table: share.table, depth: share.depth, runId: nil, alreadyRead: .some(suppressions))
        var merged: JobReport
        do {
            if parts.contains(where: { $0.share.depth == AuditDepth.deep.rawValue }) {
                merged = try await Backend.with(settings, readOnly: true, logger: logger) { backend in
                    try await AuditMerge.merge(parts, keys: backend.keys)
                }
            } else {
                merged = try await AuditMerge.merge(parts, keys: nil)
            }
        } catch let error as MergeError {
            throw JobExit.failure(error.description)
        }
        merged = reportReview.apply(to: merged)
        let (location, published) = try await JobLogContext.with(["runId": "\(merged.runId)"]) {
            let location = try await destination.deliver(merged, settings: settings, logger: logger)
            return (location, await publishFindings.publish(merged, to: destination, settings: settings, logger: logger))
        }
        return .report(.init(job: "merge-reports", report: published.report, location: location, failOn: failOn,
                             failWhen: review.failWhen, publishFailure: published.failure))
    }
}
