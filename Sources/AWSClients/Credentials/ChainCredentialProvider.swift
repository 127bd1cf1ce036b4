import AWSSigning
import Logging
import Synchronization

/// The first provider that has credentials, as the AWS SDKs' default chain.
///
/// A provider that is not configured (``CredentialError/isNotConfigured``) is skipped; one
/// that is configured but broken stops the chain with its error; when none has credentials the
/// chain throws one ``CredentialError`` that lists what was tried, on one line. The provider
/// that answered is remembered and asked directly afterwards.
///
/// ```swift
/// let chain = ChainCredentialProvider([
///     EnvironmentCredentialProvider(environment: environment),
///     InstanceMetadataCredentialProvider(environment: environment, transport: transport),
/// ])
/// ```
public final class ChainCredentialProvider: CredentialProvider {
    public let providers: [any CredentialProvider]
    private let selected = Mutex<Int?>(nil)

    public init(_ providers: [any CredentialProvider]) {
        self.providers = providers
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials {
        if let index = selected.withLock({ $0 }) {
            return try await providers[index].credentials(logger: logger)
        }
        var reasons: [CredentialError] = []
        for (index, provider) in providers.enumerated() {
            do {
                let credentials = try await provider.credentials(logger: logger)
                selected.withLock { $0 = index }
                logger.debug("credentials found", metadata: [
                    "provider": "\(type(of: provider))", "accessKeyId": "\(credentials.accessKeyId)",
                ])
                return credentials
            } catch let error as CredentialError where error.isNotConfigured {
                logger.trace("credential provider skipped", metadata: ["reason": "\(error.description)"])
                reasons.append(error)
            }
        }
        throw CredentialError.noneFound(reasons)
    }
}
