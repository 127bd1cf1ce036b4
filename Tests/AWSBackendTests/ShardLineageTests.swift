import AWSBackend
import AWSClients
import Testing
import UserVaultCore

/// Which shards of a stream are read when: parents before children, expired parents ignored.
@Suite("A DynamoDB stream's shard lineage")
struct ShardLineageTests {
    static func shard(_ id: String, parent: String? = nil, closed: Bool = false) -> DynamoDBStreams.Shard {
        .init(ShardId: id, ParentShardId: parent, SequenceNumberRange: .init(StartingSequenceNumber: "1",
                                                                            EndingSequenceNumber: closed ? "9" : nil))
    }

    @Test("a child waits for its parent to be read to its end; two children of one parent are read together; a parent no longer listed does not hold its child back")
    func order() {
        // a (closed) → b (closed) → c, d;  x's parent expired.
        let lineage = ShardLineage(shards: [Self.shard("a", closed: true), Self.shard("b", parent: "a", closed: true),
                                            Self.shard("c", parent: "b"), Self.shard("d", parent: "b"), Self.shard("x", parent: "gone")])
        var position = FeedPosition()
        #expect(lineage.readable(position).map(\.ShardId) == ["a", "x"])
        position.sequences["a"] = "5"
        #expect(lineage.readable(position).map(\.ShardId) == ["a", "x"], "a sequence number is not the shard's end")
        position.finished.insert("a")
        #expect(lineage.readable(position).map(\.ShardId) == ["b", "x"])
        position.finished.insert("b")
        #expect(lineage.readable(position).map(\.ShardId) == ["c", "d", "x"])
    }

    @Test("pruning forgets the shards the stream no longer lists, and keeps the others")
    func pruning() {
        let lineage = ShardLineage(shards: [Self.shard("b", parent: "a"), Self.shard("c")])
        let position = FeedPosition(sequences: ["a": "9", "b": "3", "c": "4"], finished: ["a"], startedAt: nil)
        let pruned = lineage.pruned(position)
        #expect(pruned.sequences == ["b": "3", "c": "4"] && pruned.finished.isEmpty)
        #expect(lineage.readable(pruned).map(\.ShardId) == ["b", "c"], "an expired parent holds nothing back")
    }
}
