import Foundation
import GRDB
import UserVaultCore

/// What `uservault watch` keeps between batches, in one SQLite file: how far it read the feed
/// (a ``FeedPosition``: the last sequence number per shard) and the findings open now, committed
/// together after each batch is proven and reported. A watch killed at any instant (SIGKILL
/// included) restarts from the last commit: no change after it is lost, and none before it is
/// proven again; the batch in flight is proven again (at least once).
///
/// The file carries its own SQLite `application_id` ("UVWS") and the backend and table it
/// watches: any other file, or the state of another table, is refused and left as it was.
public final class WatchState: FindingLedger, Sendable {
    public static let applicationID: Int32 = 0x5556_5753

    public let path: String
    private let queue: DatabaseQueue

    /// Opens (creating when missing) the state of a watch of `table` on `backend`.
    public init(path: String, backend: String, table: String) throws {
        let fileManager = FileManager.default
        let exists = fileManager.fileExists(atPath: path)
        if exists {
            guard Self.isWatchState(path) else {
                throw RunStateError("\(path) is not a UserVault watch state: refusing to use it; name a new file for --state")
            }
        } else {
            try PrivateDirectory.create(at: URL(fileURLWithPath: path).deletingLastPathComponent())
            guard fileManager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw RunStateError("cannot create \(path)")
            }
        }
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.write { db in
                try db.execute(sql: """
                    PRAGMA application_id = \(Self.applicationID);
                    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS open_findings (
                        user_id TEXT NOT NULL, code TEXT NOT NULL, finding BLOB NOT NULL, PRIMARY KEY (user_id, code)
                    ) WITHOUT ROWID;
                    """)
                let watched = "\(backend)/\(table)"
                if let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'watched'"), stored != watched {
                    throw RunStateError("the watch state at \(path) belongs to \(stored), not \(watched): refusing to use it")
                }
                try db.execute(sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('watched', ?)", arguments: [watched])
            }
            // The header (its application_id, which says whose file this is) goes into the file
            // itself at once, not only into the -wal: a watch killed now is still recognised.
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        } catch let error as RunStateError {
            throw error
        } catch {
            throw RunStateError("cannot open the watch state at \(path): \(error)")
        }
        self.path = path
    }

    /// Reads the SQLite header only.
    static func isWatchState(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        if header.isEmpty { return true }  // created by us, never written (a kill right after creating it)
        guard header.count == 100, header.prefix(16) == Data("SQLite format 3\0".utf8) else { return false }
        return header[68..<72].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } == UInt32(bitPattern: applicationID)
    }

    /// The position last committed; `nil` for a new watch.
    public func position() throws -> FeedPosition? {
        try queue.read { db in
            try Data.fetchOne(db, sql: "SELECT CAST(value AS BLOB) FROM meta WHERE key = 'position'")
                .map { try JSONDecoder().decode(FeedPosition.self, from: $0) }
        }
    }

    public func openFindings(of userIds: [String]) async throws -> [Finding] {
        try await queue.read { db in
            var found: [Finding] = []
            for start in stride(from: 0, to: userIds.count, by: 500) {
                let chunk = Array(userIds[start..<min(userIds.count, start + 500)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for data in try Data.fetchAll(db, sql: "SELECT finding FROM open_findings WHERE user_id IN (\(marks))",
                                              arguments: StatementArguments(chunk)) {
                    found.append(try JSONDecoder().decode(Finding.self, from: data))
                }
            }
            return found
        }
    }

    /// Every finding open now, by user then code.
    public func allOpen() throws -> [Finding] {
        try queue.read { db in
            try Data.fetchAll(db, sql: "SELECT finding FROM open_findings ORDER BY user_id, code")
                .map { try JSONDecoder().decode(Finding.self, from: $0) }
        }
    }

    /// The counters committed so far (``commit(position:changes:counts:)`` adds to them).
    public func counters() throws -> [String: Int] {
        try queue.read { db in
            try Data.fetchOne(db, sql: "SELECT CAST(value AS BLOB) FROM meta WHERE key = 'counters'")
                .map { try JSONDecoder().decode([String: Int].self, from: $0) } ?? [:]
        }
    }

    /// Records a batch, in one transaction: the position after it, the findings it opened and
    /// resolved (the current ones are refreshed), and its counts added to the counters.
    public func commit(position: FeedPosition, changes: FindingChanges, counts: [String: Int] = [:]) throws {
        let encoder = JSONEncoder.sorted
        let positionJSON = String(decoding: try encoder.encode(position), as: UTF8.self)
        try queue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('position', ?)", arguments: [positionJSON])
            for finding in changes.resolved {
                try db.execute(sql: "DELETE FROM open_findings WHERE user_id = ? AND code = ?",
                               arguments: [finding.userId ?? "", finding.code.rawValue])
            }
            for finding in changes.current {
                try db.execute(sql: "INSERT OR REPLACE INTO open_findings (user_id, code, finding) VALUES (?, ?, ?)",
                               arguments: [finding.userId ?? "", finding.code.rawValue, try encoder.encode(finding)])
            }
            if !counts.isEmpty {
                var counters = try Data.fetchOne(db, sql: "SELECT CAST(value AS BLOB) FROM meta WHERE key = 'counters'")
                    .map { try JSONDecoder().decode([String: Int].self, from: $0) } ?? [:]
                for (name, count) in counts { counters[name, default: 0] += count }
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('counters', ?)",
                               arguments: [String(decoding: try encoder.encode(counters), as: UTF8.self)])
            }
        }
    }
}
