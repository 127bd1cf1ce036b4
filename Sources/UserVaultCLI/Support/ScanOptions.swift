import ArgumentParser
import Foundation
import Jobs
import Logging

/// The scan options every job takes (SPEC §4).
struct ScanOptions: ParsableArguments {
    @Option(help: "Parallel scan segments, 1–1,000,000 (default: from the table's size).")
    var segments: Int?

    @Option(help: "Segments in flight at once.")
    var concurrency: Int = 8

    @Option(help: ArgumentHelp("Scan only this worker's share of the segments (0-based I of M).", valueName: "I/M"))
    var worker: String?

    @Option(name: .customLong("max-read-units"), help: "Read capacity units per second at most (DynamoDB).")
    var maxReadUnits: Double?

    @Option(help: ArgumentHelp("Record progress here, page by page, to resume a killed run.", valueName: "path"))
    var checkpoint: String?

    @Flag(help: "Continue the interrupted run recorded in --checkpoint.")
    var resume = false

    @Option(help: "auto: a live progress line on a terminal, periodic log lines otherwise; always: the live line anywhere; never: neither.")
    var progress: ProgressMode = .auto

    func validate() throws {
        if let segments, !(1...1_000_000).contains(segments) { throw ValidationError("--segments must be 1–1,000,000") }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be 1–1024") }
        if let worker, WorkerShare(parsing: worker) == nil { throw ValidationError("--worker must be I/M with 0 <= I < M") }
        if let maxReadUnits, maxReadUnits <= 0 { throw ValidationError("--max-read-units must be positive") }
        if resume && checkpoint == nil { throw ValidationError("--resume needs --checkpoint PATH") }
    }

    var workerShare: WorkerShare { worker.flatMap(WorkerShare.init(parsing:)) ?? .whole }

    /// `--segments`, or about one segment per 50,000 items (at least one per worker), at most 1,000.
    func totalSegments(itemCount: Int?) -> Int {
        if let segments { return segments }
        let derived = ((itemCount ?? 0) + 49_999) / 50_000
        return min(1000, max(derived, workerShare.count, 1))
    }
}

extension ScanOptions {
    /// The run state of `--checkpoint` / `--resume` (a temporary one without); its errors are
    /// one line, exit 2.
    func runState(_ fingerprint: RunState.Fingerprint) throws -> RunState {
        do {
            return try RunState(path: checkpoint, fingerprint: fingerprint, resume: resume)
        } catch let error as RunStateError {
            throw CLIExit.failure(error.description)
        }
    }

    /// Runs a scan job with the `--progress` reporter, stopping it cleanly on SIGINT/SIGTERM.
    func withProgress<T: Sendable>(
        expected: Int?, budgets: JobBudgets? = nil, logger: Logger,
        _ body: @escaping @Sendable (@escaping @Sendable (ScanEngine.Progress) -> Void) async throws -> T
    ) async throws -> T {
        let reporter = ProgressReporter(mode: progress, expected: expected, budgets: budgets, logger: logger)
        defer { reporter.finish() }
        return try await SignalWaiter.untilSignal(logger: logger) { try await body { reporter.report($0) } }
    }

    /// Runs a job that ends in a report (audit, rotate-keys, backfill), the same way for each:
    /// with progress and signals (``withProgress(expected:logger:_:)``); on failure or a signal, the
    /// partial report is written and published and the error says where; otherwise the report is
    /// written and published (``ReportDestination/deliver(_:extras:settings:logger:)``). The run
    /// state is dropped once the run is complete, or when it was only temporary.
    ///
    /// - Parameters:
    ///   - label: the job, for the error line (`audit failed: ...`).
    ///   - extras: more files for the report folder, given whether the run completed.
    ///   - partial: the report of what was committed before `error`.
    func runReported(
        _ label: String, state: RunState, expected: Int?, budgets: JobBudgets, destination: ReportDestination, settings: Settings,
        logger: Logger,
        extras: (_ complete: Bool) -> [String: Data] = { _ in [:] },
        partial: (_ error: String) -> JobReport?,
        _ body: @escaping @Sendable (@escaping @Sendable (ScanEngine.Progress) -> Void) async throws -> JobReport
    ) async throws -> (report: JobReport, location: String) {
        // From here on, every log line of the job names its run.
        try await JobLogContext.with(["runId": "\(state.runId)"]) {
            try await runReported(label, state: state, expected: expected, budgets: budgets, destination: destination,
                                  settings: settings, logger: logger, extras: extras, partial: partial, inContext: body)
        }
    }

    private func runReported(
        _ label: String, state: RunState, expected: Int?, budgets: JobBudgets, destination: ReportDestination, settings: Settings,
        logger: Logger, extras: (_ complete: Bool) -> [String: Data], partial: (_ error: String) -> JobReport?,
        inContext body: @escaping @Sendable (@escaping @Sendable (ScanEngine.Progress) -> Void) async throws -> JobReport
    ) async throws -> (report: JobReport, location: String) {
        let report: JobReport
        do {
            report = try await withProgress(expected: expected, budgets: budgets, logger: logger, body)
        } catch {
            let line = error is CancellationError ? "stopped by a signal" : UserVaultCLI.oneLine(error)
            var location: String?
            if let partial = partial(line) {
                location = try? await destination.deliver(partial, extras: extras(false), settings: settings, logger: logger)
            }
            if state.isTemporary { state.discard() }
            throw CLIExit.failure("\(label) failed: \(line)" + (location.map { " (partial report: \($0)/report.json)" } ?? ""))
        }
        let location = try await destination.deliver(report, extras: extras(report.complete), settings: settings, logger: logger)
        if report.complete || state.isTemporary { state.discard() }
        return (report, location)
    }
}
