import EmbeddedStore
import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `EnableRotationSweep` on the embedded store, called directly: a dry run plans `ENABLE_ROTATION`
/// for exactly the users whose key has rotation off (the recorded key, or a legacy record's tagged
/// key) and changes nothing; apply turns rotation on; a second apply changes nothing.
@Suite("EnableRotationSweep: dry run, apply, apply again")
struct EnableRotationSweepTests {
    @Test("plans and turns on rotation of the recorded and the tagged keys where it is off; a user without a key is skipped (KEY_NOT_FOUND)")
    func sweep() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let created = try await JobsFixtures.createUsers(5, in: store)
        let off = created.prefix(2).map(\.id)
        var offKeys: [String] = []
        for id in off { offKeys.append(try #require(try await JobsFixtures.recordedKey(id, in: store))) }
        try await JobsFixtures.execute("UPDATE kms_keys SET rotation_enabled = 0 WHERE key_id = ?", keys: offKeys, in: store)
        let legacyId = "7c1d0f55-0000-4000-8000-0000000000a1"
        let legacyKey = try await JobsFixtures.plantLegacy(id: legacyId, password: "legacy password", email: "a1@example.com", in: store)
        let keyless = "7c1d0f55-0000-4000-8000-0000000000a2"
        try await store.store.table.unconditionalPut(StoredItem(
            id: keyless, type: "users", firstname: "No", lastname: "Key", email: "a2@example.com", username: "nokey",
            credentials: .binary(Data(repeating: 0x9C, count: 64))))
        let keys = store.store.keys
        let targets = Dictionary(uniqueKeysWithValues: zip(off, offKeys) + [(legacyId, legacyKey.keyId)])
        let users = try await JobsFixtures.users(store)

        let before = try storeSHA256(store.path)
        let dry = try await EnableRotationSweep(keys: keys).repair(users, apply: false, runId: JobsFixtures.runId)
        #expect(try storeSHA256(store.path) == before, "a dry run changes nothing")
        #expect(JobsFixtures.users(dry, .planned) == Set(targets.keys), "\(dry)")
        #expect(dry.allSatisfy { $0.action == "ENABLE_ROTATION" })
        for action in dry where action.outcome == .planned {
            #expect(action.keyId.map(KeyReference.bareKeyId) == targets[action.userId], "\(action)")
        }
        #expect(JobsFixtures.skipCode(of: keyless, in: dry) == "KEY_NOT_FOUND")
        #expect(dry.count == targets.count + 1, "nothing for the users whose rotation is on")
        for key in targets.values { #expect(try await !keys.keyRotationEnabled(keyId: key)) }

        let applied = try await EnableRotationSweep(keys: keys).repair(users, apply: true, runId: JobsFixtures.runId)
        #expect(JobsFixtures.users(applied, .done) == Set(targets.keys), "\(applied)")
        for key in targets.values { #expect(try await keys.keyRotationEnabled(keyId: key), "rotation on for \(key)") }

        let settled = try storeSHA256(store.path)
        #expect(settled != before, "the digest sees what apply wrote")
        let again = try await EnableRotationSweep(keys: keys).repair(try await JobsFixtures.users(store), apply: true,
                                                                     runId: JobsFixtures.runId)
        #expect(again.map(\.userId) == [keyless] && again.first?.outcome == .skipped, "\(again)")
        #expect(try storeSHA256(store.path) == settled, "a second apply changes nothing")
    }
}

/// `RotateNowSweep` on the embedded store, called directly: a dry run plans `ROTATE_NOW` for
/// exactly the keys whose material is older than `olderThanDays` and rotates nothing; apply
/// rotates them (old ciphertexts still open); a second apply finds the keys young.
@Suite("RotateNowSweep: dry run, apply, apply again")
struct RotateNowSweepTests {
    @Test("rotates exactly the keys older than the cutoff; their users' credentials still decrypt; a second apply does nothing")
    func sweep() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let created = try await JobsFixtures.createUsers(5, in: store)
        let old = Array(created.prefix(2))
        var oldKeys: [String: String] = [:]
        for user in old { oldKeys[user.id] = try #require(try await JobsFixtures.recordedKey(user.id, in: store)) as String }
        try await JobsFixtures.execute("UPDATE kms_keys SET created_at = created_at - 100 * 86400 WHERE key_id = ?",
                                       keys: Array(oldKeys.values), in: store)
        let keys = store.store.keys
        let users = try await JobsFixtures.users(store)
        let cutoff = Date().addingTimeInterval(-30 * 86_400)

        let before = try storeSHA256(store.path)
        let dry = try await RotateNowSweep(keys: keys, olderThanDays: 30).repair(users, apply: false, runId: JobsFixtures.runId)
        #expect(try storeSHA256(store.path) == before, "a dry run rotates nothing")
        #expect(JobsFixtures.users(dry, .planned) == Set(oldKeys.keys) && dry.count == oldKeys.count, "\(dry)")
        for action in dry { #expect(action.action == "ROTATE_NOW" && action.keyId.map(KeyReference.bareKeyId) == oldKeys[action.userId]) }

        let applied = try await RotateNowSweep(keys: keys, olderThanDays: 30).repair(users, apply: true, runId: JobsFixtures.runId)
        #expect(JobsFixtures.users(applied, .done) == Set(oldKeys.keys) && applied.count == oldKeys.count, "\(applied)")
        for key in oldKeys.values {
            let material = try #require(try await keys.materialDate(keyId: key))
            #expect(material > cutoff, "\(key) rotated: its material is new")
        }
        for user in created {
            #expect(try await JobsFixtures.decrypt(try await JobsFixtures.item(user.id, in: store), in: store) == user.password,
                    "old ciphertexts keep decrypting")
        }

        let settled = try storeSHA256(store.path)
        #expect(settled != before, "the digest sees what apply wrote")
        let again = try await RotateNowSweep(keys: keys, olderThanDays: 30).repair(users, apply: true, runId: JobsFixtures.runId)
        #expect(again.isEmpty, "\(again)")
        #expect(try storeSHA256(store.path) == settled, "a second apply changes nothing")
    }
}
