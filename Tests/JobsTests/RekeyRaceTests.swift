import EmbeddedStore
import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// A user changed by someone else between the rekey's read and its write is not overwritten:
/// the write loses, the new key is scheduled for deletion, the user is reported.
@Suite("Rekey under a concurrent change")
struct RekeyRaceTests {
    @Test("the write loses: not overwritten, the new key scheduled for deletion, the old one untouched, the user reported")
    func concurrentChange() async throws {
        let directory = try makeTemporaryDirectory("uservault-rekey-race")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try EmbeddedStore(path: directory.appendingPathComponent("store.sqlite").path)
        let id = try #require(try await store.bulkLoadSyntheticUsers(count: 1, seed: 3).first)
        let item = try #require(try await store.table.item(id: id))
        let oldKey = KeyReference.bareKeyId(try #require(item.credentialsKeyId))
        let concurrent = Data((0..<96).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) })

        // Another writer changes the user's credentials just before each conditional write (the race, forced).
        let table = store.table
        let racing = HookedUserTable(table, beforeReplaceCredentials: { userId in
            var item = try #require(try await table.item(id: userId))
            item.credentials = .binary(concurrent)  // e.g. the user changed their password meanwhile
            try await table.unconditionalPut(item)
        })
        let sweep = RekeySweep(table: racing, keys: store.keys, pendingDays: 7)
        let actions = try await sweep.repair([item], apply: true, runId: "race")
        #expect(actions.count == 1 && actions[0].outcome == .failed, "\(actions)")
        #expect(actions[0].detail.contains("changed since it was read") && actions[0].detail.contains("new key is scheduled for deletion"))

        let now = try #require(try await store.table.item(id: id))
        #expect(now.credentials == .binary(concurrent), "the concurrent change stands")
        #expect(KeyReference.bareKeyId(now.credentialsKeyId ?? "") == oldKey)
        #expect(try await store.keys.describeKey(keyId: oldKey).state == .enabled, "the old key is untouched")
        let made = try await store.keys.keysTagged("RekeyRun")
        #expect(made.count == 1)
        #expect(try await store.keys.describeKey(keyId: KeyReference.bareKeyId(made[0].keyId)).state == .pendingDeletion)
    }
}
