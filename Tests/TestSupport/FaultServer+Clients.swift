import AWSClients
import AWSSigning
import Foundation
import Logging

extension FaultServer {
    /// Test credentials: never a real key.
    public static let credentials = AWSCredentials(accessKeyId: "AKIDFAULTSERVER", secretAccessKey: "fault-server-secret")

    /// An ``AWSServiceClient`` aimed at this server, with fixed credentials and, by default,
    /// standard retries without jitter (so retries never wait).
    public func client(_ service: AWSService = .dynamoDB, transport: any HTTPTransport,
                       retry: RetryStrategy = .withoutJitter(maxAttempts: 3), timeout: Duration = .seconds(20),
                       counters: RequestCounters = RequestCounters()) -> AWSServiceClient {
        AWSServiceClient(service: service, endpoint: endpoint, region: "us-east-1",
                         credentials: StaticCredentialProvider(Self.credentials), transport: transport, retry: retry,
                         timeout: timeout, counters: counters, logger: .silent)
    }
}

extension RetryStrategy {
    /// `mode` retries whose backoff is always 0: tests of the retry loop never wait.
    public static func withoutJitter(_ mode: Mode = .standard, maxAttempts: Int) -> RetryStrategy {
        RetryStrategy(mode: mode, maxAttempts: maxAttempts, jitter: { 0 })
    }
}

extension Logger {
    /// A logger that drops everything.
    public static var silent: Logger {
        Logger(label: "uservault.test.silent", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}
