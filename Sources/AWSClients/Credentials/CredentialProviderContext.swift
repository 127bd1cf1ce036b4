import Foundation
import Logging

/// What providers that make HTTP calls need once the process has a transport: the transport,
/// the region and the STS endpoint (for role providers), the retry strategy and a clock.
///
/// ``AWSClientFactory`` builds it from an ``AWSConfiguration``.
public struct CredentialProviderContext: Sendable {
    public var transport: any HTTPTransport
    /// The region STS is called in (it also scopes the SigV4 signature).
    public var region: String
    /// The STS endpoint (`AWS_ENDPOINT_URL_STS`, `--endpoint-url`, … or the regional one).
    public var stsEndpoint: URL
    public var retry: RetryStrategy
    /// Per-attempt timeout of STS calls.
    public var timeout: Duration
    /// The clock used to name sessions and judge expiry.
    public var now: @Sendable () -> Date

    public init(transport: any HTTPTransport, region: String, stsEndpoint: URL? = nil,
                retry: RetryStrategy = .standard(), timeout: Duration = .seconds(10),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.transport = transport
        self.region = region
        self.stsEndpoint = stsEndpoint ?? AWSService.sts.defaultEndpoint(region: region)
        self.retry = retry
        self.timeout = timeout
        self.now = now
    }

    /// An STS client signing with `credentials` (or sending unsigned requests when `nil`).
    func stsClient(credentials: (any CredentialProvider)?, logger: Logger) -> STSClient {
        STSClient(AWSServiceClient(
            service: .sts, endpoint: stsEndpoint, region: region,
            credentials: credentials ?? NoCredentialProvider(), transport: transport, retry: retry,
            timeout: timeout, logger: logger, now: now))
    }

    /// A default session name: `uservault-<unix milliseconds>`.
    func defaultSessionName() -> String {
        "uservault-\(Int64(now().timeIntervalSince1970 * 1000))"
    }
}
