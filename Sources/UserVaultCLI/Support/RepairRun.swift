import ArgumentParser
import Foundation
import Jobs
import Logging
import UserVaultCore

/// Runs a repair job (`rotate-keys`, `backfill`) the way the audit runs: the backend, a run state
/// for checkpoints, KMS budgets, progress, SIGINT/SIGTERM, a report (partial when it stops).
struct RepairRun {
    var global: GlobalOptions
    var scan: ScanOptions
    var apply: Bool
    var reportDir: String
    var budgets: KMSBudgetOptions
    var label: String
    var makePlanner: @Sendable (any KeyService, any UserTable) -> any RepairPlanner

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        let logger = Logger(label: "uservault.\(label)")
        let destination = try ReportDestination(reportDir)
        let (scan, apply, makePlanner, budgetOptions) = (self.scan, self.apply, self.makePlanner, self.budgets)
        // A dry run only reads.
        let (report, location) = try await Backend.with(settings, readOnly: !apply, logger: logger) { backend in
            let count = try? await backend.table.approximateItemCount()
            var scanConfiguration = ScanEngine.Configuration(
                totalSegments: scan.totalSegments(itemCount: count), concurrency: scan.concurrency,
                worker: scan.workerShare, pageSize: 1000, projection: .full)
            scanConfiguration.budgets = await scan.budgets(budgetOptions, backend: backend, logger: logger)
            scanConfiguration.readThrottles = backend.readThrottles
            let job = RepairJob(
                configuration: .init(scan: scanConfiguration, apply: apply),
                planner: makePlanner(RateLimitedKeyService(backend.keys, limits: scanConfiguration.budgets.kms, throttles: backend.kmsThrottles), backend.table))
            let state = try scan.runState(job.fingerprint(table: backend.table))
            return try await scan.runReported(
                label, state: state, expected: count, budgets: scanConfiguration.budgets, destination: destination, settings: settings, logger: logger,
                partial: { job.partialReport(table: backend.table, state: state, error: $0, externalStats: backend.stats) }
            ) { progress in
                try await job.run(table: backend.table, state: state, logger: logger, progress: progress,
                                  externalStats: { backend.stats })
            }
        }
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
