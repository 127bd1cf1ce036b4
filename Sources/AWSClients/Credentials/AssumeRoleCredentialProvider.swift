import AWSSigning
import Foundation
import Logging

/// Temporary credentials for a role, through STS
/// [AssumeRole](https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html)
/// signed with the credentials of a source provider (a profile's `source_profile` or
/// `credential_source`). Chains of roles are chains of these providers.
///
/// ```swift
/// let role = AssumeRoleCredentialProvider(
///     roleArn: "arn:aws:iam::123456789012:role/auditor", sessionName: "audit",
///     source: EnvironmentCredentialProvider(environment: environment), context: context)
/// ```
public struct AssumeRoleCredentialProvider: CredentialProvider, CustomStringConvertible {
    public let roleArn: String
    public let sessionName: String?
    public let durationSeconds: Int?
    public let externalId: String?
    public let source: any CredentialProvider
    let context: CredentialProviderContext
    let name: String

    public init(roleArn: String, sessionName: String? = nil, durationSeconds: Int? = nil, externalId: String? = nil,
                source: any CredentialProvider, context: CredentialProviderContext, name: String = "assume role") {
        self.roleArn = roleArn
        self.sessionName = sessionName
        self.durationSeconds = durationSeconds
        self.externalId = externalId
        self.source = source
        self.context = context
        self.name = name
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        let sourceCredentials: AWSCredentials
        do {
            sourceCredentials = try await source.credentials(logger: logger)
        } catch let error as CredentialError {
            // A source that is "not configured" is a broken role configuration.
            throw CredentialError.invalid(name, "no source credentials for \(roleArn)", underlying: error)
        }
        let sts = context.stsClient(credentials: StaticCredentialProvider(sourceCredentials), logger: logger)
        do {
            return try await sts.assumeRole(roleArn: roleArn, sessionName: sessionName ?? context.defaultSessionName(),
                                            durationSeconds: durationSeconds, externalId: externalId)
        } catch let error as AWSError {
            throw CredentialError.invalid(name, "AssumeRole for \(roleArn) failed", underlying: error)
        }
    }

    public var description: String { "\(name) (\(roleArn))" }
}
