import Foundation
import Logging
import UserVaultCore

/// The engine of `rotate-keys` and `backfill`: a segmented scan (checkpoints, budgets, workers)
/// that hands each page of users to a ``RepairPlanner``, commits the page's actions with the
/// segment's position, and reports them in the audit's report format (`actions[]`).
///
/// When the scan is complete, the planner may finish what needs every page done first
/// (``RepairPlanner/finish(table:state:apply:runId:logger:)``). A dry run (the default) only
/// plans: it changes nothing and creates no key. A page done twice
/// after a kill replaces its own action records (keyed by user and action), and the planner's
/// conditional writes make the second pass a no-op.
public struct RepairJob: Sendable {
    public struct Configuration: Sendable {
        public var scan: ScanEngine.Configuration
        public var apply: Bool

        public init(scan: ScanEngine.Configuration, apply: Bool) {
            var scan = scan
            scan.usersOnly = true
            self.scan = scan
            self.apply = apply
        }
    }

    public let configuration: Configuration
    public let planner: any RepairPlanner

    public init(configuration: Configuration, planner: any RepairPlanner) {
        self.configuration = configuration
        self.planner = planner
    }

    static let kind = "action"

    /// What changes the results: the planner's parameters and `apply` (not the budgets).
    var resultParameters: [String: String] {
        planner.parameters.merging(["apply": String(configuration.apply)]) { $1 }
    }

    /// For the report: ``resultParameters`` and the budgets in force.
    var parameters: [String: String] {
        resultParameters.merging(configuration.scan.budgets.parameters) { $1 }
    }

    public func fingerprint(table: any UserTable) -> RunState.Fingerprint {
        .init(job: planner.job, backend: table.backendName, table: table.tableName,
              totalSegments: configuration.scan.totalSegments, worker: configuration.scan.worker, parameters: resultParameters)
    }

    public func run(table: any UserTable, state: RunState, logger: Logger,
                    progress: @escaping @Sendable (ScanEngine.Progress) -> Void = { _ in },
                    externalStats: @escaping @Sendable () -> JobReport.Stats = { JobReport.Stats() }) async throws -> JobReport {
        let clock = ContinuousClock.now
        let planner = self.planner
        let apply = configuration.apply
        let runId = state.runId
        let outcome = try await ScanEngine(configuration: configuration.scan)
            .run(table: table, state: state, logger: logger, progress: progress) { _, items in
                let users = items.filter(\.isUser)
                var page = RunState.PageRecords()
                for action in try await planner.repair(users, apply: apply, runId: runId) {
                    page.add(kind: Self.kind, key: "\(action.userId)|\(action.action)", value: try JSONEncoder.sorted.encode(action))
                }
                page.count(.users, by: users.count)
                return page
            }
        var complete = outcome.complete
        if complete {
            complete = try await planner.finish(table: table, state: state, apply: apply, runId: runId, logger: logger)
        }
        var stats = externalStats()
        stats.durationSeconds = (ContinuousClock.now - clock).inSeconds
        return try report(state: state, table: table, complete: complete, parameters: parameters,
                          finished: outcome.segmentsFinished, assigned: outcome.segmentsAssigned, stats: stats)
    }

    /// What was committed before a failure, `complete: false`, the failure in `parameters.error`.
    public func partialReport(table: any UserTable, state: RunState, error: String,
                              externalStats: JobReport.Stats = JobReport.Stats()) -> JobReport? {
        var parameters = self.parameters
        parameters["error"] = error
        let assigned = Array(configuration.scan.worker.segments(of: configuration.scan.totalSegments)).count
        return try? report(state: state, table: table, complete: false, parameters: parameters,
                           finished: (try? state.finishedSegments()) ?? 0, assigned: assigned, stats: externalStats)
    }

    func report(state: RunState, table: any UserTable, complete: Bool, parameters: [String: String],
                finished: Int, assigned: Int, stats: JobReport.Stats) throws -> JobReport {
        let actions = try state.records(kind: Self.kind).map { try JSONDecoder().decode(RepairAction.self, from: $0.value) }
            .sorted { ($0.userId, $0.action) < ($1.userId, $1.action) }
        return JobReport(
            job: planner.job, runId: state.runId, startedAt: JobReport.timestamp(state.startedAt), backend: table.backendName,
            table: table.tableName, complete: complete, parameters: parameters,
            segments: .init(total: configuration.scan.totalSegments, worker: configuration.scan.worker.description,
                            assigned: assigned, finished: finished),
            counters: try state.counters(), summary: actions.reduce(into: [:]) { $0[$1.summaryKey, default: 0] += 1 }, stats: stats,
            actions: actions)
    }
}
