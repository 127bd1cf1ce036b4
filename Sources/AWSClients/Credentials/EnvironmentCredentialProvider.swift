import AWSSigning
import Logging

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional `AWS_SESSION_TOKEN`, from an
/// environment read once at the edge of the program.
///
/// ```swift
/// let provider = EnvironmentCredentialProvider(environment: ProcessInfo.processInfo.environment)
/// ```
public struct EnvironmentCredentialProvider: CredentialProvider, CustomStringConvertible {
    static let name = "environment"
    private let result: Result<AWSCredentials, CredentialError>

    public init(environment: [String: String]) {
        let keyId = environment.nonEmpty("AWS_ACCESS_KEY_ID")
        let secret = environment.nonEmpty("AWS_SECRET_ACCESS_KEY")
        switch (keyId, secret) {
        case let (keyId?, secret?):
            result = .success(AWSCredentials(accessKeyId: keyId, secretAccessKey: secret,
                                             sessionToken: environment.nonEmpty("AWS_SESSION_TOKEN")))
        case (nil, nil):
            result = .failure(.notConfigured(Self.name, "AWS_ACCESS_KEY_ID not set"))
        case (_?, nil):
            result = .failure(.invalid(Self.name, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"))
        case (nil, _?):
            result = .failure(.invalid(Self.name, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"))
        }
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        try result.get()
    }

    public var description: String {
        switch result {
        case .success(let credentials): return "environment credentials (\(credentials.accessKeyId))"
        case .failure(let error): return error.description
        }
    }
}
