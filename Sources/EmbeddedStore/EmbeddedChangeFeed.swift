import Foundation
import GRDB
import UserVaultCore

/// The embedded store's ``ChangeFeed``: its change log (``ChangeLog``), one pseudo-shard whose
/// sequence numbers are the log's own (increasing, without gaps but for expired entries).
public struct EmbeddedChangeFeed: ChangeFeed {
    let pool: DatabasePool

    init(pool: DatabasePool) {
        self.pool = pool
    }

    public func start(from start: FeedStart) async throws -> FeedPosition {
        let last = try await pool.read { db in
            start == .latest
                ? try Int64.fetchOne(db, sql: "SELECT max(seq) FROM change_log") ?? 0
                : max(0, (try Int64.fetchOne(db, sql: "SELECT min(seq) FROM change_log") ?? 1) - 1)
        }
        return FeedPosition(sequences: [ChangeLog.shard: String(last)])
    }

    public func changes(after position: FeedPosition, limit: Int) async throws -> ChangeBatch {
        let after = position.sequences[ChangeLog.shard].flatMap(Int64.init) ?? 0
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, item_id, key_id, kind, at FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?",
                             arguments: [after, max(1, limit)])
        }
        var changes: [Change] = []
        changes.reserveCapacity(rows.count)
        for row in rows {
            let seq: Int64 = row[0]
            let subject: Change.Subject
            if let itemId: String = row[1] {
                subject = .item(itemId)
            } else if let keyId: String = row[2] {
                subject = .key(keyId)
            } else {
                continue
            }
            changes.append(Change(subject: subject, kind: Change.Kind(rawValue: row[3]) ?? .modify, shard: ChangeLog.shard,
                                  sequence: String(seq), writtenAt: Date(timeIntervalSince1970: row[4])))
        }
        var next = position
        if let last = rows.last { next.sequences[ChangeLog.shard] = String(last[0] as Int64) }
        let first = rows.first.map { $0[0] as Int64 }
        return ChangeBatch(changes: changes, position: next, lost: after > 0 && (first.map { $0 > after + 1 } ?? false))
    }
}
