import Foundation

/// Everything needed to talk to AWS: region, endpoints, retries, timeouts and where
/// credentials come from. Every parameter has a default; ``resolve(flags:environment:homeDirectory:)``
/// fills it the way the AWS SDKs do.
///
/// ```swift
/// let configuration = try AWSConfiguration.resolve(
///     flags: AWSFlags(region: options.region, profile: options.profile, endpointURL: options.endpointURL),
///     environment: ProcessInfo.processInfo.environment)
/// try await HTTP1Transport.withTransport { transport in
///     let factory = AWSClientFactory(configuration: configuration, transport: transport, logger: logger)
///     let dynamo = DynamoDBClient(factory.client(for: .dynamoDB, counters: counters))
/// }
/// ```
///
/// Its description is safe to log: it names the credential providers, never a key.
public struct AWSConfiguration: Sendable, CustomStringConvertible {
    public var region: String
    /// The selected profile (`--profile`, `AWS_PROFILE`, or `default`).
    public var profile: String
    public var endpoints: AWSEndpoints
    public var retry: RetryStrategy
    /// Per-attempt timeout of service calls.
    public var timeout: Duration
    public var credentials: CredentialProviders
    /// A PEM file of certificates to trust beside the system's, for HTTPS endpoints
    /// (``HTTP1Transport/Configuration/caBundle``).
    public var caBundle: String?

    public init(region: String = "us-east-1", profile: String = "default", endpoints: AWSEndpoints = AWSEndpoints(),
                retry: RetryStrategy = .standard(), timeout: Duration = .seconds(30),
                credentials: CredentialProviders = .defaultChain(environment: [:], files: SharedConfigFiles()),
                caBundle: String? = nil) {
        self.region = region
        self.profile = profile
        self.endpoints = endpoints
        self.retry = retry
        self.timeout = timeout
        self.credentials = credentials
        self.caBundle = caBundle
    }

    /// The transport settings these call for.
    public var transport: HTTP1Transport.Configuration {
        HTTP1Transport.Configuration(caBundle: caBundle)
    }

    /// The endpoint of `service` (see ``AWSEndpoints``).
    public func endpoint(for service: AWSService) -> URL {
        endpoints.url(for: service, region: region)
    }

    public var description: String {
        "AWSConfiguration(region: \(region), profile: \(profile), endpoints: \(endpoints), "
            + "retry: \(retry.mode.rawValue) x\(retry.maxAttempts), credentials: \(credentials))"
    }
}
