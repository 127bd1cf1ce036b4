import AWSClients
import AWSSigning
import Foundation
import Logging

/// A table's DynamoDB stream on moto, read with GetRecords as Lambda's event source mapping
/// would read it, and turned into the events Lambda delivers (`{"Records": [...]}` with
/// `eventSourceARN` added): moto itself cannot invoke a function without consuming the stream.
public struct MotoStream: Sendable {
    public let dynamo: DynamoDBClient
    public let streams: DynamoDBStreamsClient
    public let table: String

    public init(moto: MotoServer, transport: any HTTPTransport, table: String) {
        let credentials = StaticCredentialProvider(AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing"))
        func client(_ service: AWSService) -> AWSServiceClient {
            AWSServiceClient(service: service, endpoint: URL(string: moto.endpoint)!, region: MotoServer.region,
                             credentials: credentials, transport: transport, retry: .standard(maxAttempts: 8), logger: .silent)
        }
        dynamo = DynamoDBClient(client(.dynamoDB))
        streams = DynamoDBStreamsClient(client(.dynamoDBStreams))
        self.table = table
    }

    public func arn() async throws -> String {
        guard let arn = try await dynamo.describeTable(table)?.LatestStreamArn else {
            throw LoopbackError(description: "table \(table) has no stream")
        }
        return arn
    }

    /// Every record of the stream's shards after `sequence` (all of them without one), in order.
    public func records(after sequence: String? = nil) async throws -> [DynamoDBStreams.Record] {
        let arn = try await arn()
        var records: [DynamoDBStreams.Record] = []
        for shard in try await streams.describeStream(arn).Shards ?? [] {
            var iterator: String?
            if let sequence {
                iterator = try await streams.shardIterator(arn, shard: shard.ShardId, type: .afterSequenceNumber, sequenceNumber: sequence)
            } else {
                iterator = try await streams.shardIterator(arn, shard: shard.ShardId, type: .trimHorizon)
            }
            while let current = iterator {
                let page = try await streams.records(current)
                records += page.Records ?? []
                iterator = (page.Records ?? []).isEmpty ? nil : page.NextShardIterator
            }
        }
        return records
    }

    /// The last sequence number of the stream now (`nil` when it holds none).
    public func lastSequence() async throws -> String? {
        try await records().last?.dynamodb?.SequenceNumber
    }

    /// A Lambda DynamoDB Streams event of `records`, as the event source mapping sends it.
    public func event(_ records: [DynamoDBStreams.Record]) async throws -> Data {
        let arn = try await arn()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        struct Event: Encodable { var Records: [DynamoDBStreams.Record] }
        return try encoder.encode(Event(Records: records.map { record in
            var record = record
            record.eventSourceARN = arn
            record.eventVersion = "1.1"
            return record
        }))
    }
}
