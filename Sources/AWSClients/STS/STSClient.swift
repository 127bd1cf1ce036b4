import AWSSigning
import Foundation

/// AWS STS over its Query protocol (`POST /`, form-encoded, XML answers).
///
/// ```swift
/// let sts = STSClient(factory.client(for: .sts))
/// let identity = try await sts.getCallerIdentity()
/// let session = try await sts.assumeRole(roleArn: "arn:aws:iam::123456789012:role/auditor",
///                                        sessionName: "nightly-audit")
/// ```
///
/// - Warning: the returned credentials hold a secret key and a session token; their
///   description is redacted, their fields are not. The web identity token is a secret too:
///   it is never logged nor put in an error.
public struct STSClient: Sendable {
    public let client: AWSServiceClient
    static let version = "2011-06-15"

    public init(_ client: AWSServiceClient) {
        self.client = client
    }

    /// [GetCallerIdentity](https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html):
    /// the account, ARN and user id of the credentials that sign the call.
    public func getCallerIdentity() async throws -> STS.CallerIdentity {
        let action = "GetCallerIdentity"
        let root = try await client.queryCall(action, version: Self.version, parameters: [])
        guard let account = root.value("GetCallerIdentityResult", "Account"),
              let arn = root.value("GetCallerIdentityResult", "Arn") else {
            throw invalid(action, root)
        }
        return STS.CallerIdentity(account: account, arn: arn, userId: root.value("GetCallerIdentityResult", "UserId"))
    }

    /// [AssumeRole](https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html):
    /// temporary credentials (with their expiration) for `roleArn`, signed with this client's
    /// credentials.
    ///
    /// - Parameters:
    ///   - durationSeconds: 900 up to the role's maximum session duration; STS's default (3600) when `nil`.
    ///   - externalId: the `sts:ExternalId` the role's trust policy may require.
    public func assumeRole(roleArn: String, sessionName: String, durationSeconds: Int? = nil,
                           externalId: String? = nil) async throws -> AWSCredentials {
        var parameters = [(name: "RoleArn", value: roleArn), (name: "RoleSessionName", value: sessionName)]
        if let durationSeconds { parameters.append((name: "DurationSeconds", value: String(durationSeconds))) }
        if let externalId { parameters.append((name: "ExternalId", value: externalId)) }
        let root = try await client.queryCall("AssumeRole", version: Self.version, parameters: parameters)
        return try credentials(in: root, result: "AssumeRoleResult", action: "AssumeRole")
    }

    /// [AssumeRoleWithWebIdentity](https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html):
    /// temporary credentials for `roleArn` in exchange for an OIDC token (EKS service accounts,
    /// GitHub Actions). The request is **unsigned**: this client's credentials are not used.
    public func assumeRoleWithWebIdentity(roleArn: String, sessionName: String, webIdentityToken: String,
                                          durationSeconds: Int? = nil) async throws -> AWSCredentials {
        var parameters = [(name: "RoleArn", value: roleArn), (name: "RoleSessionName", value: sessionName),
                          (name: "WebIdentityToken", value: webIdentityToken)]
        if let durationSeconds { parameters.append((name: "DurationSeconds", value: String(durationSeconds))) }
        let root = try await client.queryCall("AssumeRoleWithWebIdentity", version: Self.version,
                                              parameters: parameters, signed: false)
        return try credentials(in: root, result: "AssumeRoleWithWebIdentityResult", action: "AssumeRoleWithWebIdentity")
    }

    private func credentials(in root: XMLElementTree, result: String, action: String) throws -> AWSCredentials {
        guard let keyId = root.value(result, "Credentials", "AccessKeyId"),
              let secret = root.value(result, "Credentials", "SecretAccessKey"),
              let token = root.value(result, "Credentials", "SessionToken"),
              let expirationText = root.value(result, "Credentials", "Expiration"),
              let expiration = ISO8601.date(expirationText) else {
            throw invalid(action, root)
        }
        return AWSCredentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }

    private func invalid(_ action: String, _ root: XMLElementTree) -> AWSError {
        .invalidResponse(client.service.name, action, "the response lacks the expected elements",
                         statusCode: 200, requestId: root.value("ResponseMetadata", "RequestId"))
    }
}

/// STS answers.
public enum STS {
    /// [GetCallerIdentity](https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)'s answer.
    public struct CallerIdentity: Sendable, Hashable {
        /// The 12-digit account id.
        public var account: String
        public var arn: String
        public var userId: String?

        public init(account: String, arn: String, userId: String?) {
            self.account = account
            self.arn = arn
            self.userId = userId
        }
    }
}
