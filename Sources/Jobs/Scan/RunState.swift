import Foundation
import GRDB

/// The durable state of one job run: each segment's position and everything the job has
/// accumulated, committed together, page by page, in one SQLite transaction.
///
/// A run killed at any instant (SIGKILL included) resumes from the last committed page: that
/// page's results and its position were written atomically, so nothing is lost or counted twice.
/// `--checkpoint PATH` names the file; without it, a temporary file is used and removed.
public final class RunState: Sendable {
    /// What identifies a run: resuming with different parameters is refused.
    public struct Fingerprint: Sendable, Hashable, Codable {
        public var job: String
        public var backend: String
        public var table: String
        public var totalSegments: Int
        public var worker: WorkerShare
        /// Job-specific parameters that change results (e.g. the audit depth).
        public var parameters: [String: String]

        public init(job: String, backend: String, table: String, totalSegments: Int, worker: WorkerShare,
                    parameters: [String: String] = [:]) {
            self.job = job
            self.backend = backend
            self.table = table
            self.totalSegments = totalSegments
            self.worker = worker
            self.parameters = parameters
        }
    }

    /// Where one segment stands.
    public struct Position: Sendable, Hashable {
        public var after: String?
        public var done: Bool
    }

    /// What one page added: keyed records (idempotent upserts) and counter increments.
    public struct PageRecords: Sendable {
        public var records: [Record] = []
        public var counters: [String: Int] = [:]

        public init() {}

        public mutating func add(kind: String, key: String, value: Data = Data()) {
            records.append(Record(kind: kind, key: key, value: value))
        }

        public mutating func count(_ name: String, by amount: Int = 1) {
            counters[name, default: 0] += amount
        }
    }

    public struct Record: Sendable, Hashable {
        public var kind: String
        public var key: String
        public var value: Data
    }

    public let path: String
    public let runId: String
    public let startedAt: Date
    /// `true` when this run continues an earlier, interrupted one.
    public let resumed: Bool
    private let queue: DatabaseQueue
    private let temporary: Bool

    /// The SQLite `application_id` every run state carries ("UVRS"): a file without it is not
    /// one of ours, and is never opened for writing, resumed or deleted.
    public static let applicationID: Int32 = 0x5556_5253

    /// Opens the state: a new run, or — with `resume` — the interrupted run at `path`.
    ///
    /// A file already at `path` is used only when it is a run state of this program (its SQLite
    /// header carries ``applicationID``) for the same job and parameters (``Fingerprint``);
    /// anything else — the users store, another database, any other file, another job's or other
    /// parameters' run state — is refused and left byte-for-byte unchanged.
    ///
    /// - Throws: ``RunStateError`` when `path` is not this run's state, when a checkpoint exists
    ///   and `resume` is not set, when there is nothing to resume, or when it cannot be opened.
    /// - Parameter proposedRunId: the id of a new run (a resumed run keeps its own); by default a fresh UUID.
    public init(path: String?, fingerprint: Fingerprint, resume: Bool, proposedRunId: String? = nil) throws {
        let fileManager = FileManager.default
        temporary = path == nil
        let location = path ?? fileManager.temporaryDirectory.appendingPathComponent("uservault-run-\(UUID().uuidString).sqlite").path
        let encoded = try JSONEncoder.sorted.encode(fingerprint)
        let exists: Bool
        switch Self.identify(location) {
        case .missing:
            exists = false
        case .foreign(let what):
            throw RunStateError("\(location) is not a UserVault checkpoint (\(what)): refusing to use it; "
                                + "name a new file for --checkpoint")
        case .runState:
            exists = true
            // Checked read-only first: another run's state is refused untouched.
            if let stored = try? Self.storedFingerprint(at: location), stored != encoded {
                let other = (try? JSONDecoder().decode(Fingerprint.self, from: stored))
                let whose = other.map { $0.job != fingerprint.job ? "a \($0.job) run" : "a \($0.job) run with other parameters" }
                    ?? "another run"
                throw RunStateError("the checkpoint at \(location) belongs to \(whose): refusing to use it")
            }
        }
        if exists && !resume {
            throw RunStateError("a checkpoint already exists at \(location): add --resume to continue it, or remove it")
        }
        if !exists && resume {
            throw RunStateError("nothing to resume: no checkpoint at \(location)")
        }
        self.path = location
        let now = Date()
        let fresh = proposedRunId ?? UUID().uuidString.lowercased()
        do {
            // WAL, synchronous NORMAL: a page's commit appends to the log without an fsync (the
            // rollback journal cost two fsyncs and a file created and deleted per page, on the
            // scan's own thread). A commit stays atomic — a page's records with its position — so
            // what a power cut can lose is the last pages' progress, which a resume scans again.
            // The file is created owner-only before SQLite opens it: SQLite gives its -wal and -shm
            // files the database file's mode.
            if !exists {
                guard fileManager.createFile(atPath: location, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw RunStateError("cannot create the checkpoint at \(location)")
                }
            }
            var configuration = Configuration()
            configuration.journalMode = .wal
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            queue = try DatabaseQueue(path: location, configuration: configuration)
            (runId, startedAt, resumed) = try queue.write { db in
                if try db.tableExists("meta"),
                   let stored = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fingerprint'") {
                    guard stored == encoded else {
                        throw RunStateError("the checkpoint at \(location) belongs to a run with other parameters")
                    }
                    let runId = try String.fetchOne(db, sql: "SELECT CAST(value AS TEXT) FROM meta WHERE key = 'runId'") ?? fresh
                    let started = try Double.fetchOne(db, sql: "SELECT CAST(CAST(value AS TEXT) AS REAL) FROM meta WHERE key = 'startedAt'")
                    return (runId, started.map(Date.init(timeIntervalSince1970:)) ?? now, true)
                }
                try db.execute(sql: """
                    PRAGMA application_id = \(Self.applicationID);
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL);
                    CREATE TABLE segments (segment INTEGER PRIMARY KEY, after TEXT, done INTEGER NOT NULL);
                    CREATE TABLE records (kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                                          PRIMARY KEY (kind, key)) WITHOUT ROWID;
                    CREATE TABLE counters (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
                    """)
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('fingerprint', ?), ('runId', ?), ('startedAt', ?)",
                               arguments: [encoded, Data(fresh.utf8), Data(String(now.timeIntervalSince1970).utf8)])
                return (fresh, now, false)
            }
            // The header (its application_id, which says whose file this is) goes into the file
            // itself at once, not only into the -wal: a run killed now is still recognised.
            if !resumed {
                try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            }
        } catch let error as RunStateError {
            throw error
        } catch {
            throw RunStateError("cannot open the checkpoint at \(location): \(Self.oneLine(error))")
        }
    }

    /// What is at a checkpoint path, judged without opening it as a database.
    enum Identity: Equatable {
        case missing
        /// A run state of this program (its `application_id`).
        case runState
        /// Anything else, said in a few words.
        case foreign(String)
    }

    /// Reads the first 100 bytes (the SQLite header) only: nothing is created, locked or changed.
    static func identify(_ path: String) -> Identity {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        if isDirectory.boolValue { return .foreign("a directory") }
        guard let handle = FileHandle(forReadingAtPath: path) else { return .foreign("cannot be read") }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        guard header.count == 100, header.prefix(16) == Data("SQLite format 3\0".utf8) else {
            return .foreign(header.isEmpty ? "an empty file" : "not an SQLite database")
        }
        let applicationID = header[68..<72].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard applicationID == UInt32(bitPattern: Self.applicationID) else {
            return .foreign("an SQLite database of something else")
        }
        return .runState
    }

    /// The fingerprint stored in a run state, read through a read-only connection.
    /// The id of the run whose state is at `path`, read without writing anything; `nil` when no
    /// run state of ours is there. A job names its run in its log lines before it opens the state.
    public static func storedRunId(at path: String) -> String? {
        guard case .runState = identify(path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        guard let reader = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        defer { try? reader.close() }
        return try? reader.read { db in try String.fetchOne(db, sql: "SELECT CAST(value AS TEXT) FROM meta WHERE key = 'runId'") }
    }

    private static func storedFingerprint(at path: String) throws -> Data? {
        var configuration = Configuration()
        configuration.readonly = true
        let reader = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? reader.close() }
        return try reader.read { db in try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fingerprint'") }
    }

    private static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(separator: "\n").first.map(String.init) ?? "unknown error"
    }

    /// Where `segment` stands; `nil` when it has not started.
    public func position(of segment: Int) throws -> Position? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT after, done FROM segments WHERE segment = ?", arguments: [segment])
                .map { Position(after: $0["after"], done: $0["done"]) }
        }
    }

    /// Commits one page: its records, its counters and the segment's new position, atomically.
    ///
    /// Asynchronous: the write waits on the database's own queue, never on the thread of the
    /// caller (with the jobs' event-loop executor, a blocked loop stalls every task queued on it).
    public func commit(segment: Int, position: Position, page: PageRecords) async throws {
        try await queue.write { db in
            try Self.write(page, db)
            try db.execute(sql: "INSERT OR REPLACE INTO segments (segment, after, done) VALUES (?, ?, ?)",
                           arguments: [segment, position.after, position.done])
        }
    }

    /// Commits records and counters that belong to no segment (what a job does after its scan,
    /// e.g. one key's action), atomically.
    public func commit(_ page: PageRecords) async throws {
        try await queue.write { db in try Self.write(page, db) }
    }

    private static func write(_ page: PageRecords, _ db: Database) throws {
        for record in page.records {
            try db.execute(sql: "INSERT OR REPLACE INTO records (kind, key, value) VALUES (?, ?, ?)",
                           arguments: [record.kind, record.key, record.value])
        }
        for (name, amount) in page.counters where amount != 0 {
            try db.execute(sql: """
                INSERT INTO counters (name, value) VALUES (?, ?)
                ON CONFLICT(name) DO UPDATE SET value = value + excluded.value
                """, arguments: [name, amount])
        }
    }

    public func counters() throws -> [String: Int] {
        try queue.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT name, value FROM counters")
                .map { ($0["name"] as String, $0["value"] as Int) })
        }
    }

    /// Every record of one kind, in key order.
    public func records(kind: String) throws -> [Record] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT key, value FROM records WHERE kind = ? ORDER BY key", arguments: [kind])
                .map { Record(kind: kind, key: $0["key"], value: $0["value"]) }
        }
    }

    /// Every record of one kind, streamed in key order (for kinds too large to hold at once).
    public func forEachRecord(kind: String, _ body: (Record) throws -> Void) throws {
        try queue.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT key, value FROM records WHERE kind = ? ORDER BY key", arguments: [kind])
            while let row = try rows.next() { try body(Record(kind: kind, key: row["key"], value: row["value"])) }
        }
    }

    /// Records a value the run decided once and keeps across resumes (the export a run reads:
    /// a resumed run reads the same one, never asks for a new one). Written at once, durably.
    public func note(_ key: String, _ value: String) throws {
        try queue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                           arguments: ["note:" + key, Data(value.utf8)])
        }
    }

    /// A value ``note(_:_:)`` recorded, in this run or the run it resumes.
    public func noted(_ key: String) throws -> String? {
        try queue.read { db in
            try String.fetchOne(db, sql: "SELECT CAST(value AS TEXT) FROM meta WHERE key = ?", arguments: ["note:" + key])
        }
    }

    /// How many segments are finished.
    public func finishedSegments() throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM segments WHERE done = 1") ?? 0 }
    }

    deinit {
        // Left behind in rollback-journal mode, without -wal and -shm files, so that a later
        // read-only look (another run checking whose state this is) creates nothing beside it.
        try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
    }

    /// Removes the file of a finished run (kept when the run did not finish, for `--resume`).
    /// Only a file that still carries ``applicationID`` is removed: nothing this program did not
    /// create is ever deleted.
    public func discard() {
        try? queue.close()
        guard Self.identify(path) == .runState else { return }
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Temporary state (no `--checkpoint`) is always removed at the end.
    public var isTemporary: Bool { temporary }
}

public struct RunStateError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
