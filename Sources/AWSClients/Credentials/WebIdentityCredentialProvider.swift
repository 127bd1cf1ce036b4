import AWSSigning
import Foundation
import Logging

/// Credentials for a role in exchange for an OIDC token read from a file (EKS IRSA, GitHub
/// Actions), through STS
/// [AssumeRoleWithWebIdentity](https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html)
/// (unsigned). The token file is read again at every refresh, since it rotates.
///
/// From the environment: `AWS_ROLE_ARN`, `AWS_WEB_IDENTITY_TOKEN_FILE` and optionally
/// `AWS_ROLE_SESSION_NAME`; from a profile: `role_arn`, `web_identity_token_file`,
/// `role_session_name`.
///
/// - Warning: the token is a secret: it never reaches a log or an error.
public struct WebIdentityCredentialProvider: CredentialProvider, CustomStringConvertible {
    let name: String
    let configuration: Result<(roleArn: String, tokenFile: String, sessionName: String?), CredentialError>
    let context: CredentialProviderContext

    /// Explicit parameters (from a profile).
    public init(roleArn: String, tokenFile: String, sessionName: String?, context: CredentialProviderContext,
                name: String = "web identity") {
        self.name = name
        self.configuration = .success((roleArn, tokenFile, sessionName))
        self.context = context
    }

    /// From `AWS_ROLE_ARN`, `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_SESSION_NAME`.
    public init(environment: [String: String], context: CredentialProviderContext) {
        name = "web identity"
        self.context = context
        switch (environment.nonEmpty("AWS_ROLE_ARN"), environment.nonEmpty("AWS_WEB_IDENTITY_TOKEN_FILE")) {
        case let (roleArn?, tokenFile?):
            configuration = .success((roleArn, tokenFile, environment.nonEmpty("AWS_ROLE_SESSION_NAME")))
        case (nil, _):
            configuration = .failure(.notConfigured(name, "AWS_ROLE_ARN not set"))
        case (_?, nil):
            configuration = .failure(.notConfigured(name, "AWS_WEB_IDENTITY_TOKEN_FILE not set"))
        }
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        let (roleArn, tokenFile, sessionName) = try configuration.get()
        let token: String
        do {
            token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw CredentialError.invalid(name, "cannot read the web identity token file \(tokenFile)")
        }
        guard !token.isEmpty else {
            throw CredentialError.invalid(name, "the web identity token file \(tokenFile) is empty")
        }
        let sts = context.stsClient(credentials: nil, logger: logger)
        do {
            return try await sts.assumeRoleWithWebIdentity(roleArn: roleArn,
                                                          sessionName: sessionName ?? context.defaultSessionName(),
                                                          webIdentityToken: token)
        } catch let error as AWSError {
            throw CredentialError.invalid(name, "AssumeRoleWithWebIdentity for \(roleArn) failed", underlying: error)
        }
    }

    public var description: String {
        switch configuration {
        case .success(let value): return "\(name) (\(value.roleArn))"
        case .failure(let error): return error.description
        }
    }
}
