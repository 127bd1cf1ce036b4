import Foundation
import Jobs
import Logging
import UserVaultCore

/// The lifecycle every scanning job shares, whoever started it: progress, the stops (signals, a
/// deadline), the partial report when the run stops early, delivery of the report (a folder or
/// S3), and the run state's clean-up.
struct ScanJobRunner {
    var label: String
    var state: RunState
    /// The table's item count, for the progress line's ETA.
    var expected: Int?
    var budgets: JobBudgets
    var progress: ProgressMode
    var context: JobContext

    /// The report a job's run ended with, where it went, and why it stopped early (`nil`: it did not).
    struct Delivered {
        var report: JobReport
        var location: String
        var failure: String?
    }

    /// Runs `body` with the progress reporter and the stops. On
    /// failure or a stop, the partial report is delivered and the failure says where; otherwise
    /// the report is. Either is reviewed first (`review`). The run state is dropped once the run
    /// is complete, or when it was only temporary.
    ///
    /// - Parameters:
    ///   - extras: more files for the report folder, given whether the run completed.
    ///   - review: the report as delivered, from the report as the job made it (an audit's:
    ///     suppressions applied, the delta computed: ``ReportReview``).
    ///   - partial: the report of what was committed before `error`.
    /// - Throws: ``JobExit`` when the run failed and there is no partial report to deliver.
    func run(
        to destination: ReportDestination,
        extras: (_ complete: Bool) -> [String: Data] = { _ in [:] },
        review: (JobReport) -> JobReport = { $0 },
        partial: (_ error: String) -> JobReport?,
        _ body: @escaping @Sendable (@escaping @Sendable (ScanEngine.Progress) -> Void) async throws -> JobReport
    ) async throws -> Delivered {
        let (settings, logger) = (context.settings, context.logger)
        var report: JobReport
        do {
            report = try await withProgressAndStops(body)
        } catch {
            let line = !(error is CancellationError) ? ErrorLine.of(error)
                : context.deadline != nil ? "stopped before the invocation's deadline" : "stopped by a signal"
            var delivered: Delivered?
            if let partial = partial(line).map(review),
               let location = try? await destination.deliver(partial, extras: extras(false), settings: settings, logger: logger) {
                delivered = Delivered(report: partial, location: location,
                                      failure: "\(label) failed: \(line) (partial report: \(location)/report.json)")
            }
            if state.isTemporary { state.discard() }
            guard let delivered else { throw JobExit.failure("\(label) failed: \(line)") }
            return delivered
        }
        report = review(report)
        let location = try await destination.deliver(report, extras: extras(report.complete), settings: settings, logger: logger)
        if report.complete || state.isTemporary { state.discard() }
        return Delivered(report: report, location: location, failure: nil)
    }

    /// Runs `body` with the `--progress` reporter; SIGINT/SIGTERM (on the command line) and the
    /// deadline (on Lambda) cancel it, and the scan then stops between pages.
    func withProgressAndStops<T: Sendable>(
        _ body: @escaping @Sendable (@escaping @Sendable (ScanEngine.Progress) -> Void) async throws -> T
    ) async throws -> T {
        let reporter = ProgressReporter(mode: progress, expected: expected, budgets: budgets, logger: context.logger)
        defer { reporter.finish() }
        let job: @Sendable () async throws -> T = { try await body { reporter.report($0) } }
        let (logger, deadline) = (context.logger, context.deadline)
        let stoppable: @Sendable () async throws -> T
        if let deadline {
            stoppable = { try await Self.until(deadline, logger: logger, job) }
        } else {
            stoppable = job
        }
        return context.stopsOnSignals ? try await SignalWaiter.untilSignal(logger: logger, stoppable) : try await stoppable()
    }

    /// Runs `body`, cancelled at `deadline`; waits for what it returns or throws once cancelled.
    static func until<T: Sendable>(_ deadline: ContinuousClock.Instant, logger: Logger,
                                   _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await cancelling(body) {
            try? await Task.sleep(until: deadline, clock: .continuous)
            if !Task.isCancelled { logger.notice("the deadline is near: stopping after the pages in flight") }
        }
    }
}

extension ScanSettings {
    /// The id the run will have: a resumed run's own, else a new one. Known before anything is
    /// opened, so that every log line of the job names its run (``JobLogContext``).
    func plannedRunId() -> String {
        (resume ? checkpoint.flatMap(RunState.storedRunId(at:)) : nil) ?? UUID().uuidString.lowercased()
    }

    /// Runs `body` with every log line naming the run `runId`.
    func naming<T>(_ runId: String, _ body: () async throws -> T) async throws -> T {
        try await JobLogContext.with(["runId": "\(runId)"], body)
    }

    /// The run state of `--checkpoint` / `--resume` (a temporary one without); its errors are
    /// one line, exit 2.
    func runState(_ fingerprint: RunState.Fingerprint, runId: String) throws -> RunState {
        do {
            return try RunState(path: checkpoint, fingerprint: fingerprint, resume: resume, proposedRunId: runId)
        } catch let error as RunStateError {
            throw JobExit.failure(error.description)
        }
    }

    /// The scan engine's configuration for a table of `itemCount` items.
    func configuration(itemCount: Int?, pageSize: Int, projection: ScanProjection) -> ScanEngine.Configuration {
        ScanEngine.Configuration(totalSegments: totalSegments(itemCount: itemCount), concurrency: concurrency, worker: worker,
                                 pageSize: pageSize, projection: projection)
    }

    /// The budgets of this process on `backend`: a share of the account's KMS quotas (on AWS),
    /// and reads capped at `--max-read-units`, else at half a provisioned table's capacity, each
    /// split over the workers. An on-demand table, or the embedded store, is not capped.
    func budgets(_ kms: KMSBudgetSettings?, backend: Backend, logger: Logger) async -> JobBudgets {
        var provisioned: Double?
        if maxReadUnits == nil {
            do {
                provisioned = try await backend.table.provisionedReadCapacity()
            } catch {
                logger.debug("could not read the table's provisioned capacity: reads are not capped",
                             metadata: ["error": "\(UserService.safeDescription(error))"])
            }
        }
        return JobBudgets(kmsShare: kms?.share ?? 0.5, workers: worker.count,
                          quotas: backend.keys.backendName == "aws" && kms != nil ? .awsDefaults : nil,
                          overrides: kms?.overrides ?? [:], provisionedReadUnits: provisioned, maxReadUnits: maxReadUnits)
    }
}
