import AWSBackend
import AWSClients
import EmbeddedStore
import Foundation
import Jobs
import Logging
import UserVaultCore

/// The composition root: turns settings into the ports the core and jobs run on.
public struct Backend: Sendable {
    public var table: any UserTable
    public var keys: any KeyService
    public var cursorSecret: Data
    /// Where the users are, for people: "embedded store .uservault/store.sqlite".
    public var location: String
    /// Request counters of the AWS clients (zero on the embedded store).
    var dynamoCounters = RequestCounters()
    var kmsCounters = RequestCounters()
    var taggingCounters = RequestCounters()
    /// The AWS clients under the table (`nil` on the embedded store): a DynamoDB export to S3 is
    /// asked for and read with them (``SnapshotSource``).
    var dynamo: DynamoDBClient?
    var s3: S3Client?
    var s3Counters = RequestCounters()
    /// The key service may ignore key state in crypto calls: an AWS endpoint override, as for an
    /// emulator such as moto. AWS KMS itself and the embedded store enforce it.
    var mayIgnoreKeyState = false
    /// What changes in the table and its keys (`uservault watch`): the DynamoDB stream, or the
    /// embedded store's change log.
    var changes: (any ChangeFeed)?

    /// What the AWS clients did so far, for job reports.
    var stats: JobReport.Stats {
        var stats = JobReport.Stats()
        let dynamo = dynamoCounters.snapshot, kms = kmsCounters.snapshot
        stats.dynamoRequests = dynamo.requests
        let tagging = taggingCounters.snapshot
        stats.kmsRequests = kms.requests
        stats.taggingRequests = tagging.requests
        stats.retries = dynamo.retries + kms.retries + tagging.retries
        stats.throttles = dynamo.throttles + kms.throttles + tagging.throttles
        return stats
    }

    /// KMS's and the tagging API's throttled answers, for the budgets to slow down on.
    var kmsThrottles: ThrottleWatch {
        ThrottleWatch { [kmsCounters, taggingCounters] in kmsCounters.snapshot.throttles + taggingCounters.snapshot.throttles }
    }

    /// DynamoDB's throttled answers, for the read budget to slow down on.
    var readThrottles: ThrottleWatch {
        ThrottleWatch { [dynamoCounters] in dynamoCounters.snapshot.throttles }
    }

    /// The table's approximate item count (for the progress line and the segment count), `nil`
    /// when it cannot be had — unless the table's endpoint has never answered: then nothing else
    /// of the run can work, and this ends it (the one DescribeTable, with the client's attempts).
    func approximateItemCount() async throws -> Int? {
        do {
            return try await table.approximateItemCount()
        } catch {
            if let failure = ServiceFailure(error), failure.isFinal { throw failure }
            return nil
        }
    }

    public var service: UserService {
        UserService(table: table, keys: keys, cursors: PageCursorCodec(secret: cursorSecret))
    }

    /// Opens the configured backend for the duration of `body`, and closes what it opened.
    /// - Parameter pageCacheKiB: the embedded store's SQLite page cache per connection.
    public static func with<Result: Sendable>(
        _ settings: Settings, readOnly: Bool = false, pageCacheKiB: Int = EmbeddedStore.Configuration().pageCacheKiB,
        logger: Logger, _ body: (Backend) async throws -> Result
    ) async throws -> Result {
        switch settings.backend {
        case .local:
            return try await body(try openEmbedded(settings, readOnly: readOnly, pageCacheKiB: pageCacheKiB))
        case .aws:
            let configuration = try awsConfiguration(settings)
            return try await HTTP1Transport.withTransport(configuration: configuration.transport) { transport in
                let factory = AWSClientFactory(configuration: configuration, transport: transport, logger: logger)
                let dynamoCounters = RequestCounters()
                let kmsCounters = RequestCounters()
                let taggingCounters = RequestCounters()
                let s3Counters = RequestCounters()
                let dynamo = DynamoDBClient(factory.client(for: .dynamoDB, counters: dynamoCounters))
                let table = DynamoDBUserTable(dynamo: dynamo, tableName: settings.tableName)
                let keys = KMSKeyService(
                    kms: KMSClient(factory.client(for: .kms, counters: kmsCounters)),
                    tagging: ResourceGroupsTaggingClient(factory.client(for: .tagging, counters: taggingCounters)))
                let backend = Backend(
                    table: table, keys: keys, cursorSecret: cursorSecret(settings),
                    location: "DynamoDB table '\(settings.tableName)' in \(configuration.region)"
                        + (configuration.endpoints.isCustom(.dynamoDB)
                            ? " at \(configuration.endpoint(for: .dynamoDB).absoluteString)" : ""),
                    dynamoCounters: dynamoCounters, kmsCounters: kmsCounters, taggingCounters: taggingCounters,
                    dynamo: dynamo, s3: S3Client(factory.client(for: .s3, counters: s3Counters)), s3Counters: s3Counters,
                    mayIgnoreKeyState: configuration.endpoints.isCustom(.kms),
                    changes: DynamoDBStreamFeed(streams: DynamoDBStreamsClient(factory.client(for: .dynamoDBStreams, counters: dynamoCounters)),
                                                dynamo: dynamo, tableName: settings.tableName, logger: logger))
                return try await body(backend)
            }
        }
    }

    /// An S3 client from the AWS settings (whichever backend holds the users), for `body`.
    public static func withS3<Result: Sendable>(
        _ settings: Settings, logger: Logger, _ body: (S3Client) async throws -> Result
    ) async throws -> Result {
        let configuration = try awsConfiguration(settings)
        return try await HTTP1Transport.withTransport(configuration: configuration.transport) { transport in
            try await body(S3Client(AWSClientFactory(configuration: configuration, transport: transport, logger: logger)
                .client(for: .s3)))
        }
    }

    /// The AWS settings resolved from flags, environment and profile; a failure is one line, exit 2.
    public static func awsConfiguration(_ settings: Settings) throws -> AWSConfiguration {
        do {
            return try AWSConfiguration.resolve(flags: settings.awsFlags, environment: settings.environment)
        } catch {
            throw JobExit.failure("AWS configuration: \(error)")
        }
    }

    static func openEmbedded(_ settings: Settings, readOnly: Bool,
                             pageCacheKiB: Int = EmbeddedStore.Configuration().pageCacheKiB) throws -> Backend {
        do {
            let store = try EmbeddedStore(
                path: settings.storePath,
                configuration: .init(tableName: settings.tableName, readOnly: readOnly, pageCacheKiB: pageCacheKiB))
            return Backend(table: store.table, keys: store.keys, cursorSecret: store.cursorSecret,
                           location: "embedded store \(settings.storePath)", changes: store.changes)
        } catch let error as EmbeddedStoreError {
            throw JobExit.failure(error.description)
        } catch {
            throw JobExit.failure("cannot open the embedded store at \(settings.storePath): \(error)")
        }
    }

    /// List cursors on AWS are sealed with `USERVAULT_CURSOR_SECRET` (shared by every API
    /// instance; at least 32 characters). Without it, a per-process secret is used: cursors then
    /// only work against the process that made them.
    static func cursorSecret(_ settings: Settings) -> Data {
        if let secret = settings.environment["USERVAULT_CURSOR_SECRET"], secret.utf8.count >= 32 {
            return Data(secret.utf8)
        }
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
