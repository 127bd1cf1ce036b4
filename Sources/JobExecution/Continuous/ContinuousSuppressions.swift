import Foundation
import Jobs
import Logging

/// The suppressions file of the continuous proofs: the one the nightly audit reads
/// (`--suppressions`, else `USERVAULT_SUPPRESSIONS`; a path or `s3://bucket/key`), with the same
/// checks (``ReviewSettings/suppressionsFile(_:today:)``), made the acceptance each re-proof
/// applies (``FindingAcceptance``). Expiry is judged by `USERVAULT_NOW`, else the clock.
public struct ContinuousSuppressions: Sendable {
    /// `--suppressions`; `nil`: `USERVAULT_SUPPRESSIONS`, else none.
    var file: String?
    var settings: Settings

    public init(file: String?, settings: Settings) {
        self.file = file
        self.settings = settings
    }

    /// Reads and checks the file now, saying on stderr which of its rules ended or end soon.
    /// - Returns: `nil` when no file is named.
    /// - Throws: ``JobExit`` (exit 2, one line) for a file that cannot be read or is not valid.
    public func read(logger: Logger) async throws -> FindingAcceptance? {
        let today = CalendarDay(settings.now())
        let context = JobContext(settings: settings, logger: logger)
        guard let suppressions = try await ReviewSettings(suppressions: file).suppressionsFile(context, today: today) else {
            return nil
        }
        for line in suppressions.warnings(for: settings.tableName, today: today) { logger.warning("\(line)") }
        let settings = self.settings
        return FindingAcceptance(suppressions: suppressions, table: settings.tableName, now: { settings.now() })
    }
}
