import EmbeddedStore
import Foundation
import Synchronization
import Testing
import TestSupport
import UserVaultCore

/// `UserService.setPassword` on a real SQLite store: which key the new password goes under for
/// each finding it remedies, that it opens (with the user's context) to the new password, the
/// order of the write and the old key's deletion, and the old key kept while another record names it.
@Suite("Setting a user's password")
struct SetPasswordTests {
    static let newPassword = "a new passphrase, long enough"

    /// The calls that change something, in the order they reached the store.
    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    /// The store's key service, journaling CreateKey and ScheduleKeyDeletion.
    static func journaling(_ keys: any KeyService, _ journal: Journal) -> HookedKeyService {
        HookedKeyService(keys, afterCreateKey: { journal.add("CreateKey \($0.keyId)") },
                         beforeScheduleKeyDeletion: { journal.add("ScheduleKeyDeletion \(KeyReference.bareKeyId($0))") })
    }

    /// The store's table, journaling the conditional write; `beforeWrite` runs just before it
    /// (another writer's change, forced into the gap between the read and the write).
    static func journaling(_ table: any UserTable, _ journal: Journal,
                           beforeWrite: @escaping @Sendable (String) async throws -> Void = { _ in }) -> HookedUserTable {
        HookedUserTable(table, beforeReplaceCredentials: beforeWrite,
                        afterReplaceCredentials: { journal.add($1 ? "Write \($0)" : "WriteLost \($0)") })
    }

    static func service(_ store: TemporaryStore, table: (any UserTable)? = nil, keys: (any KeyService)? = nil) -> UserService {
        UserService(table: table ?? store.store.table, keys: keys ?? store.store.keys,
                    cursors: PageCursorCodec(secret: store.store.cursorSecret))
    }

    static func create(_ index: Int, in store: TemporaryStore) async throws -> (id: String, key: String) {
        let user = try await store.service.create(NewUserInput(
            firstname: "First", lastname: "Last", email: "user\(index)@example.com", username: "user\(index)",
            credentials: "the old password \(index)"))
        let key = try #require(try await store.store.table.item(id: user.id)?.credentialsKeyId)
        return (user.id, KeyReference.bareKeyId(key))
    }

    /// The user's credentials opened with context `{"userId": id}`, and the key they are under.
    static func opened(_ id: String, in store: TemporaryStore) async throws -> (password: String, key: String) {
        let item = try #require(try await store.store.table.item(id: id))
        guard case .binary(let ciphertext)? = item.credentials else { throw KeyServiceError.invalidCiphertext }
        let plaintext = try await store.store.keys.unsafeDecryptForTesting(ciphertext, context: UserKeys.encryptionContext(userId: id))
        return (String(decoding: plaintext, as: UTF8.self), KeyReference.bareKeyId(item.credentialsKeyId ?? ""))
    }

    @Test("missing, random and truncated credentials, and a legacy record: sealed under the user's own key, no key made")
    func ownKey() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        var users: [(id: String, key: String)] = []
        for index in 0..<3 { users.append(try await Self.create(index, in: store)) }
        let table = store.store.table
        // CREDENTIALS_MISSING, random bytes and a truncated ciphertext (NOT_KMS_CIPHERTEXT).
        let broken: [StoredCredentials?] = [nil, .binary(Data((0..<80).map { UInt8(truncatingIfNeeded: $0 &* 37) })), .binary(Data([1, 2, 3, 200]))]
        for (user, credentials) in zip(users, broken) {
            var item = try #require(try await table.item(id: user.id))
            item.credentials = credentials
            try await table.unconditionalPut(item)
        }
        // A legacy record: its key is the one tagged CreatedBy=<id>; no key id, no context.
        let legacyId = "7c1d0f55-0000-4000-8000-0000000000c1"
        let legacyKey = try await store.store.keys.createKey(description: "legacy", tags: ["CreatedBy": legacyId])
        try await table.unconditionalPut(StoredItem(
            id: legacyId, type: "users", firstname: "Legacy", lastname: "User", email: "legacy@example.com", username: "legacy",
            credentials: .binary(try await store.store.keys.encrypt(keyId: legacyKey.keyId, plaintext: Data("old".utf8), context: [:]))))
        users.append((legacyId, legacyKey.keyId))
        let keyCount = try await store.store.keys.listKeyIds().count

        for user in users {
            let change = try await Self.service(store).setPassword(userId: user.id, password: Self.newPassword)
            #expect(change.newKeyReason == nil && change.previousKey == nil, "\(change)")
            #expect(KeyReference.bareKeyId(change.keyId) == user.key)
            let opened = try await Self.opened(user.id, in: store)
            #expect(opened == (Self.newPassword, user.key), "opens with context {userId} to the new password, under its own key")
            #expect(!change.summary.contains(Self.newPassword))
        }
        #expect(try await store.store.keys.listKeyIds().count == keyCount, "no key made")
    }

    @Test("a key that is gone, pending deletion, disabled or tagged for someone else: a new key; only the user's own disabled key is retired")
    func newKey() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let keys = store.store.keys
        let gone = try await Self.create(0, in: store), pending = try await Self.create(1, in: store)
        let disabled = try await Self.create(2, in: store), foreign = try await Self.create(3, in: store)
        var item = try #require(try await store.store.table.item(id: gone.id))
        item.credentialsKeyId = EmbeddedKeyService.arnPrefix + "0f0f0f0f-0000-4000-8000-00000000dead"
        try await store.store.table.unconditionalPut(item)
        try await keys.scheduleKeyDeletion(keyId: pending.key, pendingWindowDays: 7)
        try await keys.disableKey(keyId: disabled.key)
        try await keys.tagKey(keyId: foreign.key, tags: ["CreatedBy": "5e1f0000-0000-4000-8000-000000000bad"])

        var changes: [String: PasswordChange] = [:]
        for user in [gone, pending, disabled, foreign] {
            let change = try await Self.service(store).setPassword(userId: user.id, password: Self.newPassword)
            changes[user.id] = change
            let newKey = KeyReference.bareKeyId(change.keyId)
            #expect(newKey != user.key && change.newKeyReason != nil, "\(change)")
            #expect(try await keys.tags(keyId: newKey)["CreatedBy"] == user.id)
            #expect(try await keys.keyRotationEnabled(keyId: newKey))
            #expect(try await Self.opened(user.id, in: store) == (Self.newPassword, newKey))
        }
        #expect(changes[gone.id]?.previousKey == nil && changes[gone.id]?.newKeyReason?.contains("does not exist") == true)
        #expect(changes[pending.id]?.retirement == .alreadyPendingDeletion)
        #expect(changes[disabled.id]?.retirement == .scheduled(days: 30), "\(String(describing: changes[disabled.id]))")
        #expect(try await keys.describeKey(keyId: disabled.key).state == .pendingDeletion)
        #expect(changes[foreign.id]?.retirement == .notTheUsers(owner: "5e1f0000-0000-4000-8000-000000000bad"))
        #expect(try await keys.describeKey(keyId: foreign.key).state == .enabled, "someone else's key is not retired")
    }

    @Test("the old key's deletion is scheduled after the write, never before it; a lost write leaves the old key alone")
    func ordering() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let user = try await Self.create(0, in: store)
        try await store.store.keys.disableKey(keyId: user.key)
        let journal = Journal()
        let change = try await Self.service(store, table: Self.journaling(store.store.table, journal),
                                            keys: Self.journaling(store.store.keys, journal))
            .setPassword(userId: user.id, password: Self.newPassword)
        let newKey = KeyReference.bareKeyId(change.keyId)
        #expect(journal.all == ["CreateKey \(newKey)", "Write \(user.id)", "ScheduleKeyDeletion \(user.key)"], "\(journal.all)")

        // The record changes between the read and the write: nothing is written, the new key is
        // discarded, and the old key is not touched.
        let other = try await Self.create(1, in: store)
        try await store.store.keys.disableKey(keyId: other.key)
        let racing = Journal()
        let base = store.store.table
        let concurrent = Data((0..<96).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) })
        let table = Self.journaling(base, racing) { _ in
            var item = try #require(try await base.item(id: other.id))
            item.credentials = .binary(concurrent)
            try await base.unconditionalPut(item)
        }
        await #expect(throws: PasswordChangeError.changedMeanwhile(other.id)) {
            _ = try await Self.service(store, table: table, keys: Self.journaling(store.store.keys, racing))
                .setPassword(userId: other.id, password: Self.newPassword)
        }
        let made = try #require(racing.all.first.map { String($0.dropFirst("CreateKey ".count)) })
        #expect(racing.all == ["CreateKey \(made)", "WriteLost \(other.id)", "ScheduleKeyDeletion \(made)"], "\(racing.all)")
        #expect(try await base.item(id: other.id)?.credentials == .binary(concurrent), "the concurrent change stands")
        #expect(try await store.store.keys.describeKey(keyId: other.key).state == .disabled, "the old key untouched")
        #expect(try await store.store.keys.describeKey(keyId: made).state == .pendingDeletion, "the new key discarded")
    }

    @Test("the old key is kept while another user's record names it")
    func referenced() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let owner = try await Self.create(0, in: store), borrower = try await Self.create(1, in: store)
        var item = try #require(try await store.store.table.item(id: borrower.id))
        item.credentialsKeyId = EmbeddedKeyService.arnPrefix + owner.key
        try await store.store.table.unconditionalPut(item)
        try await store.store.keys.disableKey(keyId: owner.key)
        let journal = Journal()
        let change = try await Self.service(store, keys: Self.journaling(store.store.keys, journal))
            .setPassword(userId: owner.id, password: Self.newPassword)
        #expect(change.retirement == .referenced(by: [borrower.id]), "\(change)")
        #expect(!journal.all.contains { $0.hasPrefix("ScheduleKeyDeletion") }, "\(journal.all)")
        #expect(try await store.store.keys.describeKey(keyId: owner.key).state == .disabled)
        #expect(try await KeyRetirement.otherUsers(naming: owner.key, except: owner.id, in: store.store.table) == [borrower.id])
    }

    @Test("a password the create path would refuse, or an unknown user: nothing changes")
    func refused() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let user = try await Self.create(0, in: store)
        let before = try await store.store.table.item(id: user.id)
        for password in ["short", "", String(repeating: "x", count: 1025)] as [String?] + [nil] {
            await #expect(throws: ValidationFailure.self) {
                _ = try await Self.service(store).setPassword(userId: user.id, password: password)
            }
        }
        await #expect(throws: PasswordChangeError.noSuchUser("")) {
            _ = try await Self.service(store).setPassword(userId: "0f0f0f0f-0000-4000-8000-000000000000", password: Self.newPassword)
        }
        #expect(try await store.store.table.item(id: user.id) == before)
    }
}
