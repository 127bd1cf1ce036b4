import AWSClients
import Foundation
import Logging
import UserVaultCore

/// The users table's DynamoDB stream as a ``ChangeFeed``: every shard, parents before children
/// (``ShardLineage``), from the reader's last sequence number per shard.
///
/// The stream must exist (view type `KEYS_ONLY` is enough: only the key is read, and the item is
/// then read again with a consistent read). Shard iterators are kept between calls and asked for
/// again from the last sequence number when they expire (15 minutes); a position older than the
/// stream keeps (24 hours) reads from the oldest record and says so (``ChangeBatch/lost``).
public actor DynamoDBStreamFeed: ChangeFeed {
    let streams: DynamoDBStreamsClient
    let dynamo: DynamoDBClient
    let tableName: String
    let logger: Logger
    /// How long a shard list is trusted before DescribeStream is asked again (new shards appear
    /// every few hours, or after a split).
    let shardListLifetime: Duration

    private var streamArn: String?
    private var lineage: ShardLineage?
    private var listedAt: ContinuousClock.Instant?
    /// Open iterators by shard, valid for ``expected`` only.
    private var iterators: [String: String] = [:]
    private var expected: FeedPosition?

    public init(streams: DynamoDBStreamsClient, dynamo: DynamoDBClient, tableName: String, logger: Logger,
                shardListLifetime: Duration = .seconds(30)) {
        self.streams = streams
        self.dynamo = dynamo
        self.tableName = tableName
        self.logger = logger
        self.shardListLifetime = shardListLifetime
    }

    /// The table has no stream to follow.
    public struct NoStream: Error, CustomStringConvertible {
        public var description: String
    }

    public func start(from start: FeedStart) async throws -> FeedPosition {
        _ = try await stream()
        // Latest: every record written before now is skipped by its time, in every shard (a
        // LATEST iterator cannot be written down, and a restart must not lose what came meanwhile).
        return FeedPosition(startedAt: start == .latest ? Date() : nil)
    }

    public func changes(after position: FeedPosition, limit: Int) async throws -> ChangeBatch {
        if position != expected { iterators = [:] }
        let arn = try await stream()
        if lineage == nil || listedAt.map({ ContinuousClock.now - $0 > shardListLifetime }) ?? true {
            try await listShards(arn)
        }
        var next = lineage?.pruned(position) ?? position
        var changes: [Change] = []
        var lost = false
        var shardEnded = false
        for shard in lineage?.readable(next) ?? [] where changes.count < limit {
            let id = shard.ShardId
            var output: DynamoDBStreams.GetRecordsOutput
            do {
                output = try await read(arn, shard: id, position: next, limit: limit - changes.count)
            } catch let error as AWSError where error.code == "TrimmedDataAccessException" {
                logger.warning("the stream no longer holds records after the checkpoint: reading from its oldest",
                               metadata: ["shard": "\(id)"])
                lost = true
                iterators[id] = try await streams.shardIterator(arn, shard: id, type: .trimHorizon)
                output = try await read(arn, shard: id, position: next, limit: limit - changes.count)
            } catch let error as AWSError where error.code == "ResourceNotFoundException" {
                // The shard expired between the listing and now.
                next.finished.insert(id)
                shardEnded = true
                continue
            }
            for record in output.Records ?? [] {
                guard let sequence = record.dynamodb?.SequenceNumber else { continue }
                next.sequences[id] = sequence
                let writtenAt = record.dynamodb?.ApproximateCreationDateTime.map(Date.init(timeIntervalSince1970:))
                // Before the reader's start (to the second, as the stream tells time): not ours.
                if let startedAt = next.startedAt, let writtenAt, writtenAt < startedAt.addingTimeInterval(-1) { continue }
                guard let change = Self.change(record, shard: id, writtenAt: writtenAt) else { continue }
                changes.append(change)
            }
            if let iterator = output.NextShardIterator {
                iterators[id] = iterator
            } else {
                // A closed shard read to its end: its children may be read now.
                iterators[id] = nil
                next.finished.insert(id)
                shardEnded = true
            }
        }
        if shardEnded { listedAt = nil }
        expected = next
        return ChangeBatch(changes: changes, position: next, lost: lost)
    }

    /// One GetRecords of `shard`, with an iterator from the position when none is open or it expired.
    private func read(_ arn: String, shard: String, position: FeedPosition, limit: Int) async throws -> DynamoDBStreams.GetRecordsOutput {
        for attempt in 0..<2 {
            let iterator: String?
            if let open = iterators[shard] {
                iterator = open
            } else if let sequence = position.sequences[shard] {
                iterator = try await streams.shardIterator(arn, shard: shard, type: .afterSequenceNumber, sequenceNumber: sequence)
            } else {
                iterator = try await streams.shardIterator(arn, shard: shard, type: .trimHorizon)
            }
            guard let iterator else { return DynamoDBStreams.GetRecordsOutput(Records: [], NextShardIterator: nil) }
            do {
                return try await streams.records(iterator, limit: min(1000, max(1, limit)))
            } catch let error as AWSError where error.code == "ExpiredIteratorException" && attempt == 0 {
                iterators[shard] = nil
            }
        }
        throw AWSError.invalidResponse("dynamodbstreams", "GetRecords", "the shard iterator expired twice in a row")
    }

    private func listShards(_ arn: String) async throws {
        let description = try await streams.describeStream(arn)
        lineage = ShardLineage(shards: description.Shards ?? [])
        listedAt = .now
    }

    /// The table's current stream, from DescribeTable once.
    private func stream() async throws -> String {
        if let streamArn { return streamArn }
        guard let table = try await dynamo.describeTable(tableName) else {
            throw NoStream(description: "table '\(tableName)' does not exist (run `uservault init`)")
        }
        guard let arn = table.LatestStreamArn, table.StreamSpecification?.StreamEnabled != false else {
            throw NoStream(description: "table '\(tableName)' has no stream: enable one with view type KEYS_ONLY "
                + "(`aws dynamodb update-table --table-name \(tableName) --stream-specification StreamEnabled=true,StreamViewType=KEYS_ONLY`)")
        }
        streamArn = arn
        return arn
    }

    /// A stream record as a change of the item it names; `nil` for a record without an `id` key.
    static func change(_ record: DynamoDBStreams.Record, shard: String, writtenAt: Date?) -> Change? {
        guard let id = record.dynamodb?.Keys?["id"]?.stringValue, let sequence = record.dynamodb?.SequenceNumber else { return nil }
        return Change(subject: .item(id), kind: Change.Kind(rawValue: record.eventName ?? "") ?? .modify, shard: shard,
                      sequence: sequence, writtenAt: writtenAt)
    }
}
