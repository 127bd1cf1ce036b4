import EmbeddedStore
import Foundation
import Logging
import Testing
import TestSupport
import UserVaultCore

/// The change log `uservault watch` follows: every write path of the store records what it
/// changed in the same transaction, and nothing else does.
@Suite("The embedded store's change log")
struct ChangeLogTests {
    static func all(_ store: EmbeddedStore) async throws -> [Change] {
        let start = try await store.changes.start(from: .oldest)
        return try await store.changes.changes(after: start, limit: 10_000).changes
    }

    static func since(_ store: EmbeddedStore, _ position: FeedPosition) async throws -> [Change.Subject] {
        try await store.changes.changes(after: position, limit: 10_000).changes.map(\.subject)
    }

    @Test("every write path records the ids it changed (items and keys), in order; a write that fails records nothing; latest skips what came before")
    func writePaths() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanup() }
        let store = temporary.store
        #expect(try await Self.all(store).isEmpty)

        // The create path: a key (created, rotation on), then the user and its email guard.
        let created = try await temporary.service.create(.init(firstname: "Ada", lastname: "Lovelace", email: "ada@example.com",
                                                               username: "ada", credentials: "a long passphrase"),
                                                         logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        let item = try #require(try await store.table.item(id: created.id))
        let keyId = KeyReference.bareKeyId(try #require(item.credentialsKeyId))
        let guardId = EmailGuard.itemId(forEmail: "ada@example.com")
        let log = try await Self.all(store)
        #expect(log.map(\.subject) == [.key(keyId), .key(keyId), .item(created.id), .item(guardId)])
        #expect(log.map(\.kind) == [.modify, .modify, .insert, .insert])
        #expect(log.map(\.sequence) == log.indices.map { String($0 + 1) }, "increasing, without gaps")

        // A duplicate email: the transaction fails, and so does its record.
        var mark = try await store.changes.start(from: .latest)
        await #expect(throws: (any Error).self) {
            _ = try await temporary.service.create(.init(firstname: "Ada", lastname: "King", email: "ADA@example.com",
                                                         username: "ada2", credentials: "another passphrase"),
                                                   logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        }
        // (the failed create made a key, then scheduled its deletion: key changes only)
        #expect(try await Self.since(store, mark).allSatisfy { if case .key = $0 { true } else { false } })

        // Item writes: a put of an existing item (MODIFY), of a new one (INSERT), a guard, a conditional repair.
        mark = try await store.changes.start(from: .latest)
        var changed = item
        changed.credentials = .string("plaintext")
        try await store.table.unconditionalPut(changed)
        let stranger = StoredItem(id: UUID().uuidString.lowercased(), type: userItemType, credentials: .string("x"))
        try await store.table.unconditionalPut(stranger)
        _ = try await store.table.claimEmailGuard(email: "grace@example.com", userId: stranger.id)
        #expect(try await store.table.replaceCredentials(userId: stranger.id, expected: .string("no such value"), expectedKeyId: nil,
                                                         ciphertext: Data([1]), keyId: keyId, createdAt: nil) == false)
        #expect(try await store.table.replaceCredentials(userId: stranger.id, expected: .string("x"), expectedKeyId: nil,
                                                         ciphertext: Data([1, 2]), keyId: keyId, createdAt: nil))
        let batch = try await store.changes.changes(after: mark, limit: 100)
        #expect(batch.changes.map(\.subject) == [.item(item.id), .item(stranger.id), .item(EmailGuard.itemId(forEmail: "grace@example.com")),
                                                 .item(stranger.id)], "the failed conditional write records nothing")
        #expect(batch.changes.map(\.kind) == [.modify, .insert, .insert, .modify])

        // Key writes: disable, schedule deletion, tags, rotation.
        mark = batch.position
        let other = try await store.keys.createKey(description: "k", tags: [:])
        try await store.keys.tagKey(keyId: other.keyId, tags: ["CreatedBy": "someone"])
        try await store.keys.enableKeyRotation(keyId: other.keyId)
        try await store.keys.rotateNow(keyId: other.keyId)
        try await store.keys.disableKey(keyId: other.keyId)
        try await store.keys.scheduleKeyDeletion(keyId: other.keyId, pendingWindowDays: 7)
        #expect(try await Self.since(store, mark) == Array(repeating: .key(other.keyId), count: 6))

        // Reads record nothing; a limit pages the log.
        mark = try await store.changes.start(from: .latest)
        _ = try await store.table.item(id: item.id)
        _ = try await store.keys.describeKey(keyId: keyId)
        #expect(try await Self.since(store, mark).isEmpty)
        let first = try await store.changes.changes(after: try await store.changes.start(from: .oldest), limit: 3)
        #expect(first.changes.count == 3)
        let rest = try await store.changes.changes(after: first.position, limit: 10_000)
        #expect(first.changes.count + rest.changes.count == (try await Self.all(store)).count)
        #expect(rest.lost == false)
    }

    @Test("the bulk loader records each user and guard it writes")
    func bulk() async throws {
        let temporary = try TemporaryStore()
        defer { temporary.cleanup() }
        let ids = try await temporary.store.bulkLoadSyntheticUsers(count: 10, seed: 3)
        let items = try await Self.all(temporary.store).compactMap { change -> String? in
            if case .item(let id) = change.subject, !id.hasPrefix(EmailGuard.idPrefix) { return id } else { return nil }
        }
        #expect(items == ids)
    }
}
