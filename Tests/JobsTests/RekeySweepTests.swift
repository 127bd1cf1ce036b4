import EmbeddedStore
import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `RekeySweep` on the embedded store, called directly: a dry run plans `REKEY` for every user
/// with ciphertext and a key (a legacy record's tagged key included) and creates nothing; apply
/// moves each to a new CMK of its own, and after the sweep the old keys no record names are
/// scheduled for deletion (a key two users share only once both moved); the same page done
/// again in the same run (a resumed run: a new planner) moves nobody twice.
@Suite("RekeySweep: dry run, apply, the same run again")
struct RekeySweepTests {
    @Test("moves every user to a new key tagged for them (RekeyOf the old one, rotation on), the password intact; the old key pending deletion")
    func sweep() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        var users = try await JobsFixtures.createUsers(3, in: store)
        let legacyId = "7c1d0f55-0000-4000-8000-0000000000b1"
        let legacyKey = try await JobsFixtures.plantLegacy(id: legacyId, password: "legacy password", email: "b1@example.com", in: store)
        users.append((legacyId, "legacy password"))
        var oldKeys = [legacyId: legacyKey.keyId]
        for user in users.prefix(3) { oldKeys[user.id] = try #require(try await JobsFixtures.recordedKey(user.id, in: store)) as String }
        let keys = store.store.keys
        let page = try await JobsFixtures.users(store)
        let keyCount = try await keys.listKeyIds().count

        let before = try storeSHA256(store.path)
        let dry = try await RekeySweep(table: store.store.table, keys: keys, pendingDays: 7)
            .repair(page, apply: false, runId: JobsFixtures.runId)
        #expect(try storeSHA256(store.path) == before, "a dry run creates no key and writes nothing")
        #expect(JobsFixtures.users(dry, .planned) == Set(oldKeys.keys) && dry.count == oldKeys.count, "\(dry)")
        for action in dry { #expect(action.action == "REKEY" && action.keyId.map(KeyReference.bareKeyId) == oldKeys[action.userId]) }

        let sweep = RekeySweep(table: store.store.table, keys: keys, pendingDays: 7)
        let applied = try await sweep.repair(page, apply: true, runId: JobsFixtures.runId)
        #expect(JobsFixtures.users(applied, .done) == Set(oldKeys.keys) && applied.count == oldKeys.count, "\(applied)")
        for oldKey in oldKeys.values {
            #expect(try await keys.describeKey(keyId: oldKey).state == .enabled, "an old key is kept until the sweep is over")
        }
        let retired = try await JobsFixtures.finishRekey(sweep, table: store.store.table, runId: JobsFixtures.runId)
        #expect(Set(retired.compactMap(\.keyId)) == Set(oldKeys.values) && retired.count == oldKeys.count
                    && retired.allSatisfy { $0.action == "RETIRE_OLD_KEY" && $0.outcome == .done }, "\(retired)")
        var moved: [StoredItem] = []
        for user in users {
            let item = try #require(try await JobsFixtures.item(user.id, in: store))
            moved.append(item)
            let oldKey = try #require(oldKeys[user.id])
            let newKey = try #require(item.credentialsKeyId.map(KeyReference.bareKeyId))
            #expect(newKey != oldKey)
            let tags = try await keys.tags(keyId: newKey)
            #expect(tags["CreatedBy"] == user.id && tags["RekeyOf"] == oldKey, "\(tags)")
            #expect(try await keys.keyRotationEnabled(keyId: newKey))
            #expect(try await JobsFixtures.decrypt(item, in: store) == user.password, "decrypts, with context {userId}, to the password")
            #expect(try await keys.describeKey(keyId: oldKey).state == .pendingDeletion)
        }
        #expect(try await keys.listKeyIds().count == keyCount + users.count, "one new key per user")

        // The same page again in the same run (a run resumed after a kill): nobody moves twice.
        let again = try await RekeySweep(table: store.store.table, keys: keys, pendingDays: 7)
            .repair(try await JobsFixtures.users(store), apply: true, runId: JobsFixtures.runId)
        #expect(JobsFixtures.users(again, .done) == Set(oldKeys.keys), "\(again)")
        #expect(again.allSatisfy { $0.detail.contains("earlier in this run") }, "\(again.map(\.detail))")
        #expect(try await keys.listKeyIds().count == keyCount + users.count, "no key made twice")
        for item in moved { #expect(try await JobsFixtures.item(item.id, in: store) == item, "\(item.id) unchanged") }
    }

    @Test("two users sharing a key, moved in different pages: both moved, the shared key kept until the sweep is over, then scheduled; a key a skipped user still names is never scheduled")
    func sharedKeyAcrossPages() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let users = try await JobsFixtures.createUsers(3, in: store)
        let (first, second, third) = (users[0], users[1], users[2])
        let keys = store.store.keys, table = store.store.table
        // The second user's password sealed under the first user's key (KEY_SHARED).
        let shared = try #require(try await JobsFixtures.item(first.id, in: store)?.credentialsKeyId)
        let secondItem = try #require(try await JobsFixtures.item(second.id, in: store))
        let sealed = try await keys.encrypt(keyId: KeyReference.bareKeyId(shared), plaintext: Data(second.password.utf8),
                                            context: UserKeys.encryptionContext(userId: second.id))
        #expect(try await table.replaceCredentials(userId: second.id, expected: try #require(secondItem.credentials),
                                                   expectedKeyId: secondItem.credentialsKeyId, ciphertext: sealed, keyId: shared,
                                                   createdAt: nil))
        let secondsOwnKey = try #require(secondItem.credentialsKeyId.map(KeyReference.bareKeyId))
        // The third user's record names the shared key too, but with a ciphertext of its own key:
        // the move fails (not that key's ciphertext), and the record still names the shared key.
        let thirdItem = try #require(try await JobsFixtures.item(third.id, in: store))
        try await JobsFixtures.execute("UPDATE items SET credentials_key_id = ? WHERE id = ?", arguments: [shared, third.id], in: store)

        let sweep = RekeySweep(table: table, keys: keys, pendingDays: 7)
        let firstPage = try await sweep.repair([try #require(try await JobsFixtures.item(first.id, in: store))], apply: true, runId: "shared")
        #expect(firstPage.map(\.outcome) == [.done], "\(firstPage)")
        #expect(try await keys.describeKey(keyId: KeyReference.bareKeyId(shared)).state == .enabled, "kept while the second user needs it")
        let laterPages = try await sweep.repair([try #require(try await JobsFixtures.item(second.id, in: store)),
                                                 try #require(try await JobsFixtures.item(third.id, in: store))],
                                                apply: true, runId: "shared")
        #expect(laterPages.first { $0.userId == second.id }?.outcome == .done, "\(laterPages)")
        #expect(laterPages.first { $0.userId == third.id }?.outcome != .done, "\(laterPages)")
        #expect(try await JobsFixtures.decrypt(try await JobsFixtures.item(second.id, in: store), in: store) == second.password)

        // After the sweep: the third record still names the shared key, so it is kept.
        let kept = try await JobsFixtures.finishRekey(sweep, table: table, runId: "shared")
        let sharedAction = try #require(kept.first { $0.keyId == KeyReference.bareKeyId(shared) }, "\(kept)")
        #expect(sharedAction.outcome == .skipped && sharedAction.code == "KEY_SHARED" && sharedAction.detail.contains(third.id),
                "\(sharedAction)")
        #expect(try await keys.describeKey(keyId: KeyReference.bareKeyId(shared)).state == .enabled)
        #expect(try await keys.describeKey(keyId: secondsOwnKey).state == .enabled, "a key no user moved off is not this sweep's")

        // Once no record names it (the third record repaired by hand), the step schedules it.
        try await JobsFixtures.execute("UPDATE items SET credentials_key_id = ? WHERE id = ?",
                                       arguments: [try #require(thirdItem.credentialsKeyId), third.id], in: store)
        let retired = try await JobsFixtures.finishRekey(sweep, table: table, runId: "shared")
        #expect(retired.first { $0.keyId == KeyReference.bareKeyId(shared) }?.outcome == .done, "\(retired)")
        #expect(try await keys.describeKey(keyId: KeyReference.bareKeyId(shared)).state == .pendingDeletion)
        #expect(try await JobsFixtures.decrypt(try await JobsFixtures.item(first.id, in: store), in: store) == first.password)
        #expect(try await JobsFixtures.decrypt(try await JobsFixtures.item(second.id, in: store), in: store) == second.password)
    }
}
