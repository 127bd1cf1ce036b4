import Crypto
import Foundation
import GRDB
import UserVaultCore

extension EmbeddedStore {
    /// Writes `count` synthetic users the way the create path does — each with its own key
    /// (AES-256, tagged `CreatedBy=<id>`, rotation on), credentials sealed under it with context
    /// `{"userId": id}`, `credentialsKeyId`, `createdAt` and the email guard — but thousands of
    /// users per transaction instead of several transactions per user.
    ///
    /// For benchmarks and large test fixtures only (a million users in well under a minute);
    /// `uservault seed` goes through the real create path. The passwords are random and dropped.
    ///
    /// - Returns: the ids written, in order.
    @discardableResult
    public func bulkLoadSyntheticUsers(count: Int, seed: UInt64, batchSize: Int = 10_000,
                                       progress: @Sendable (Int) -> Void = { _ in }) async throws -> [String] {
        var generator = SeededGenerator(seed: seed)
        var ids: [String] = []
        ids.reserveCapacity(count)
        let createdAt = UserService.timestamp(Date())
        var start = 0
        while start < count {
            let end = min(count, start + batchSize)
            var batch: [(user: StoredItem, keyId: String, material: Data)] = []
            batch.reserveCapacity(end - start)
            for index in start..<end {
                let input = SyntheticUsers.make(index: index, using: &generator)
                let id = UUID().uuidString.lowercased()
                let keyId = SegmentHash.keyId(owner: id)
                let material = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
                let ciphertext = try LocalCiphertext.seal(
                    Data((input.credentials ?? "").utf8), keyId: keyId, materialVersion: 1, material: material,
                    context: UserKeys.encryptionContext(userId: id))
                let user = StoredItem(
                    id: id, type: userItemType, firstname: input.firstname, lastname: input.lastname, email: input.email,
                    username: input.username, createdAt: createdAt, credentials: .binary(ciphertext),
                    credentialsKeyId: EmbeddedKeyService.arnPrefix + keyId)
                batch.append((user, keyId, material))
                ids.append(id)
            }
            let now = Date().timeIntervalSince1970
            try await pool.write { [batch] db in
                // A larger page cache for the writer: the random inserts of a big load otherwise
                // spend their time in pread(2).
                try db.execute(sql: "PRAGMA cache_size = -131072")
                let key = try db.cachedStatement(sql: """
                    INSERT INTO kms_keys (key_id, state, description, rotation_enabled, created_at) VALUES (?, 'Enabled', ?, 1, ?)
                    """)
                let version = try db.cachedStatement(sql: "INSERT INTO kms_key_versions (key_id, version, material) VALUES (?, 1, ?)")
                let tag = try db.cachedStatement(sql: "INSERT INTO kms_tags (key_id, tag_key, tag_value) VALUES (?, ?, ?)")
                let guardItem = try db.cachedStatement(sql: "INSERT INTO items (h, id, type, guard_user_id) VALUES (?, ?, ?, ?)")
                for (user, keyId, material) in batch {
                    try key.execute(arguments: [keyId, UserKeys.keyDescription(userId: user.id), now])
                    try version.execute(arguments: [keyId, material])
                    try tag.execute(arguments: [keyId, UserKeys.ownerTag, user.id])
                    try EmbeddedUserTable.put(db, user)
                    let guardId = EmailGuard.itemId(forEmail: user.email ?? "")
                    try guardItem.execute(arguments: [SegmentHash.hash(guardId), guardId, EmailGuard.itemType, user.id])
                    try ChangeLog.item(db, user.id, inserted: true)
                    try ChangeLog.item(db, guardId, inserted: true)
                }
                try db.execute(sql: "PRAGMA cache_size = -8192")
            }
            start = end
            progress(end)
        }
        return ids
    }
}
