import Foundation
import Jobs
import Logging
import Synchronization
import UserVaultCore

/// Shows scan progress: a live line on a terminal, or a structured log line at the first page and
/// every 5 s after.
final class ProgressReporter: Sendable {
    private struct State {
        var lastDraw = ContinuousClock.now
        /// `nil` until the first line: the first page is logged at once, then every 5 s.
        var lastLog: ContinuousClock.Instant?
    }

    private let live: Bool
    private let enabled: Bool
    private let expected: Int?
    private let start = ContinuousClock.now
    private let state = Mutex(State())
    private let logger: Logger
    private let budgets: JobBudgets?

    /// - Parameters:
    ///   - expected: the table's item count, for the ETA.
    ///   - budgets: the budgets in force, said once on the first line and in every log line.
    init(mode: ProgressMode, expected: Int?, budgets: JobBudgets? = nil, logger: Logger) {
        self.budgets = budgets
        let terminal = isatty(STDERR_FILENO) == 1
        live = mode == .always || (mode == .auto && terminal)
        enabled = mode != .never
        self.expected = expected
        self.logger = logger
    }

    func report(_ progress: ScanEngine.Progress) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let elapsed = max(0.001, (now - start).inSeconds)
        let rate = Double(progress.items) / elapsed
        var eta = ""
        if let expected, expected > progress.items, rate > 0 {
            eta = String(format: ", ETA %.0f s", Double(expected - progress.items) / rate)
        }
        let line = String(format: "%d items, %.0f items/s, %d/%d segments%@", progress.items, rate,
                          progress.segmentsFinished, progress.segmentsAssigned, eta)
            + (budgets.map { " — budgets: \($0.summary)" } ?? "")
        let action: Int = state.withLock { state in
            if live, (now - state.lastDraw).inSeconds >= 0.2 || progress.segmentsFinished == progress.segmentsAssigned {
                state.lastDraw = now
                return 1
            }
            if !live, state.lastLog.map({ (now - $0).inSeconds >= 5 }) ?? true {
                state.lastLog = now
                return 2
            }
            return 0
        }
        switch action {
        case 1: FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        case 2:
            var metadata: Logger.Metadata = ["items": "\(progress.items)", "itemsPerSecond": "\(Int(rate))",
                                             "segments": "\(progress.segmentsFinished)/\(progress.segmentsAssigned)"]
            if let budgets {
                metadata["kmsBudget"] = "\(budgets.kms.description)"
                metadata["readBudget"] = "\(budgets.parameters["readBudget"] ?? "none")"
            }
            logger.info("progress", metadata: metadata)
        default: break
        }
    }

    /// Ends the live line.
    func finish() {
        if live && enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
