import ArgumentParser
import EmbeddedStore
import Foundation
import Jobs
import Logging
import UserVaultCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify every user's credentials are KMS ciphertext under an existing, enabled CMK of their own.",
        discussion: """
            A parallel segmented scan. Per user: credentials present, binary, not plaintext, proven \
            genuine by ReEncrypt to the same key (never Decrypt), the key existing and enabled: on AWS KMS \
            the proof's own answer says so (--key-state proof, one KMS request per user); with an endpoint \
            override, DescribeKey first (--key-state describe, two). Across the scan: keys shared by \
            several users, emails held by several users. --depth deep adds each key's rotation status, \
            CreatedBy owner tag and key spec, and per-user CMKs no user references (orphans).
            Legacy records (no credentialsKeyId) are checked against the CMK tagged CreatedBy=<id>, found \
            with one listing of the Resource Groups Tagging API (IAM: tag:GetResources).
            KMS requests stay under AWS's default request quotas per API (--kms-rate overrides).
            Writes <report-dir>/audit/<UTC stamp>-<runId>/report.json and report.md; a --worker run also \
            writes audit-share.json there, for `uservault merge-reports`.
            Exit 0: no finding at or above --fail-on; 1: findings; 2: the run could not finish (a partial \
            report says how far it got). SIGINT/SIGTERM stop cleanly between pages; with --checkpoint the \
            run can be resumed with --resume.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var scan: ScanOptions

    @Option(help: "standard: at most 2 KMS requests per user; deep: also rotation, owner tag, key spec, orphan keys.")
    var depth: AuditDepth = .standard

    @Option(name: .customLong("key-state"),
            help: ArgumentHelp("Where key states come from. proof: the proof's own answer (AWS KMS refuses ReEncrypt under a disabled, pending-deletion or missing key): one KMS request per user. describe: DescribeKey first (for emulators such as moto, which ignore key state in crypto calls). auto: describe when an endpoint override is set, else proof."))
    var keyState: KeyStateChoice = .auto

    @OptionGroup var budgets: KMSBudgetOptions

    @OptionGroup var report: ReportOptions

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        let logger = Logger(label: "uservault.audit")
        let (depth, threshold) = (self.depth, report.failOn)
        let destination = try ReportDestination(report.reportDir)
        let (scan, budgetOptions) = (self.scan, self.budgets)
        let (report, location) = try await Backend.with(settings, readOnly: true, pageCacheKiB: EmbeddedStore.Configuration.largePageCacheKiB,
                                                          logger: logger) { backend in
            let count = try? await backend.table.approximateItemCount()
            var scanConfiguration = ScanEngine.Configuration(
                totalSegments: scan.totalSegments(itemCount: count), concurrency: scan.concurrency,
                worker: scan.workerShare, pageSize: 1000, projection: .full)
            scanConfiguration.budgets = await scan.budgets(budgetOptions, backend: backend, logger: logger)
            let job = AuditJob(configuration: .init(scan: scanConfiguration, failOn: threshold, depth: depth,
                                                    keyState: keyState.resolved(for: backend)))
            scanConfiguration.readThrottles = backend.readThrottles
            let keys = RateLimitedKeyService(backend.keys, limits: scanConfiguration.budgets.kms, throttles: backend.kmsThrottles)
            let state = try scan.runState(job.fingerprint(table: backend.table))
            return try await scan.runReported(
                "audit", state: state, expected: count, budgets: scanConfiguration.budgets, destination: destination, settings: settings, logger: logger,
                extras: { Self.extras(job, state, backend, complete: $0) },
                partial: { job.partialReport(table: backend.table, state: state, error: $0, externalStats: backend.stats) }
            ) { progress in
                try await job.run(table: backend.table, keys: keys, state: state, logger: logger,
                                  progress: progress, externalStats: { backend.stats })
            }
        }
        try Self.conclude(report, location: location, failOn: threshold,
                          incomplete: "the audit stopped before the end: the report is partial"
                              + (scan.checkpoint.map { "; resume with --checkpoint \($0) --resume" } ?? ""))
    }

    /// Prints the summary and the report's path; exit 2 when partial, 1 on findings at or above `failOn`.
    static func conclude(_ report: JobReport, location: String, failOn threshold: Severity, incomplete: String) throws {
        print("audit of \(report.users) users on \(report.backend) table '\(report.table)': \(report.verified) verified, "
              + "\(report.findings.count) findings" + (report.summary.isEmpty ? "" : " ("
              + report.summary.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"))
        print("report: \(location)/report.md")
        guard report.complete else { throw CLIExit.failure(incomplete) }
        let serious = report.findings(atOrAbove: threshold).count
        if serious > 0 { throw CLIExit.findings("\(serious) findings at or above \(threshold.rawValue)") }
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

/// `--key-state`: ``KeyStateSource`` or `auto`.
enum KeyStateChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case proof, describe, auto

    /// `auto`: `describe` where the key service may ignore key state (an endpoint override), else `proof`.
    func resolved(for backend: Backend) -> KeyStateSource {
        switch self {
        case .proof: .proof
        case .describe: .describe
        case .auto: backend.mayIgnoreKeyState ? .describe : .proof
        }
    }
}
