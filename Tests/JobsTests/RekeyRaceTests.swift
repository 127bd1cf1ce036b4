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
    /// The embedded table, with another writer changing the user's credentials just before each
    /// conditional write (the race, forced).
    struct RacingTable: UserTable {
        let base: EmbeddedUserTable
        let concurrent: Data
        var backendName: String { base.backendName }
        var tableName: String { base.tableName }
        func ensureTable() async throws -> Bool { try await base.ensureTable() }
        func insertUser(_ record: NewUserRecord) async throws { try await base.insertUser(record) }
        func user(id: String) async throws -> UserSummary? { try await base.user(id: id) }
        func item(id: String) async throws -> StoredItem? { try await base.item(id: id) }
        func users(withEmails emails: [String]) async throws -> [UserSummary] { try await base.users(withEmails: emails) }
        func scan(_ request: ScanRequest) async throws -> ScanPage { try await base.scan(request) }
        func unconditionalPut(_ item: StoredItem) async throws { try await base.unconditionalPut(item) }
        func approximateItemCount() async throws -> Int? { try await base.approximateItemCount() }
        func replaceCredentials(userId: String, expected: StoredCredentials, expectedKeyId: String?, ciphertext: Data,
                                keyId: String, createdAt: String?) async throws -> Bool {
            var item = try #require(try await base.item(id: userId))
            item.credentials = .binary(concurrent)  // e.g. the user changed their password meanwhile
            try await base.unconditionalPut(item)
            return try await base.replaceCredentials(userId: userId, expected: expected, expectedKeyId: expectedKeyId,
                                                     ciphertext: ciphertext, keyId: keyId, createdAt: createdAt)
        }
    }

    @Test("the write loses: not overwritten, the new key scheduled for deletion, the old one untouched, the user reported")
    func concurrentChange() async throws {
        let directory = try makeTemporaryDirectory("uservault-rekey-race")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try EmbeddedStore(path: directory.appendingPathComponent("store.sqlite").path)
        let id = try #require(try await store.bulkLoadSyntheticUsers(count: 1, seed: 3).first)
        let item = try #require(try await store.table.item(id: id))
        let oldKey = KeyReference.bareKeyId(try #require(item.credentialsKeyId))
        let concurrent = Data((0..<96).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) })

        let sweep = RekeySweep(table: RacingTable(base: store.table, concurrent: concurrent), keys: store.keys, pendingDays: 7)
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
