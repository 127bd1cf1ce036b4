import Foundation

/// What changed in the users table and its keys, in order: the input of `uservault watch`.
///
/// On AWS it is the table's DynamoDB stream (every shard, parents before children); on the
/// embedded store, the change log the store writes in the same transaction as every write. A
/// feed never carries an item's content: only which item (or key) changed, so that the reader
/// re-reads the item itself, consistently, and never trusts a copy that may be stale or reordered.
///
/// ```swift
/// var position = try await feed.start(from: .latest)
/// let batch = try await feed.changes(after: position, limit: 1000)
/// for change in batch.changes { ... }
/// position = batch.position            // commit it once the batch is proven
/// ```
public protocol ChangeFeed: Sendable {
    /// Where a new reader begins: ``FeedStart/latest`` (now) or ``FeedStart/oldest`` (all the feed still holds).
    func start(from: FeedStart) async throws -> FeedPosition

    /// The changes after `position`, at most about `limit`, and the position after them. Answers at
    /// once: an empty batch when nothing changed since.
    func changes(after position: FeedPosition, limit: Int) async throws -> ChangeBatch
}

/// Where a new reader of a ``ChangeFeed`` begins.
public enum FeedStart: String, Sendable, CaseIterable {
    /// Only what changes from now on.
    case latest
    /// Everything the feed still holds (a stream keeps 24 hours; so does the embedded change log).
    case oldest
}

/// How far a reader got: the last sequence number read per shard (one pseudo-shard for the
/// embedded change log). Shards listed in ``finished`` were read to their end.
public struct FeedPosition: Sendable, Hashable, Codable {
    /// Shard id → the sequence number of the last change read.
    public var sequences: [String: String]
    /// Shards read to their end (closed shards of a stream): their children may be read.
    public var finished: Set<String>
    /// Changes older than this are before the reader's start (``FeedStart/latest``) and are skipped,
    /// for shards with no sequence yet; `nil`: none are skipped.
    public var startedAt: Date?

    public init(sequences: [String: String] = [:], finished: Set<String> = [], startedAt: Date? = nil) {
        self.sequences = sequences
        self.finished = finished
        self.startedAt = startedAt
    }
}

/// One change: an item or a key, and where it sits in the feed.
public struct Change: Sendable, Hashable {
    public enum Subject: Sendable, Hashable {
        /// An item of the table, by id (a user or an email guard).
        case item(String)
        /// A key (its id or ARN): its owner tag says whose credentials to prove again.
        case key(String)
    }

    /// What happened to the item (a key's change is always ``modify``).
    public enum Kind: String, Sendable, Hashable {
        case insert = "INSERT", modify = "MODIFY", remove = "REMOVE"
    }

    public var subject: Subject
    public var kind: Kind
    /// The shard and the sequence number within it.
    public var shard: String
    public var sequence: String
    /// When the change was written, as the feed says (a stream: to the second).
    public var writtenAt: Date?

    public init(subject: Subject, kind: Kind, shard: String, sequence: String, writtenAt: Date?) {
        self.subject = subject
        self.kind = kind
        self.shard = shard
        self.sequence = sequence
        self.writtenAt = writtenAt
    }
}

/// What ``ChangeFeed/changes(after:limit:)`` answers.
public struct ChangeBatch: Sendable {
    public var changes: [Change]
    /// The position after these changes: commit it once they are handled.
    public var position: FeedPosition
    /// Changes after the position asked for had expired (older than the feed keeps) before they
    /// were read: the reader was away too long, and only a full audit covers the gap.
    public var lost: Bool

    public init(changes: [Change], position: FeedPosition, lost: Bool = false) {
        self.changes = changes
        self.position = position
        self.lost = lost
    }
}
