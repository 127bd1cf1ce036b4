import Foundation

extension AWSService {
    /// DynamoDB Streams: signed as `dynamodb`, at `streams.dynamodb.<region>.amazonaws.com`
    /// (`AWS_ENDPOINT_URL_DYNAMODB_STREAMS`, as the SDKs name its endpoint variable).
    public static let dynamoDBStreams = AWSService(
        name: "dynamodbstreams", signingName: "dynamodb", environmentSuffix: "DYNAMODB_STREAMS", errorFormat: .json,
        isS3: false, endpointPrefix: "streams.dynamodb")
}

/// DynamoDB Streams over its JSON 1.0 protocol: a table's stream, its shards, their records.
///
/// ```swift
/// let streams = DynamoDBStreamsClient(factory.client(for: .dynamoDBStreams))
/// let stream = try await streams.describeStream(arn)
/// var iterator = try await streams.shardIterator(arn, shard: stream.Shards![0].ShardId, type: .trimHorizon)
/// let page = try await streams.records(iterator!)
/// ```
///
/// - Warning: a shard iterator expires 15 minutes after it was issued (`ExpiredIteratorException`);
///   ask for a new one from the last sequence number read.
public struct DynamoDBStreamsClient: Sendable {
    public let client: AWSServiceClient
    static let targetPrefix = "DynamoDBStreams_20120810"
    static let contentType = "application/x-amz-json-1.0"

    public init(_ client: AWSServiceClient) {
        self.client = client
    }

    private func call<Output: Decodable>(_ operation: String, _ input: some Encodable) async throws -> Output {
        try await client.jsonCall(operation, targetPrefix: Self.targetPrefix, contentType: Self.contentType, input: input)
    }

    /// [DescribeStream](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_DescribeStream.html),
    /// every page of shards.
    public func describeStream(_ streamArn: String) async throws -> DynamoDBStreams.StreamDescription {
        var description: DynamoDBStreams.StreamDescription?
        var shards: [DynamoDBStreams.Shard] = []
        var start: String?
        repeat {
            let output: DynamoDBStreams.DescribeStreamOutput = try await call(
                "DescribeStream", DynamoDBStreams.DescribeStreamInput(StreamArn: streamArn, ExclusiveStartShardId: start))
            let page = output.StreamDescription
            description = description ?? page
            shards += page?.Shards ?? []
            start = page?.LastEvaluatedShardId
        } while start != nil
        var whole = description ?? DynamoDBStreams.StreamDescription(StreamArn: streamArn)
        whole.Shards = shards
        whole.LastEvaluatedShardId = nil
        return whole
    }

    /// [GetShardIterator](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetShardIterator.html).
    /// `sequenceNumber` for ``DynamoDBStreams/IteratorType/afterSequenceNumber`` and `atSequenceNumber`.
    public func shardIterator(_ streamArn: String, shard: String, type: DynamoDBStreams.IteratorType,
                              sequenceNumber: String? = nil) async throws -> String? {
        let output: DynamoDBStreams.GetShardIteratorOutput = try await call(
            "GetShardIterator", DynamoDBStreams.GetShardIteratorInput(
                StreamArn: streamArn, ShardId: shard, ShardIteratorType: type.rawValue, SequenceNumber: sequenceNumber))
        return output.ShardIterator
    }

    /// [GetRecords](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html):
    /// up to `limit` records (1,000 at most) and the next iterator, `nil` once a closed shard is read to its end.
    public func records(_ iterator: String, limit: Int = 1000) async throws -> DynamoDBStreams.GetRecordsOutput {
        try await call("GetRecords", DynamoDBStreams.GetRecordsInput(ShardIterator: iterator, Limit: limit))
    }

    /// [ListStreams](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_ListStreams.html)
    /// of one table (the first page: a table has few).
    public func listStreams(table: String) async throws -> [DynamoDBStreams.StreamSummary] {
        let output: DynamoDBStreams.ListStreamsOutput = try await call("ListStreams", DynamoDBStreams.ListStreamsInput(TableName: table))
        return output.Streams ?? []
    }
}
