import EmbeddedStore
import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `EncryptPlaintextBackfill` on the embedded store, called directly: a dry run plans
/// `ENCRYPT_PLAINTEXT` for exactly the plaintext credentials and creates no key; apply seals each
/// with context `{"userId": id}` under the user's own key when it can take it, else under a new
/// CMK tagged for its user (rotation on), leaving the unusable one as it is; a second apply finds
/// nothing plaintext.
@Suite("EncryptPlaintextBackfill: dry run, apply, apply again")
struct EncryptPlaintextBackfillTests {
    @Test("plaintext strings and bytes end encrypted under the user's own key (a new one when it is disabled), decrypting with {userId} to the planted password")
    func backfill() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let users = try await JobsFixtures.createUsers(4, in: store)
        let planter = DefectPlanter(table: store.store.table, keys: store.store.keys)
        var generator = SeededGenerator(seed: 3)
        let plain = [users[0], users[1]]
        _ = try await planter.plant(.plaintextString, userId: users[0].id, password: users[0].password, using: &generator)
        _ = try await planter.plant(.plaintextBytes, userId: users[1].id, password: users[1].password, using: &generator)
        var formerKeys: [String: String] = [:]
        for user in plain { formerKeys[user.id] = try #require(try await JobsFixtures.recordedKey(user.id, in: store)) as String }
        let keys = store.store.keys
        let page = try await JobsFixtures.users(store)
        let keyCount = try await keys.listKeyIds().count

        let before = try storeSHA256(store.path)
        let dry = try await EncryptPlaintextBackfill(table: store.store.table, keys: keys)
            .repair(page, apply: false, runId: JobsFixtures.runId)
        #expect(try storeSHA256(store.path) == before, "a dry run creates no key and writes nothing")
        #expect(JobsFixtures.users(dry, .planned) == Set(plain.map(\.id)) && dry.count == plain.count, "\(dry)")
        #expect(dry.allSatisfy { $0.action == "ENCRYPT_PLAINTEXT" && !$0.detail.contains(users[0].password) })

        // The second user's own key cannot take a password any more.
        let disabled = try #require(formerKeys[users[1].id])
        try await keys.disableKey(keyId: disabled)
        let applied = try await EncryptPlaintextBackfill(table: store.store.table, keys: keys)
            .repair(page, apply: true, runId: JobsFixtures.runId)
        #expect(JobsFixtures.users(applied, .done) == Set(plain.map(\.id)) && applied.count == plain.count, "\(applied)")
        for user in plain {
            let item = try #require(try await JobsFixtures.item(user.id, in: store))
            let key = try #require(item.credentialsKeyId.map(KeyReference.bareKeyId))
            let action = try #require(applied.first { $0.userId == user.id })
            if user.id == users[0].id {
                #expect(key == formerKeys[user.id], "the user's own key, usable: kept")
                #expect(action.detail == "encrypted under the user's own CMK", "\(action.detail)")
            } else {
                #expect(key != formerKeys[user.id], "a new key: the user's own is disabled")
                #expect(action.detail.contains("its key is disabled") && action.detail.contains("\(disabled) is left as it is"),
                        "\(action.detail)")
                #expect(try await keys.describeKey(keyId: disabled).state == .disabled, "the disabled key is left as it was")
                #expect(try await keys.keyRotationEnabled(keyId: key))
            }
            #expect(action.keyId.map(KeyReference.bareKeyId) == key)
            #expect(try await keys.tags(keyId: key)["CreatedBy"] == user.id)
            #expect(try await JobsFixtures.decrypt(item, in: store) == user.password)
        }
        #expect(try await keys.listKeyIds().count == keyCount + 1, "a new key only where the user's own could not take the password")

        let settled = try storeSHA256(store.path)
        #expect(settled != before, "the digest sees what apply wrote")
        let again = try await EncryptPlaintextBackfill(table: store.store.table, keys: keys)
            .repair(try await JobsFixtures.users(store), apply: true, runId: JobsFixtures.runId)
        #expect(again.isEmpty, "\(again)")
        #expect(try storeSHA256(store.path) == settled, "a second apply changes nothing")
    }
}
