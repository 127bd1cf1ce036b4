import CSQLiteSettings
import Foundation
import GRDB
import UserVaultCore

/// One SQLite file holding the users table and the local key service: the default backend.
///
/// ```swift
/// let store = try EmbeddedStore(path: ".uservault/store.sqlite")
/// let service = UserService(table: store.table, keys: store.keys, cursors: PageCursorCodec(secret: store.cursorSecret))
/// ```
///
/// - Warning: the local key service keeps its key material in the same file (created mode
///   0600). It stands in for KMS in development, demos and tests; production uses AWS KMS.
public final class EmbeddedStore: Sendable {
    /// Tunables; every parameter has a default.
    public struct Configuration: Sendable {
        public var tableName: String
        /// Open read-only? (audits and exports never write).
        public var readOnly: Bool
        /// How long a writer waits for the SQLite lock held by another process.
        public var busyTimeout: TimeInterval
        /// SQLite page cache per connection, KiB. The default suits sequential reads (scans,
        /// exports); the audit's random key lookups want more (``largePageCacheKiB``).
        public var pageCacheKiB: Int

        /// 8 MiB per connection: with SQLite's 2 MiB, the audit's key lookups go to pread(2) for
        /// most B-tree pages.
        public static let largePageCacheKiB = 8192

        public init(tableName: String = "users", readOnly: Bool = false, busyTimeout: TimeInterval = 30,
                    pageCacheKiB: Int = 2048) {
            self.tableName = tableName
            self.readOnly = readOnly
            self.busyTimeout = busyTimeout
            self.pageCacheKiB = pageCacheKiB
        }
    }

    public let path: String
    public let table: EmbeddedUserTable
    public let keys: EmbeddedKeyService
    /// What changed, in order: the change log every write records (for `uservault watch`).
    public let changes: EmbeddedChangeFeed
    /// The secret that seals list cursors for this store.
    public let cursorSecret: Data
    let pool: DatabasePool

    /// Process-wide SQLite settings, made once before SQLite's first use: memory statistics off
    /// (their global mutex serialised every allocation of the parallel readers). The program
    /// calls this first thing; a store opened without it works the same, only slower.
    public static func configureSQLite() {
        _ = sqliteConfigured
    }

    private static let sqliteConfigured: Bool = uservault_sqlite_disable_memory_statistics() == 0

    /// Opens (creating when missing) the store at `path`.
    public init(path: String, configuration: Configuration = .init()) throws {
        Self.configureSQLite()
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let fileManager = FileManager.default
        let existed = fileManager.fileExists(atPath: path)
        if !configuration.readOnly {
            try PrivateDirectory.create(at: directory)
        } else if !existed {
            throw EmbeddedStoreError.missingStore(path)
        }
        var grdb = GRDB.Configuration()
        grdb.readonly = configuration.readOnly
        grdb.busyMode = .timeout(configuration.busyTimeout)
        grdb.maximumReaderCount = max(4, ProcessInfo.processInfo.activeProcessorCount * 2)
        let cacheKiB = configuration.pageCacheKiB
        grdb.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)")
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        do {
            pool = try DatabasePool(path: path, configuration: grdb)
        } catch {
            throw EmbeddedStoreError.cannotOpen(path, reason: "\(error)")
        }
        if !existed {
            for suffix in ["", "-wal", "-shm"] where fileManager.fileExists(atPath: path + suffix) {
                try? fileManager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path + suffix)
            }
        }
        if !configuration.readOnly {
            try Self.migrator.migrate(pool)
        }
        self.path = path
        cursorSecret = try pool.read { db in
            guard let secret = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'cursor_secret'") else {
                throw EmbeddedStoreError.notAStore(path)
            }
            return secret
        }
        table = EmbeddedUserTable(pool: pool, tableName: configuration.tableName)
        keys = EmbeddedKeyService(pool: pool)
        changes = EmbeddedChangeFeed(pool: pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL);
                -- The users table, clustered by segment hash so a segment is one range read.
                CREATE TABLE items (
                    h INTEGER NOT NULL,
                    id TEXT NOT NULL,
                    type TEXT,
                    firstname TEXT, lastname TEXT, email TEXT, username TEXT, created_at TEXT,
                    credentials,
                    credentials_key_id TEXT,
                    guard_user_id TEXT,
                    PRIMARY KEY (h, id)
                ) WITHOUT ROWID;
                CREATE INDEX items_email ON items(email) WHERE email IS NOT NULL;
                CREATE TABLE kms_keys (
                    key_id TEXT PRIMARY KEY NOT NULL,
                    state TEXT NOT NULL,
                    description TEXT NOT NULL,
                    rotation_enabled INTEGER NOT NULL DEFAULT 0,
                    current_version INTEGER NOT NULL DEFAULT 1,
                    created_at REAL NOT NULL,
                    last_rotated_at REAL,
                    deletion_date REAL
                );
                CREATE TABLE kms_key_versions (
                    key_id TEXT NOT NULL REFERENCES kms_keys(key_id),
                    version INTEGER NOT NULL,
                    material BLOB NOT NULL,
                    PRIMARY KEY (key_id, version)
                ) WITHOUT ROWID;
                CREATE TABLE kms_tags (
                    key_id TEXT NOT NULL REFERENCES kms_keys(key_id),
                    tag_key TEXT NOT NULL,
                    tag_value TEXT NOT NULL,
                    PRIMARY KEY (key_id, tag_key)
                ) WITHOUT ROWID;
                """)
            var secret = Data(count: 32)
            var generator = SystemRandomNumberGenerator()
            for index in secret.indices { secret[index] = UInt8.random(in: .min ... .max, using: &generator) }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('cursor_secret', ?)", arguments: [secret])
        }
        // Keys clustered by key id (WITHOUT ROWID): with key ids that sort with their owners'
        // items, the audit's lookups then read the key table in order instead of at random.
        migrator.registerMigration("v2-clustered-keys") { db in
            try db.execute(sql: """
                CREATE TABLE kms_keys_clustered (
                    key_id TEXT PRIMARY KEY NOT NULL,
                    state TEXT NOT NULL,
                    description TEXT NOT NULL,
                    rotation_enabled INTEGER NOT NULL DEFAULT 0,
                    current_version INTEGER NOT NULL DEFAULT 1,
                    created_at REAL NOT NULL,
                    last_rotated_at REAL,
                    deletion_date REAL
                ) WITHOUT ROWID;
                INSERT INTO kms_keys_clustered SELECT key_id, state, description, rotation_enabled, current_version,
                    created_at, last_rotated_at, deletion_date FROM kms_keys;
                DROP TABLE kms_keys;
                ALTER TABLE kms_keys_clustered RENAME TO kms_keys;
                """)
        }
        // The change log `uservault watch` follows (``ChangeLog``).
        migrator.registerMigration("v3-change-log") { db in
            try db.execute(sql: ChangeLog.schema)
        }
        return migrator
    }
}

/// Why the embedded store could not be opened.
public struct EmbeddedStoreError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public static func missingStore(_ path: String) -> Self {
        .init(description: "no store at \(path) (run `uservault seed` or `uservault init` first)")
    }
    static func cannotOpen(_ path: String, reason: String) -> Self {
        .init(description: "cannot open the store at \(path): \(reason)")
    }
    static func notAStore(_ path: String) -> Self {
        .init(description: "\(path) is not a UserVault store")
    }
}
