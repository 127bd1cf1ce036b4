import Foundation
import JobExecution
import Logging

extension JobRequest {
    /// The command line's way: settings from the global options, the job run with stops on
    /// SIGINT/SIGTERM, its metrics written as asked, its summary printed, its exit code thrown (``JobExit``).
    func runFromCommandLine(_ global: GlobalOptions, metrics: MetricsSettings = .init()) async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        try InvalidSetting.asUsageError { try metrics.validate() }
        let outcome: JobOutcome
        do {
            outcome = try await execute(JobContext(settings: settings, logger: Logger(label: "uservault.\(name)")))
        } catch {
            try? metrics.write(nil, job: name, table: settings.tableName)  // the job's own error is the one to tell
            throw error
        }
        try metrics.write(outcome, job: name, table: settings.tableName)
        try outcome.conclude(checkpoint: checkpoint)
    }

    /// The run state's file, for the line that says how to resume.
    var checkpoint: String? { scan?.checkpoint }
}

extension JobOutcome {
    /// Prints the summary (not for a run that failed) and throws the exit code, if not 0.
    func conclude(checkpoint: String?) throws {
        if case .report(let outcome) = self, let failure = outcome.failure { throw JobExit.failure(failure) }
        for line in summary { print(line) }
        guard exitCode != 0 else { return }
        throw JobExit(code: exitCode, message: exitMessage(checkpoint: checkpoint))
    }
}
