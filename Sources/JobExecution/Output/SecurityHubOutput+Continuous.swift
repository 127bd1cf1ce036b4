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
        let configuration = try Backend.awsConfiguration(settings)
        return try await HTTP1Transport.withTransport(configuration: configuration.transport) { transport in
            let factory = AWSClientFactory(configuration: configuration, transport: transport, logger: logger)
            let account = try await factory.sts().getCallerIdentity().account
            let scope = SecurityHubFindings.Scope(account: account, region: configuration.region, table: settings.tableName)
            let hub = SecurityHubFindingsHub(client: SecurityHubClient(factory.client(for: .securityHub)))
            let retry = configuration.retry
            return try await body(SecurityHubPublisher(hub: hub, scope: scope, backoff: { retry.backoff(retry: $0) }))
        }
    }
}
