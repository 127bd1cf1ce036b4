import Crypto
import Foundation
import GRDB
import Synchronization
import UserVaultCore

/// A local stand-in for AWS KMS in the store's SQLite file: AES-256-GCM keys with states,
/// tags, a rotation flag and versions, encrypt and re-encrypt.
///
/// Unlike moto, key state is enforced on crypto calls as real KMS does (disabled →
/// `DisabledException`, pending deletion → `KMSInvalidStateException`).
public struct EmbeddedKeyService: KeyService {
    public let backendName = "embedded"
    /// The ARN prefix of local keys.
    public static let arnPrefix = "arn:aws:kms:local:000000000000:key/"
    let pool: DatabasePool
    /// Key material never changes once written, so it is cached (rotation adds versions).
    private let materials = MaterialCache()

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Accepts a bare key id or a key ARN.
    static func keyId(from reference: String) -> String {
        KeyReference.bareKeyId(reference)
    }

    public func createKey(description: String, tags: [String: String]) async throws -> KeyMetadata {
        let keyId = SegmentHash.keyId(owner: tags[UserKeys.ownerTag])
        let material = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let now = Date()
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO kms_keys (key_id, state, description, created_at) VALUES (?, 'Enabled', ?, ?)",
                arguments: [keyId, description, now.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO kms_key_versions (key_id, version, material) VALUES (?, 1, ?)",
                           arguments: [keyId, material])
            for (key, value) in tags {
                try db.execute(sql: "INSERT INTO kms_tags (key_id, tag_key, tag_value) VALUES (?, ?, ?)",
                               arguments: [keyId, key, value])
            }
            try ChangeLog.key(db, keyId)
        }
        return KeyMetadata(keyId: keyId, arn: Self.arnPrefix + keyId, state: .enabled, creationDate: now,
                           description: description)
    }

    public func enableKeyRotation(keyId reference: String) async throws {
        let keyId = Self.keyId(from: reference)
        try await pool.write { db in
            try Self.requireUsable(try Self.state(db, keyId))
            try db.execute(sql: "UPDATE kms_keys SET rotation_enabled = 1 WHERE key_id = ?", arguments: [keyId])
            try ChangeLog.key(db, keyId)
        }
    }

    public func rotateNow(keyId reference: String) async throws {
        let keyId = Self.keyId(from: reference)
        let material = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        try await pool.write { db in
            try Self.requireUsable(try Self.state(db, keyId))
            let version = try Self.currentVersion(db, keyId) + 1
            try db.execute(sql: "INSERT INTO kms_key_versions (key_id, version, material) VALUES (?, ?, ?)",
                           arguments: [keyId, Int(version), material])
            try db.execute(sql: "UPDATE kms_keys SET current_version = ?, last_rotated_at = ? WHERE key_id = ?",
                           arguments: [Int(version), Date().timeIntervalSince1970, keyId])
            try ChangeLog.key(db, keyId)
        }
    }

    public func materialDate(keyId reference: String) async throws -> Date? {
        let keyId = Self.keyId(from: reference)
        return try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT last_rotated_at, created_at FROM kms_keys WHERE key_id = ?",
                                             arguments: [keyId]) else { throw KeyServiceError.notFound }
            let seconds: Double? = row[0] ?? row[1]
            return seconds.map(Date.init(timeIntervalSince1970:))
        }
    }

    public func encrypt(keyId reference: String, plaintext: Data, context: [String: String]) async throws -> Data {
        let keyId = Self.keyId(from: reference)
        let (version, material) = try await pool.read { db in
            try Self.requireUsable(try Self.state(db, keyId))
            let version = try Self.currentVersion(db, keyId)
            return (version, try self.material(db, keyId: keyId, version: version))
        }
        return try LocalCiphertext.seal(plaintext, keyId: keyId, materialVersion: version, material: material,
                                        context: context)
    }

    public func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult {
        try await reEncrypt(all: [request])[0].get()
    }

    /// A page of re-encryptions: one read transaction for every key state and material, then
    /// the crypto.
    public func reEncrypt(all requests: [ReEncryptRequest]) async -> [Result<ReEncryptResult, any Error>] {
        typealias Inputs = (blob: LocalCiphertext, source: Data, destinationId: String, version: UInt32, destination: Data)
        let parsed: [Result<(LocalCiphertext, String), any Error>] = requests.map { request in
            guard let blob = LocalCiphertext(parsing: request.ciphertext) else { return .failure(KeyServiceError.invalidCiphertext) }
            if let expected = request.sourceKeyId, Self.keyId(from: expected) != blob.keyId {
                return .failure(KeyServiceError.incorrectKey)
            }
            return .success((blob, Self.keyId(from: request.destinationKeyId)))
        }
        let inputs: [Result<Inputs, any Error>]
        do {
            inputs = try await pool.read { db in
                // Every key's state, version and material for the whole batch in a few IN-list
                // queries (SQLite sorts the list and walks the B-tree in order), not a few per user.
                let ids = Set(parsed.flatMap { (try? $0.get()).map { [$0.0.keyId, $0.1] } ?? [] })
                let found = try Self.keyRecords(db, ids)
                return parsed.map { parsed in
                    parsed.flatMap { blob, destinationId in
                        Result {
                            guard let source = found[blob.keyId] else { throw KeyServiceError.notFound("key \(blob.keyId) does not exist") }
                            guard let destination = found[destinationId] else {
                                throw KeyServiceError.notFound("key \(destinationId) does not exist")
                            }
                            try Self.requireUsable(source.state)
                            try Self.requireUsable(destination.state)
                            let sourceMaterial = try (source.version == blob.materialVersion ? source.material : nil)
                                ?? self.material(db, keyId: blob.keyId, version: blob.materialVersion)
                            let destinationMaterial = try destination.material
                                ?? self.material(db, keyId: destinationId, version: destination.version)
                            return (blob, sourceMaterial, destinationId, destination.version, destinationMaterial)
                        }
                    }
                }
            }
        } catch {
            return requests.map { _ in .failure(error) }
        }
        return zip(inputs, requests).map { input, request in
            input.flatMap { input in
                Result {
                    guard let plaintext = input.blob.open(material: input.source, context: request.sourceContext) else {
                        throw KeyServiceError.invalidCiphertext
                    }
                    // The audit's proof re-encrypts to the same key version and context. The input,
                    // now opened and authenticated, is already a ciphertext of this plaintext under
                    // that key and context: it is the answer (no new nonce to draw, nothing to seal).
                    let sameTarget = input.destinationId == input.blob.keyId && input.version == input.blob.materialVersion
                        && request.destinationContext == request.sourceContext
                    let ciphertext = sameTarget
                        ? request.ciphertext
                        : try LocalCiphertext.seal(plaintext, keyId: input.destinationId, materialVersion: input.version,
                                                   material: input.destination, context: request.destinationContext)
                    return ReEncryptResult(sourceKeyId: Self.arnPrefix + input.blob.keyId,
                                           destinationKeyId: Self.arnPrefix + input.destinationId, ciphertext: ciphertext)
                }
            }
        }
    }

    /// Decrypts a ciphertext. Not part of ``KeyService``: nothing in the product decrypts; tests
    /// use it to prove that what was sealed opens to the same password.
    public func unsafeDecryptForTesting(_ ciphertext: Data, context: [String: String]) async throws -> Data {
        guard let blob = LocalCiphertext(parsing: ciphertext) else { throw KeyServiceError.invalidCiphertext }
        let material = try await pool.read { db in
            try Self.requireUsable(try Self.state(db, blob.keyId))
            return try self.material(db, keyId: blob.keyId, version: blob.materialVersion)
        }
        guard let plaintext = blob.open(material: material, context: context) else {
            throw KeyServiceError.invalidCiphertext
        }
        return plaintext
    }

    public func describeKey(keyId reference: String) async throws -> KeyMetadata {
        try await describeKeys([reference])[0].get()
    }

    public func describeKeys(_ references: [String]) async -> [Result<KeyMetadata, any Error>] {
        let keyIds = references.map(Self.keyId(from:))
        do {
            let rows = try await pool.read { db in
                var rows: [String: (state: String, description: String, created: Double)] = [:]
                try Self.forEachRow(db, "SELECT key_id, state, description, created_at FROM kms_keys WHERE key_id IN", Set(keyIds)) {
                    rows[$0[0]] = ($0[1], $0[2], $0[3])
                }
                return rows
            }
            return keyIds.map { keyId in
                guard let row = rows[keyId] else { return .failure(KeyServiceError.notFound("key \(keyId) does not exist")) }
                return .success(KeyMetadata(
                    keyId: keyId, arn: Self.arnPrefix + keyId, state: KeyState(rawValue: row.state) ?? .unavailable,
                    creationDate: Date(timeIntervalSince1970: row.created), description: row.description))
            }
        } catch {
            return references.map { _ in .failure(error) }
        }
    }

    public func scheduleKeyDeletion(keyId reference: String, pendingWindowDays: Int) async throws {
        let keyId = Self.keyId(from: reference)
        guard (7...30).contains(pendingWindowDays) else {
            throw KeyServiceError.unavailable("PendingWindowInDays must be between 7 and 30")
        }
        let deletion = Date().addingTimeInterval(Double(pendingWindowDays) * 86_400).timeIntervalSince1970
        try await pool.write { db in
            let state = try Self.state(db, keyId)
            guard state != .pendingDeletion else { throw KeyServiceError.invalidState("key \(keyId) is pending deletion") }
            try db.execute(sql: "UPDATE kms_keys SET state = 'PendingDeletion', deletion_date = ? WHERE key_id = ?",
                           arguments: [deletion, keyId])
            try ChangeLog.key(db, keyId)
        }
    }

    public func disableKey(keyId reference: String) async throws {
        let keyId = Self.keyId(from: reference)
        try await pool.write { db in
            guard try Self.state(db, keyId) != .pendingDeletion else {
                throw KeyServiceError.invalidState("key \(keyId) is pending deletion")
            }
            try db.execute(sql: "UPDATE kms_keys SET state = 'Disabled' WHERE key_id = ?", arguments: [keyId])
            try ChangeLog.key(db, keyId)
        }
    }

    public func keyRotationEnabled(keyId reference: String) async throws -> Bool {
        try await keyRotationEnabled(all: [reference])[0].get()
    }

    public func keyRotationEnabled(all references: [String]) async -> [Result<Bool, any Error>] {
        do {
            return try await pool.read { db in
                let statement = try db.cachedStatement(sql: "SELECT rotation_enabled FROM kms_keys WHERE key_id = ?")
                return references.map { reference in
                    let keyId = Self.keyId(from: reference)
                    return Result {
                        guard let enabled = try Bool.fetchOne(statement, arguments: [keyId]) else {
                            throw KeyServiceError.notFound("key \(keyId) does not exist")
                        }
                        return enabled
                    }
                }
            }
        } catch {
            return references.map { _ in .failure(error) }
        }
    }

    public func tags(keyId reference: String) async throws -> [String: String] {
        let keyId = Self.keyId(from: reference)
        return try await pool.read { db in
            _ = try Self.state(db, keyId)
            let rows = try Row.fetchAll(db, sql: "SELECT tag_key, tag_value FROM kms_tags WHERE key_id = ?",
                                        arguments: [keyId])
            return Dictionary(rows.map { ($0["tag_key"], $0["tag_value"]) }, uniquingKeysWith: { $1 })
        }
    }

    public func listKeyIds() async throws -> [String] {
        try await pool.read { db in try String.fetchAll(db, sql: "SELECT key_id FROM kms_keys ORDER BY key_id") }
    }

    public func tagKey(keyId reference: String, tags: [String: String]) async throws {
        let keyId = Self.keyId(from: reference)
        try await pool.write { db in
            _ = try Self.state(db, keyId)
            for (key, value) in tags {
                try db.execute(sql: "INSERT OR REPLACE INTO kms_tags (key_id, tag_key, tag_value) VALUES (?, ?, ?)",
                               arguments: [keyId, key, value])
            }
            try ChangeLog.key(db, keyId)
        }
    }

    /// One read of the tags table, by value.
    public func keysTagged(_ tagKey: String, values: [String]) async throws -> [TaggedKey] {
        guard !values.isEmpty else { return [] }
        return try await pool.read { db in
            let marks = Array(repeating: "?", count: values.count).joined(separator: ",")
            return try Row.fetchAll(
                db, sql: "SELECT key_id, tag_value FROM kms_tags WHERE tag_key = ? AND tag_value IN (\(marks)) ORDER BY key_id",
                arguments: StatementArguments([tagKey] + values)
            ).map { TaggedKey(keyId: Self.arnPrefix + ($0["key_id"] as String), value: $0["tag_value"]) }
        }
    }

    public func keysTagged(_ tagKey: String) async throws -> [TaggedKey] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT key_id, tag_value FROM kms_tags WHERE tag_key = ? ORDER BY key_id",
                             arguments: [tagKey])
                .map { TaggedKey(keyId: Self.arnPrefix + ($0["key_id"] as String), value: $0["tag_value"]) }
        }
    }

    // MARK: - Internals

    static func state(_ db: Database, _ keyId: String) throws -> KeyState {
        let statement = try db.cachedStatement(sql: "SELECT state FROM kms_keys WHERE key_id = ?")
        guard let raw = try String.fetchOne(statement, arguments: [keyId])
        else { throw KeyServiceError.notFound("key \(keyId) does not exist") }
        return KeyState(rawValue: raw) ?? .unavailable
    }

    /// What a batch needs to know of its keys: state, current version, and the current material.
    struct KeyRecord {
        var state: KeyState
        var version: UInt32
        /// The material of `version`.
        var material: Data?
    }

    /// The records of `keyIds`, in IN-lists of up to 500 ids; absent keys are absent.
    static func keyRecords(_ db: Database, _ keyIds: Set<String>) throws -> [String: KeyRecord] {
        var records: [String: KeyRecord] = [:]
        records.reserveCapacity(keyIds.count)
        try forEachRow(db, """
            SELECT k.key_id, k.state, k.current_version, v.material
            FROM kms_keys k LEFT JOIN kms_key_versions v ON v.key_id = k.key_id AND v.version = k.current_version
            WHERE k.key_id IN
            """, keyIds) { row in
            let version = UInt32(row[2] as Int)
            records[row[0]] = KeyRecord(state: KeyState(rawValue: row[1]) ?? .unavailable, version: version, material: row[3])
        }
        return records
    }

    /// Runs `select` (ending in `... IN`) over `keyIds` in lists of up to 500 (SQLite sorts each
    /// list and walks the key B-tree in order), calling `body` for every row.
    static func forEachRow(_ db: Database, _ select: String, _ keyIds: Set<String>, _ body: (Row) throws -> Void) throws {
        let ids = Array(keyIds)
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(ids.count, start + 500)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchCursor(db, sql: "\(select) (\(marks))", arguments: StatementArguments(chunk))
            while let row = try rows.next() { try body(row) }
        }
    }

    static func currentVersion(_ db: Database, _ keyId: String) throws -> UInt32 {
        let statement = try db.cachedStatement(sql: "SELECT current_version FROM kms_keys WHERE key_id = ?")
        return UInt32(try Int.fetchOne(statement, arguments: [keyId]) ?? 1)
    }

    static func requireUsable(_ state: KeyState) throws {
        switch state {
        case .enabled: return
        case .disabled: throw KeyServiceError.disabled
        default: throw KeyServiceError.invalidState("key state is \(state.rawValue)")
        }
    }

    private func material(_ db: Database, keyId: String, version: UInt32) throws -> Data {
        if let cached = materials.get(keyId, version) { return cached }
        let statement = try db.cachedStatement(sql: "SELECT material FROM kms_key_versions WHERE key_id = ? AND version = ?")
        guard let data = try Data.fetchOne(statement, arguments: [keyId, Int(version)])
        else { throw KeyServiceError.invalidCiphertext }
        materials.put(keyId, version, data)
        return data
    }
}

/// A bounded, lock-guarded cache of key material by (key id, version).
final class MaterialCache: Sendable {
    private struct Entry: Hashable { var keyId: String; var version: UInt32 }
    private let storage = Mutex<[Entry: Data]>([:])
    private let limit = 100_000

    func get(_ keyId: String, _ version: UInt32) -> Data? {
        storage.withLock { $0[Entry(keyId: keyId, version: version)] }
    }

    func put(_ keyId: String, _ version: UInt32, _ key: Data) {
        storage.withLock { cache in
            if cache.count >= limit { cache.removeAll(keepingCapacity: true) }
            cache[Entry(keyId: keyId, version: version)] = key
        }
    }
}
