import AWSSigning
import Foundation
import Logging

/// Where credentials come from.
///
/// Providers are usually described with ``CredentialProviders`` (`.chain([...])`,
/// `.environment(env)`, `.profile(...)`, …) and built once per process by
/// ``AWSClientFactory``, which wraps them in an ``ExpiringCredentialProvider`` so that every
/// service client shares one cache.
///
/// ```swift
/// let provider = StaticCredentialProvider(AWSCredentials(accessKeyId: "AKID", secretAccessKey: secret))
/// let credentials = try await provider.credentials(logger: logger)
/// ```
public protocol CredentialProvider: Sendable {
    /// Current credentials.
    /// - Throws: ``CredentialError``; when ``CredentialError/isNotConfigured`` is `true` this
    ///   provider simply has nothing to offer and a chain tries the next one.
    func credentials(logger: Logger) async throws -> AWSCredentials
}

/// Fixed credentials, e.g. from flags or tests.
public struct StaticCredentialProvider: CredentialProvider, CustomStringConvertible {
    let value: AWSCredentials

    public init(_ credentials: AWSCredentials) {
        value = credentials
    }

    public func credentials(logger: Logger) async throws -> AWSCredentials { value }

    /// The access key id only.
    public var description: String { "static credentials (\(value.accessKeyId))" }
}

/// A provider for clients that only send unsigned requests (STS `AssumeRoleWithWebIdentity`).
struct NoCredentialProvider: CredentialProvider {
    func credentials(logger: Logger) async throws -> AWSCredentials {
        throw CredentialError.invalid("unsigned client", "this client sends unsigned requests only")
    }
}
