import AWSClients
import Foundation
import Jobs
import Logging

extension FindingsTarget {
    /// The Security Hub publisher of the continuous proofs (the handlers, `watch`) for `body`'s
    /// duration, on the account of the credentials (STS) and the configured region; `nil` when
    /// findings are not published there.
    public func withContinuousPublisher<Result: Sendable>(
        settings: Settings, logger: Logger, _ body: (SecurityHubPublisher?) async throws -> Result
    ) async throws -> Result {
        guard self == .securityhub else { return try await body(nil) }
        try check(settings)
        return try await Self.withPublisher(table: settings.tableName, settings: settings, logger: logger) { try await body($0) }
    }
}
