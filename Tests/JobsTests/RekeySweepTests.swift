import EmbeddedStore
import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `RekeySweep` on the embedded store, called directly: a dry run plans `REKEY` for every user
/// with ciphertext and a key (a legacy record's tagged key included) and creates nothing; apply
/// moves each to a new CMK of its own and schedules the old one for deletion; the same page done
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

        let applied = try await RekeySweep(table: store.store.table, keys: keys, pendingDays: 7)
            .repair(page, apply: true, runId: JobsFixtures.runId)
        #expect(JobsFixtures.users(applied, .done) == Set(oldKeys.keys) && applied.count == oldKeys.count, "\(applied)")
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
}
