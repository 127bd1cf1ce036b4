import ArgumentParser
import Foundation
import Jobs
import Logging
import UserVaultCore

struct RotateKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-keys",
        abstract: "Key-rotation sweeps over the per-user CMKs (a dry run unless --apply).",
        discussion: """
            --mode enable-rotation: turn on automatic rotation of every user's CMK where it is off \
            (a legacy record's key is the one tagged CreatedBy=<id>).
            --mode rekey: a fresh CMK per user (tagged CreatedBy, rotation on); the credentials move to it \
            by ReEncrypt with context {"userId": id}; one conditional write stores them only if the record \
            still holds what was read; then the old key is scheduled for deletion (--pending-days). If the \
            write loses, the new key is scheduled for deletion and the user reported, not overwritten.
            --mode rotate-now: on-demand rotation (RotateKeyOnDemand) of every user's key whose material \
            (its latest rotation, or its creation) is older than --older-than days.
            Without --apply nothing is changed: the report lists what would be done. With it, each \
            action is carried out and reported (done or failed). Writes <report-dir>/rotate-keys/<stamp>-<runId>/ \
            (report.json with actions[], report.md). Exit 0: done (or planned); 1: some actions failed; \
            2: the run could not finish (a partial report says how far it got; --checkpoint/--resume continue it).
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scan: ScanOptions

    @Option(help: ArgumentHelp("What to do to each user's key.", valueName: "enable-rotation|rotate-now|rekey"))
    var mode: String = "enable-rotation"

    @Flag(help: "Act. Without it, a dry run: nothing is changed, the report says what would be.")
    var apply = false

    @Option(name: .customLong("kms-rate"), parsing: .singleValue,
            help: ArgumentHelp("A KMS request budget, requests per second (repeatable; 0 lifts it); defaults as for the audit.",
                               valueName: "NAME=N"))
    var kmsRates: [String] = []

    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Where reports go: a folder, or s3://bucket/prefix.", valueName: "dir"))
    var reportDir: String = "reports"

    func validate() throws {
        guard ["enable-rotation", "rotate-now", "rekey"].contains(mode) else {
            throw ValidationError("--mode must be enable-rotation, rotate-now or rekey")
        }
        for rate in kmsRates where KMSRateLimits.parseOverride(rate) == nil {
            throw ValidationError("--kms-rate takes NAME=N, e.g. EnableKeyRotation=5 (got '\(rate)')")
        }
        guard (7...30).contains(pendingDays) else { throw ValidationError("--pending-days must be 7–30 (KMS's range)") }
        guard olderThanDays != nil else { throw ValidationError("--older-than takes a number of days (365 or 365d)") }
    }

    @Option(name: .customLong("older-than"),
            help: ArgumentHelp("rotate-now: rotate keys whose material is older than this many days (e.g. 365 or 365d).", valueName: "days"))
    var olderThan: String = "365"

    var olderThanDays: Int? { Int(olderThan.hasSuffix("d") ? String(olderThan.dropLast()) : olderThan).flatMap { $0 >= 0 ? $0 : nil } }

    @Option(name: .customLong("pending-days"), help: "rekey: the old key's waiting period before deletion, 7–30 days.")
    var pendingDays: Int = 30

    func run() async throws {
        let olderThanDays = self.olderThanDays ?? 365
        try await RepairRun(global: global, scan: scan, apply: apply, reportDir: reportDir, kmsRates: kmsRates,
                            label: "rotate-keys", makePlanner: { [mode, pendingDays] keys, table in
                                switch mode {
                                case "rekey": RekeySweep(table: table, keys: keys, pendingDays: pendingDays)
                                case "rotate-now": RotateNowSweep(keys: keys, olderThanDays: olderThanDays)
                                default: EnableRotationSweep(keys: keys)
                                }
                            }).run()
    }
}

/// Runs a repair job (`rotate-keys`, `backfill`) the way the audit runs: the backend, a run state
/// for checkpoints, KMS budgets, progress, SIGINT/SIGTERM, a report (partial when it stops).
struct RepairRun {
    var global: GlobalOptions
    var scan: ScanOptions
    var apply: Bool
    var reportDir: String
    var kmsRates: [String]
    var label: String
    var makePlanner: @Sendable (any KeyService, any UserTable) -> any RepairPlanner

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        let logger = Logger(label: "uservault.\(label)")
        let overrides = Dictionary(kmsRates.compactMap(KMSRateLimits.parseOverride), uniquingKeysWith: { $1 })
        let destination = try ReportDestination(reportDir)
        let (scan, apply, makePlanner) = (self.scan, self.apply, self.makePlanner)
        // A dry run only reads.
        let (report, location) = try await Backend.with(settings, readOnly: !apply, logger: logger) { backend in
            let count = try? await backend.table.approximateItemCount()
            let limits = (backend.keys.backendName == "aws" ? KMSRateLimits.awsDefaults : .none).overriding(overrides)
            let job = RepairJob(
                configuration: .init(scan: .init(totalSegments: scan.totalSegments(itemCount: count), concurrency: scan.concurrency,
                                                 worker: scan.workerShare, pageSize: 1000, projection: .full,
                                                 maxReadUnitsPerSecond: scan.maxReadUnits), apply: apply),
                planner: makePlanner(RateLimitedKeyService(backend.keys, limits: limits), backend.table))
            let state = try scan.runState(job.fingerprint(table: backend.table))
            let report: JobReport
            do {
                report = try await scan.withProgress(expected: count, logger: logger) { progress in
                    try await job.run(table: backend.table, state: state, logger: logger, progress: progress,
                                      externalStats: { backend.stats })
                }
            } catch {
                let line = error is CancellationError ? "stopped by a signal" : UserVaultCLI.oneLine(error)
                var location: String?
                if let partial = job.partialReport(table: backend.table, state: state, error: line, externalStats: backend.stats),
                   let folder = try? ReportWriter.write(partial, to: destination.local) {
                    location = try? await destination.publish(folder, settings: settings, logger: logger)
                    if let location { AuditCommand.record(partial, location: location) }
                }
                if state.isTemporary { state.discard() }
                throw CLIExit.failure("\(label) failed: \(line)" + (location.map { " (partial report: \($0)/report.json)" } ?? ""))
            }
            let folder = try ReportWriter.write(report, to: destination.local)
            let location = try await destination.publish(folder, settings: settings, logger: logger)
            if report.complete || state.isTemporary { state.discard() }
            return (report, location)
        }
        AuditCommand.record(report, location: location)
        let actions = report.actions ?? []
        let failed = actions.filter { $0.outcome == .failed }.count
        let skipped = actions.filter { $0.outcome == .skipped }.count
        let verb = apply ? "done" : "planned (dry run: nothing changed)"
        print("\(label) over \(report.users) users on \(report.backend) table '\(report.table)': "
              + "\(actions.count - failed - skipped) \(verb), \(skipped) skipped, \(failed) failed"
              + (report.summary.isEmpty ? "" : " (" + report.summary.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                  .joined(separator: ", ") + ")"))
        print("report: \(location)/report.md")
        guard report.complete else {
            throw CLIExit.failure("\(label) stopped before the end: the report is partial"
                + (scan.checkpoint.map { "; resume with --checkpoint \($0) --resume" } ?? ""))
        }
        if failed > 0 { throw CLIExit.findings("\(failed) actions failed") }
    }
}

struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Named, idempotent, resumable data repairs (a dry run unless --apply).",
        discussion: """
            email-guards: write the email-uniqueness guard of users created before guards existed, \
            only where no guard holds the email; an email another user holds is reported \
            (DUPLICATE_EMAIL), never resolved.
            key-metadata: for legacy records (no credentialsKeyId), bind the ciphertext to its user by \
            ReEncrypt to the same key (the one tagged CreatedBy=<id>) with context {"userId": id}, and \
            record the key and, when missing, createdAt from the key's creation date.
            encrypt-plaintext: credentials found as plaintext (string or printable bytes) are encrypted \
            under a new CMK tagged CreatedBy=<id> (rotation on) with context {"userId": id}; if the \
            conditional write loses, the new key is scheduled for deletion and the user reported.
            Without --apply nothing is changed: the report lists what would be done. Every write is \
            conditional on what was read; a second --apply changes nothing. Writes \
            <report-dir>/backfill/<stamp>-<runId>/ (report.json with actions[], report.md). Exit 0: \
            done (or planned); 1: some actions failed; 2: the run could not finish.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scan: ScanOptions

    @Argument(help: ArgumentHelp("The repair.", valueName: "encrypt-plaintext|email-guards|key-metadata"))
    var name: String

    @Option(name: .customLong("kms-rate"), parsing: .singleValue,
            help: ArgumentHelp("A KMS request budget, requests per second (repeatable; 0 lifts it); defaults as for the audit.",
                               valueName: "NAME=N"))
    var kmsRates: [String] = []

    @Flag(help: "Act. Without it, a dry run: nothing is changed, the report says what would be.")
    var apply = false

    @Option(name: .customLong("report-dir"), help: ArgumentHelp("Where reports go: a folder, or s3://bucket/prefix.", valueName: "dir"))
    var reportDir: String = "reports"

    func validate() throws {
        guard ["encrypt-plaintext", "email-guards", "key-metadata"].contains(name) else {
            throw ValidationError("NAME must be encrypt-plaintext, email-guards or key-metadata")
        }
    }

    func run() async throws {
        let name = self.name
        try await RepairRun(global: global, scan: scan, apply: apply, reportDir: reportDir, kmsRates: kmsRates,
                            label: "backfill", makePlanner: { keys, table in
                                switch name {
                                case "email-guards": EmailGuardsBackfill(table: table)
                                case "key-metadata": KeyMetadataBackfill(table: table, keys: keys)
                                default: EncryptPlaintextBackfill(table: table, keys: keys)
                                }
                            }).run()
    }
}
