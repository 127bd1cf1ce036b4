import Foundation

// Wire shapes of DynamoDB Streams (JSON 1.0), named as the API reference names them
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html).

public enum DynamoDBStreams {
    /// Where a shard iterator starts.
    public enum IteratorType: String, Sendable {
        case trimHorizon = "TRIM_HORIZON", latest = "LATEST"
        case atSequenceNumber = "AT_SEQUENCE_NUMBER", afterSequenceNumber = "AFTER_SEQUENCE_NUMBER"
    }

    struct DescribeStreamInput: Codable, Sendable {
        var StreamArn: String
        var Limit: Int?
        var ExclusiveStartShardId: String?
    }

    struct DescribeStreamOutput: Codable, Sendable {
        var StreamDescription: StreamDescription?
    }

    public struct StreamDescription: Codable, Sendable {
        public var StreamArn: String?
        public var StreamLabel: String?
        /// `ENABLING`, `ENABLED`, `DISABLING`, `DISABLED`.
        public var StreamStatus: String?
        public var StreamViewType: String?
        public var TableName: String?
        public var Shards: [Shard]?
        public var LastEvaluatedShardId: String?

        public init(StreamArn: String? = nil, Shards: [Shard]? = nil) {
            self.StreamArn = StreamArn
            self.Shards = Shards
        }
    }

    public struct Shard: Codable, Sendable, Hashable {
        public var ShardId: String
        public var ParentShardId: String?
        public var SequenceNumberRange: SequenceNumberRange?

        public init(ShardId: String, ParentShardId: String? = nil, SequenceNumberRange: SequenceNumberRange? = nil) {
            self.ShardId = ShardId
            self.ParentShardId = ParentShardId
            self.SequenceNumberRange = SequenceNumberRange
        }
    }

    public struct SequenceNumberRange: Codable, Sendable, Hashable {
        public var StartingSequenceNumber: String?
        /// Present once the shard is closed: no record comes after it.
        public var EndingSequenceNumber: String?

        public init(StartingSequenceNumber: String? = nil, EndingSequenceNumber: String? = nil) {
            self.StartingSequenceNumber = StartingSequenceNumber
            self.EndingSequenceNumber = EndingSequenceNumber
        }
    }

    struct GetShardIteratorInput: Codable, Sendable {
        var StreamArn: String
        var ShardId: String
        var ShardIteratorType: String
        var SequenceNumber: String?
    }

    struct GetShardIteratorOutput: Codable, Sendable {
        var ShardIterator: String?
    }

    struct GetRecordsInput: Codable, Sendable {
        var ShardIterator: String
        var Limit: Int?
    }

    public struct GetRecordsOutput: Codable, Sendable {
        public var Records: [Record]?
        /// `nil` once a closed shard has been read to its end.
        public var NextShardIterator: String?

        public init(Records: [Record]?, NextShardIterator: String?) {
            self.Records = Records
            self.NextShardIterator = NextShardIterator
        }
    }

    /// One stream record, as GetRecords answers it and as Lambda delivers it (Lambda adds
    /// `eventSourceARN`). With the `KEYS_ONLY` view it carries the item's key and nothing else.
    public struct Record: Codable, Sendable, Hashable {
        public var eventID: String?
        /// `INSERT`, `MODIFY` or `REMOVE`.
        public var eventName: String?
        public var eventVersion: String?
        public var eventSource: String?
        public var awsRegion: String?
        public var dynamodb: StreamRecord?
        /// The stream's ARN: in Lambda's events only.
        public var eventSourceARN: String?

        public init(eventID: String? = nil, eventName: String?, dynamodb: StreamRecord?, eventSourceARN: String? = nil) {
            self.eventID = eventID
            self.eventName = eventName
            self.dynamodb = dynamodb
            self.eventSourceARN = eventSourceARN
        }
    }

    public struct StreamRecord: Codable, Sendable, Hashable {
        /// Seconds since 1970 (to the second on AWS).
        public var ApproximateCreationDateTime: Double?
        public var Keys: DynamoDBItem?
        public var SequenceNumber: String?
        public var SizeBytes: Int?
        public var StreamViewType: String?

        public init(ApproximateCreationDateTime: Double? = nil, Keys: DynamoDBItem?, SequenceNumber: String?) {
            self.ApproximateCreationDateTime = ApproximateCreationDateTime
            self.Keys = Keys
            self.SequenceNumber = SequenceNumber
        }
    }

    struct ListStreamsInput: Codable, Sendable {
        var TableName: String
    }

    struct ListStreamsOutput: Codable, Sendable {
        var Streams: [StreamSummary]?
    }

    public struct StreamSummary: Codable, Sendable, Hashable {
        public var StreamArn: String
        public var TableName: String?
        public var StreamLabel: String?
    }
}
