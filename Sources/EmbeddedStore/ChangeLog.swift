import Foundation
import GRDB

/// The embedded store's change log: every write path of the store records the id it changed (an
/// item's, or a key's) in the same transaction as the write, so `uservault watch` follows the
/// store as it follows a DynamoDB stream, and a change is never missed nor seen before it commits.
///
/// Like a stream, the log keeps ``retention`` (24 hours): older entries are pruned as new ones
/// are written. It holds ids only: never an item's content, a credential or key material.
enum ChangeLog {
    /// How long entries are kept, as a DynamoDB stream keeps its records.
    static let retention: TimeInterval = 24 * 3600
    /// The pseudo-shard of the embedded feed.
    static let shard = "change-log"

    static let schema = """
        CREATE TABLE change_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            item_id TEXT,
            key_id TEXT,
            kind TEXT NOT NULL,
            at REAL NOT NULL
        );
        CREATE INDEX change_log_at ON change_log(at);
        """

    /// Records that the item `id` was written (`INSERT` when it did not exist, else `MODIFY`).
    static func item(_ db: Database, _ id: String, inserted: Bool) throws {
        try append(db, itemId: id, keyId: nil, kind: inserted ? "INSERT" : "MODIFY")
    }

    /// Records that the key `keyId` (bare id) changed: its state, tags or rotation.
    static func key(_ db: Database, _ keyId: String) throws {
        try append(db, itemId: nil, keyId: keyId, kind: "MODIFY")
    }

    private static func append(_ db: Database, itemId: String?, keyId: String?, kind: String) throws {
        let now = Date().timeIntervalSince1970
        try db.cachedStatement(sql: "INSERT INTO change_log (item_id, key_id, kind, at) VALUES (?, ?, ?, ?)")
            .execute(arguments: [itemId, keyId, kind, now])
        // An index probe that finds nothing almost always: entries leave one write after they expire.
        try db.cachedStatement(sql: "DELETE FROM change_log WHERE at < ?").execute(arguments: [now - retention])
    }
}
