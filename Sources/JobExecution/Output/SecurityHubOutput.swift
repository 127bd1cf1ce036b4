import AWSClients
import Foundation
import Jobs
import Logging

/// `--publish-findings`: where an audit's findings go besides its report folder.
public enum FindingsTarget: String, SettingChoice, Sendable {
    /// The report folder only.
    case none
    /// Also AWS Security Hub (BatchImportFindings into the account's default product; BatchUpdateFindings
    /// for the workflow of accepted findings).
    case securityhub

    public init?(choice text: String) {
        self.init(rawValue: text.lowercased())
    }

    /// Security Hub holds AWS findings: the embedded store's are a usage error.
    func check(_ settings: Settings) throws {
        if self == .securityhub, settings.backend == .local {
            throw JobExit.usage("--publish-findings securityhub needs --backend aws: Security Hub takes findings about AWS resources")
        }
    }

    /// Publishes `report`'s findings, once its report folder is written (the report is never lost
    /// to publishing), then writes the report again with its `published` section.
    /// - Returns: the report as last written, and the one line to fail with when publishing did not
    ///   send everything (`nil`: it did, or there was nothing to publish to).
    func publish(_ report: JobReport, to destination: ReportDestination, settings: Settings,
                 logger: Logger) async -> (report: JobReport, failure: String?) {
        guard self == .securityhub else { return (report, nil) }
        var published = report
        do {
            guard report.backend == "aws" else { throw JobExit.usage("the report is not about a DynamoDB table") }
            published.published = try await Self.publishToSecurityHub(report, settings: settings, logger: logger)
        } catch {
            var failed = FindingsPublication(target: rawValue)
            failed.failed = report.findings.count
            failed.error = ErrorLine.of(error)
            failed.archiving = SecurityHubPublisher.mayArchive(report)
            published.published = failed
        }
        let publication = published.published!
        do {
            _ = try await destination.deliver(published, settings: settings, logger: logger)
        } catch {
            logger.error("the report could not be written again with what was published",
                         metadata: ["error": "\(ErrorLine.of(error))"])
        }
        guard !publication.succeeded else { return (published, nil) }
        return (published, "the audit's report is written, but its findings were not all published: " + publication.summary)
    }

    /// Security Hub of the table's account (STS GetCallerIdentity) and the configured region,
    /// through the same retry strategy as every AWS call.
    static func publishToSecurityHub(_ report: JobReport, settings: Settings, logger: Logger) async throws -> FindingsPublication {
        try await withPublisher(table: report.table, settings: settings, logger: logger) { publisher in
            await publisher.publish(report, logger: logger)
        }
    }

    /// A Security Hub publisher for `table`'s findings, on the account of the credentials (STS)
    /// and the configured region, for `body`'s duration: the nightly audit's and the continuous
    /// proofs' alike.
    static func withPublisher<Result: Sendable>(table: String, settings: Settings, logger: Logger,
                                                _ body: (SecurityHubPublisher) async throws -> Result) async throws -> Result {
        let configuration = try Backend.awsConfiguration(settings)
        return try await HTTP1Transport.withTransport(configuration: configuration.transport) { transport in
            let factory = AWSClientFactory(configuration: configuration, transport: transport, logger: logger)
            let account = try await factory.sts().getCallerIdentity().account
            let scope = SecurityHubFindings.Scope(account: account, region: configuration.region, table: table)
            let hub = SecurityHubFindingsHub(client: SecurityHubClient(factory.client(for: .securityHub)))
            let retry = configuration.retry
            return try await body(SecurityHubPublisher(hub: hub, scope: scope, backoff: { retry.backoff(retry: $0) }))
        }
    }
}

/// Security Hub, through its AWS client, as the publisher sees it.
struct SecurityHubFindingsHub: FindingsHub {
    var client: SecurityHubClient

    func activeFindings(in scope: SecurityHubFindings.Scope) async throws -> [ASFFFinding] {
        let filters = SecurityHub.Filters(ProductArn: [.init("EQUALS", scope.productArn)], Id: [.init("PREFIX", scope.idPrefix)],
                                          RecordState: [.init("EQUALS", "ACTIVE")])
        var findings: [ASFFFinding] = []
        for try await page in client.findingsPages(filters: filters, as: ASFFFinding.self) { findings += page }
        return findings
    }

    /// GetFindings filtered by the users' id prefixes, 20 a request (Security Hub's limit per filter).
    func activeFindings(in scope: SecurityHubFindings.Scope, userIds: [String]) async throws -> [ASFFFinding] {
        var findings: [ASFFFinding] = []
        let users = Array(Set(userIds)).sorted()
        for start in stride(from: 0, to: users.count, by: 20) {
            let prefixes = users[start..<min(users.count, start + 20)].map { SecurityHub.StringFilter("PREFIX", scope.idPrefix + $0 + "/") }
            let filters = SecurityHub.Filters(ProductArn: [.init("EQUALS", scope.productArn)], Id: prefixes,
                                              RecordState: [.init("EQUALS", "ACTIVE")])
            for try await page in client.findingsPages(filters: filters, as: ASFFFinding.self) { findings += page }
        }
        // Checked again: an emulator may ignore the filters.
        let wanted = Set(users.map { scope.idPrefix + $0 + "/" })
        return findings.filter { finding in
            guard let cut = finding.Id.lastIndex(of: "/") else { return false }
            return wanted.contains(String(finding.Id[...cut]))
        }
    }

    /// GetFindings filtered by the key as a resource.
    func activeFindings(in scope: SecurityHubFindings.Scope, keyArn: String) async throws -> [ASFFFinding] {
        let filters = SecurityHub.Filters(ProductArn: [.init("EQUALS", scope.productArn)], Id: [.init("PREFIX", scope.idPrefix)],
                                          RecordState: [.init("EQUALS", "ACTIVE")], ResourceId: [.init("EQUALS", keyArn)])
        var findings: [ASFFFinding] = []
        for try await page in client.findingsPages(filters: filters, as: ASFFFinding.self) { findings += page }
        return findings.filter { finding in finding.Resources.contains { $0.Id == keyArn } }
    }

    func importFindings(_ findings: [ASFFFinding]) async throws -> [String: String] {
        let output = try await client.batchImportFindings(findings)
        return Dictionary((output.FailedFindings ?? []).map { ($0.Id, $0.ErrorCode ?? "Unknown") }, uniquingKeysWith: { first, _ in first })
    }

    func updateWorkflow(of ids: [String], in scope: SecurityHubFindings.Scope,
                        to change: SecurityHubFindings.WorkflowChange) async throws -> [String: String] {
        let output = try await client.batchUpdateFindings(SecurityHub.UpdateInput(
            FindingIdentifiers: ids.map { .init(Id: $0, ProductArn: scope.productArn) }, Workflow: .init(Status: change.status),
            Note: .init(Text: change.text, UpdatedBy: change.updatedBy)))
        return Dictionary((output.UnprocessedFindings ?? []).map { ($0.FindingIdentifier.Id, $0.ErrorCode ?? "Unknown") },
                          uniquingKeysWith: { first, _ in first })
    }
}
