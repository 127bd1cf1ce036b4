import Foundation
import GRDB
import UserVaultCore

/// The users table in SQLite, with DynamoDB's semantics: transactional conditional writes,
/// an email index, segmented scans over stable hash ranges and exclusive-start paging.
public struct EmbeddedUserTable: UserTable {
    public let backendName = "embedded"
    public let tableName: String
    let pool: DatabasePool

    init(pool: DatabasePool, tableName: String) {
        self.pool = pool
        self.tableName = tableName
    }

    /// Columns of the allow-list projection: `credentials` is not among them.
    static let publicColumns = "id, type, firstname, lastname, email, username, created_at"
    static let fullColumns = publicColumns + ", credentials, credentials_key_id"
    /// Columns of the key-references projection: no credentials, no personal data.
    static let keyReferenceColumns = "id, type, credentials_key_id"

    public func ensureTable() async throws -> Bool {
        // The schema is migrated when the store opens; nothing is ever missing here.
        false
    }

    public func insertUser(_ record: NewUserRecord) async throws {
        let guardId = EmailGuard.itemId(forEmail: record.attributes.email)
        try await pool.write { db in
            // Serialised by SQLite's single writer: the checks and both inserts are one transaction.
            if try Self.exists(db, id: guardId) { throw UserTableError.duplicateEmail }
            if try Self.exists(db, id: record.id) { throw UserTableError.idExists }
            let user = StoredItem(
                id: record.id, type: userItemType, firstname: record.attributes.firstname,
                lastname: record.attributes.lastname, email: record.attributes.email,
                username: record.attributes.username, createdAt: record.attributes.createdAt,
                credentials: .binary(record.credentials), credentialsKeyId: record.credentialsKeyId)
            try Self.put(db, user)
            try db.execute(sql: "INSERT INTO items (h, id, type, guard_user_id) VALUES (?, ?, ?, ?)",
                           arguments: [SegmentHash.hash(guardId), guardId, EmailGuard.itemType, record.id])
            try ChangeLog.item(db, record.id, inserted: true)
            try ChangeLog.item(db, guardId, inserted: true)
        }
    }

    public func user(id: String) async throws -> UserSummary? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.publicColumns) FROM items WHERE h = ? AND id = ? AND type = 'users'",
                arguments: [SegmentHash.hash(id), id]
            ).flatMap { Self.item(from: $0, full: false).summary }
        }
    }

    public func item(id: String) async throws -> StoredItem? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.fullColumns) FROM items WHERE h = ? AND id = ?",
                             arguments: [SegmentHash.hash(id), id]).map { Self.item(from: $0, full: true) }
        }
    }

    public func users(withEmails emails: [String]) async throws -> [UserSummary] {
        guard !emails.isEmpty else { return [] }
        return try await pool.read { db in
            let marks = Array(repeating: "?", count: emails.count).joined(separator: ", ")
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.publicColumns) FROM items WHERE email IN (\(marks)) AND type = 'users' ORDER BY id",
                arguments: StatementArguments(emails)
            ).compactMap { Self.item(from: $0, full: false).summary }
        }
    }

    public func scan(_ request: ScanRequest) async throws -> ScanPage {
        let projection = request.projection
        let (sql, arguments) = Self.scanQuery(request)
        return try await pool.read { db in
            var items: [StoredItem] = []
            items.reserveCapacity(min(request.limit, 10_000))
            var bytes = 0
            var more = false
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                if items.count == request.limit { more = true; break }
                let item = Self.item(from: row, projection: projection)
                bytes += Self.approximateSize(item)
                items.append(item)
            }
            // DynamoDB: 0.5 RCU per 4 KB, eventually consistent, rounded up per page.
            let units = (Double(bytes) / 4096).rounded(.up) * 0.5
            return ScanPage(items: items, lastEvaluatedId: more ? items.last?.id : nil,
                            scannedCount: items.count, consumedReadUnits: units)
        }
    }

    /// The SELECT of one scan page: the segment's hash range, after the last page's item, in
    /// primary-key order, one row more than the page to tell whether there is more.
    static func scanQuery(_ request: ScanRequest) -> (sql: String, arguments: StatementArguments) {
        let range = SegmentHash.range(segment: request.segment, of: request.totalSegments)
        let columns = switch request.projection {
        case .full: Self.fullColumns
        case .publicAttributes: Self.publicColumns
        case .keyReferences: Self.keyReferenceColumns
        }
        var sql = "SELECT \(columns) FROM items WHERE h >= ? AND h < ?"
        var arguments: [(any DatabaseValueConvertible)?] = [range.lowerBound, range.upperBound]
        if let after = request.startAfter {
            // The row value alone does not bound SQLite's primary-key search (it seeks to
            // `h >= lower`, the segment's start, and steps over every earlier row: each page of a
            // segment cost more than the last). The page's own hash as the lower bound seeks to it.
            let afterHash = SegmentHash.hash(after)
            arguments[0] = max(range.lowerBound, afterHash)
            sql += " AND (h, id) > (?, ?)"
            arguments += [afterHash, after]
        }
        if request.usersOnly { sql += " AND type = 'users'" }
        sql += " ORDER BY h, id LIMIT ?"
        arguments.append(request.limit + 1)
        return (sql, StatementArguments(arguments))
    }

    public func unconditionalPut(_ item: StoredItem) async throws {
        try await pool.write { db in
            let existed = try Self.exists(db, id: item.id)
            try Self.put(db, item)
            try ChangeLog.item(db, item.id, inserted: !existed)
        }
    }

    /// Items are spread evenly over the segment hash (SHA-256), so counting the first 1/64 of the
    /// hash space and scaling is within a few percent for a large table — and reads 1/64 of it
    /// (`count(*)` of a million users reads the whole table: seconds). Small tables are counted.
    public func approximateItemCount() async throws -> Int? {
        try await pool.read { db in
            let sample = try Int.fetchOne(db, sql: "SELECT count(*) FROM items WHERE h < ?",
                                          arguments: [Int64(SegmentHash.space / 64)]) ?? 0
            guard sample >= 1_000 else { return try Int.fetchOne(db, sql: "SELECT count(*) FROM items") }
            return sample * 64
        }
    }

    public func emailGuardHolder(email: String) async throws -> String? {
        let id = EmailGuard.itemId(forEmail: email)
        return try await pool.read { db in try Self.guardHolder(db, id) }
    }

    public func claimEmailGuard(email: String, userId: String) async throws -> String {
        let id = EmailGuard.itemId(forEmail: email)
        return try await pool.write { db in
            // One transaction on SQLite's single writer: the check and the insert cannot interleave.
            if let holder = try Self.guardHolder(db, id) { return holder }
            try db.execute(sql: "INSERT INTO items (h, id, type, guard_user_id) VALUES (?, ?, ?, ?)",
                           arguments: [SegmentHash.hash(id), id, EmailGuard.itemType, userId])
            try ChangeLog.item(db, id, inserted: true)
            return userId
        }
    }

    public func replaceCredentials(userId: String, expected: StoredCredentials?, expectedKeyId: String?, ciphertext: Data,
                                   keyId: String, createdAt: String?) async throws -> Bool {
        // What the record must still hold: the value read, none, or (a value of another type,
        // which `put` stores as a number) a number.
        let (held, old): (String, [DatabaseValue]) = switch expected {
        case nil: ("credentials IS NULL", [])
        case .binary(let data)?: ("credentials = ?", [data.databaseValue])
        case .string(let text)?: ("credentials = ?", [text.databaseValue])
        case .other?: ("typeof(credentials) IN ('integer', 'real')", [])
        }
        return try await pool.write { db in
            try db.execute(sql: """
                UPDATE items SET credentials = ?, credentials_key_id = ?, created_at = COALESCE(created_at, ?)
                WHERE h = ? AND id = ? AND type = 'users' AND \(held) AND credentials_key_id IS ?
                """, arguments: StatementArguments([ciphertext.databaseValue, keyId.databaseValue, createdAt.databaseValue,
                                                  SegmentHash.hash(userId).databaseValue, userId.databaseValue] + old
                                                 + [expectedKeyId.databaseValue]))
            guard db.changesCount == 1 else { return false }
            try ChangeLog.item(db, userId, inserted: false)
            return true
        }
    }

    static func guardHolder(_ db: Database, _ id: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT guard_user_id FROM items WHERE h = ? AND id = ?", arguments: [SegmentHash.hash(id), id])
    }

    // MARK: - Rows

    static func exists(_ db: Database, id: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM items WHERE h = ? AND id = ?)",
                          arguments: [SegmentHash.hash(id), id]) ?? false
    }

    static func put(_ db: Database, _ item: StoredItem) throws {
        let credentials: DatabaseValue
        switch item.credentials {
        case nil: credentials = .null
        case .binary(let data)?: credentials = data.databaseValue
        case .string(let string)?: credentials = string.databaseValue
        case .other?: credentials = 0.databaseValue
        }
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO items
                (h, id, type, firstname, lastname, email, username, created_at, credentials, credentials_key_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(
            arguments: [SegmentHash.hash(item.id), item.id, item.type, item.firstname, item.lastname, item.email,
                        item.username, item.createdAt, credentials, item.credentialsKeyId])
    }

    /// A row of the columns of `projection`, read by position: the scan's hot path.
    static func item(from row: Row, projection: ScanProjection) -> StoredItem {
        switch projection {
        case .full: item(from: row, full: true)
        case .publicAttributes: item(from: row, full: false)
        case .keyReferences: StoredItem(id: row[0], type: row[1], credentialsKeyId: row[2])
        }
    }

    /// A row of ``publicColumns`` (or ``fullColumns``), read by position.
    static func item(from row: Row, full: Bool) -> StoredItem {
        var item = StoredItem(
            id: row[0], type: row[1], firstname: row[2], lastname: row[3], email: row[4], username: row[5], createdAt: row[6])
        guard full else { return item }
        item.credentialsKeyId = row[8]
        let value: DatabaseValue = row[7]
        switch value.storage {
        case .null: item.credentials = nil
        case .blob(let data): item.credentials = .binary(data)
        case .string(let string): item.credentials = .string(string)
        case .int64: item.credentials = .other(typeName: "N")
        case .double: item.credentials = .other(typeName: "N")
        }
        return item
    }

    static func approximateSize(_ item: StoredItem) -> Int {
        var size = item.id.utf8.count + 40
        for field in [item.type, item.firstname, item.lastname, item.email, item.username, item.createdAt,
                      item.credentialsKeyId] {
            size += field?.utf8.count ?? 0
        }
        switch item.credentials {
        case .binary(let data)?: size += data.count
        case .string(let string)?: size += string.utf8.count
        default: break
        }
        return size
    }
}
