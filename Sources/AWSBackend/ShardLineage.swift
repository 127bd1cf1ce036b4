import AWSClients
import UserVaultCore

/// Which shards of a DynamoDB stream may be read now, given how far a reader got: a shard is
/// read only after its parent has been read to its end (the order of an item's records holds
/// across a split only so), or when its parent is no longer listed (expired after 24 hours).
///
/// A value: it takes a stream's shard list and a ``FeedPosition`` and answers, with no network,
/// so that the rule is tested on its own.
///
/// ```swift
/// let lineage = ShardLineage(shards: description.Shards ?? [])
/// for shard in lineage.readable(position) { ... }
/// position = lineage.pruned(position)      // forget finished shards the stream no longer lists
/// ```
public struct ShardLineage: Sendable {
    public let shards: [DynamoDBStreams.Shard]
    private let listed: Set<String>

    public init(shards: [DynamoDBStreams.Shard]) {
        self.shards = shards
        listed = Set(shards.map(\.ShardId))
    }

    /// The shards to read, parents before children, in the stream's order: not finished, and
    /// with no parent, an expired parent, or a finished one.
    public func readable(_ position: FeedPosition) -> [DynamoDBStreams.Shard] {
        shards.filter { shard in
            guard !position.finished.contains(shard.ShardId) else { return false }
            guard let parent = shard.ParentShardId, listed.contains(parent) else { return true }
            return position.finished.contains(parent)
        }
    }

    /// `position` without the shards the stream no longer lists (expired): their sequence numbers
    /// and finished marks would only grow the checkpoint.
    public func pruned(_ position: FeedPosition) -> FeedPosition {
        var position = position
        position.finished = position.finished.filter(listed.contains)
        position.sequences = position.sequences.filter { listed.contains($0.key) }
        return position
    }
}
