import Foundation
import Logging

/// Turns an ``AWSConfiguration`` into service clients that share one transport and one
/// credential cache.
///
/// ```swift
/// try await HTTP1Transport.withTransport { transport in
///     let factory = AWSClientFactory(configuration: configuration, transport: transport, logger: logger)
///     let kms = KMSClient(factory.client(for: .kms, counters: kmsCounters))
///     let identity = try await factory.sts().getCallerIdentity()
/// }
/// ```
///
/// The credential provider is built once, here, and wrapped in an
/// ``ExpiringCredentialProvider``: every client signs with the same cached credentials, and
/// temporary ones are refreshed once, shortly before they expire.
public struct AWSClientFactory: Sendable {
    public let configuration: AWSConfiguration
    public let transport: any HTTPTransport
    public let logger: Logger
    /// The shared, caching credential provider.
    public let credentials: any CredentialProvider
    /// The endpoints that have answered, shared by every client made here.
    public let contacts = EndpointContacts()
    private let now: @Sendable () -> Date

    public init(configuration: AWSConfiguration, transport: any HTTPTransport, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
        self.now = now
        let context = CredentialProviderContext(
            transport: transport, region: configuration.region, stsEndpoint: configuration.endpoint(for: .sts),
            retry: configuration.retry, now: now)
        credentials = ExpiringCredentialProvider(configuration.credentials.makeProvider(context: context), now: now)
    }

    /// A client for `service` at its configured endpoint, counting into `counters`.
    public func client(for service: AWSService, counters: RequestCounters = RequestCounters()) -> AWSServiceClient {
        AWSServiceClient(service: service, endpoint: configuration.endpoint(for: service), region: configuration.region,
                         credentials: credentials, transport: transport, retry: configuration.retry,
                         timeout: configuration.timeout, counters: counters, contacts: contacts, logger: logger, now: now)
    }

    /// An ``STSClient`` (e.g. to check who the credentials belong to).
    public func sts(counters: RequestCounters = RequestCounters()) -> STSClient {
        STSClient(client(for: .sts, counters: counters))
    }
}
