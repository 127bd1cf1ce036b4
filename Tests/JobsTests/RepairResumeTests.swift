import EmbeddedStore
import Foundation
import Jobs
import Synchronization
import Testing
import TestSupport
import UserVaultCore

/// A repair killed between two of its steps for a user, then resumed (the page done again with
/// the same run id, in a new process): the user ends up repaired once, with no key leaked and no
/// old key left enabled.
@Suite("Repairs resumed after a kill between two steps")
struct RepairResumeTests {
    struct Killed: Error {}

    /// The embedded key service, killed at `killPoint`: from that call on (it included), every
    /// call fails, as nothing runs in a dead process.
    final class KilledKeys: KeyService {
        enum KillPoint: String, CaseIterable, Sendable { case encrypt, reEncrypt, scheduleKeyDeletion }

        let base: EmbeddedKeyService
        let killPoint: KillPoint
        private let dead = Mutex(false)

        init(_ base: EmbeddedKeyService, killPoint: KillPoint) {
            self.base = base
            self.killPoint = killPoint
        }

        private func alive(_ point: KillPoint? = nil) throws {
            try dead.withLock { dead in
                if point == killPoint { dead = true }
                if dead { throw Killed() }
            }
        }

        var backendName: String { base.backendName }
        func createKey(description: String, tags: [String: String]) async throws -> KeyMetadata {
            try alive(); return try await base.createKey(description: description, tags: tags)
        }
        func enableKeyRotation(keyId: String) async throws { try alive(); try await base.enableKeyRotation(keyId: keyId) }
        func encrypt(keyId: String, plaintext: Data, context: [String: String]) async throws -> Data {
            try alive(.encrypt); return try await base.encrypt(keyId: keyId, plaintext: plaintext, context: context)
        }
        func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult {
            try alive(.reEncrypt); return try await base.reEncrypt(request)
        }
        func describeKey(keyId: String) async throws -> KeyMetadata { try alive(); return try await base.describeKey(keyId: keyId) }
        func scheduleKeyDeletion(keyId: String, pendingWindowDays: Int) async throws {
            try alive(.scheduleKeyDeletion); try await base.scheduleKeyDeletion(keyId: keyId, pendingWindowDays: pendingWindowDays)
        }
        func disableKey(keyId: String) async throws { try alive(); try await base.disableKey(keyId: keyId) }
        func keyRotationEnabled(keyId: String) async throws -> Bool { try alive(); return try await base.keyRotationEnabled(keyId: keyId) }
        func rotateNow(keyId: String) async throws { try alive(); try await base.rotateNow(keyId: keyId) }
        func materialDate(keyId: String) async throws -> Date? { try alive(); return try await base.materialDate(keyId: keyId) }
        func tags(keyId: String) async throws -> [String: String] { try alive(); return try await base.tags(keyId: keyId) }
        func listKeyIds() async throws -> [String] { try alive(); return try await base.listKeyIds() }
        func tagKey(keyId: String, tags: [String: String]) async throws { try alive(); try await base.tagKey(keyId: keyId, tags: tags) }
        func keysTagged(_ tagKey: String) async throws -> [TaggedKey] { try alive(); return try await base.keysTagged(tagKey) }
    }

    static func ciphertext(_ item: StoredItem) -> Data? {
        if case .binary(let data)? = item.credentials { return data }
        return nil
    }

    /// The keys tagged `CreatedBy=<userId>`, and their states.
    static func keys(of userId: String, in store: EmbeddedStore) async throws -> [String: KeyState] {
        var states: [String: KeyState] = [:]
        for tagged in try await store.keys.keysTagged("CreatedBy") where tagged.value == userId {
            let id = KeyReference.bareKeyId(tagged.keyId)
            states[id] = try await store.keys.describeKey(keyId: id).state
        }
        return states
    }

    @Test("rekey killed before its write or when the old key is scheduled after the sweep: resumed, one new key, the old one pending deletion",
          arguments: [KilledKeys.KillPoint.reEncrypt, .scheduleKeyDeletion])
    func rekey(killPoint: KilledKeys.KillPoint) async throws {
        let directory = try makeTemporaryDirectory("uservault-rekey-kill")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try EmbeddedStore(path: directory.appendingPathComponent("store.sqlite").path)
        let id = try #require(try await store.bulkLoadSyntheticUsers(count: 1, seed: 11).first)
        let before = try #require(try await store.table.item(id: id))
        let oldKey = KeyReference.bareKeyId(try #require(before.credentialsKeyId))
        let password = try await store.keys.unsafeDecryptForTesting(try #require(Self.ciphertext(before)),
                                                                     context: ["userId": id])

        let killedSweep = RekeySweep(table: store.table, keys: KilledKeys(store.keys, killPoint: killPoint), pendingDays: 7)
        let killed = try await killedSweep.repair([before], apply: true, runId: "run-1")
        if killPoint == .scheduleKeyDeletion {
            // The move is done; the kill comes after the sweep, when the old key is scheduled.
            #expect(killed.map(\.outcome) == [.done], "\(killed)")
            let retire = try await JobsFixtures.finishRekey(killedSweep, table: store.table, runId: "run-1")
            #expect(retire.map(\.outcome) == [.failed], "\(retire)")
        } else {
            #expect(killed.map(\.outcome) == [.failed])
        }
        #expect(try await store.keys.describeKey(keyId: oldKey).state == .enabled, "the kill left the old key enabled")

        // Resumed: the page is read and done again, by a new process with the same run id, then
        // the step after the sweep (the killed one committed nothing).
        let reread = try #require(try await store.table.item(id: id))
        let sweep = RekeySweep(table: store.table, keys: store.keys, pendingDays: 7)
        let resumed = try await sweep.repair([reread], apply: true, runId: "run-1")
        #expect(resumed.map(\.outcome) == [.done], "\(resumed)")
        let retired = try await JobsFixtures.finishRekey(sweep, table: store.table, runId: "run-1")
        #expect(retired.map(\.outcome) == [.done] && retired.first?.keyId == oldKey, "\(retired)")

        let after = try #require(try await store.table.item(id: id))
        let newKey = KeyReference.bareKeyId(try #require(after.credentialsKeyId))
        #expect(try await Self.keys(of: id, in: store) == [oldKey: .pendingDeletion, newKey: .enabled],
                "one new key, none leaked, the old one pending deletion")
        let opened = try await store.keys.unsafeDecryptForTesting(try #require(Self.ciphertext(after)), context: ["userId": id])
        #expect(opened == password)

        // Done a third time (a resume of a resume): nothing changes, no key is made.
        let again = try await RekeySweep(table: store.table, keys: store.keys, pendingDays: 7)
            .repair([after], apply: true, runId: "run-1")
        #expect(again.map(\.outcome) == [.done])
        #expect(try await Self.keys(of: id, in: store).count == 2)
        #expect(try await store.table.item(id: id) == after)
    }

    @Test("encrypt-plaintext killed between creating the key and writing: resumed, that key is used, no second one")
    func encryptPlaintext() async throws {
        let directory = try makeTemporaryDirectory("uservault-backfill-kill")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try EmbeddedStore(path: directory.appendingPathComponent("store.sqlite").path)
        _ = try await store.table.ensureTable()
        let plain = StoredItem(id: "9f0c2a3e-0000-4000-8000-000000000001", type: "users", firstname: "Ada", lastname: "L",
                               email: "ada@example.com", username: "ada", credentials: .string("correct horse battery"))
        try await store.table.unconditionalPut(plain)

        let killed = try await EncryptPlaintextBackfill(table: store.table, keys: KilledKeys(store.keys, killPoint: .encrypt))
            .repair([plain], apply: true, runId: "run-2")
        #expect(killed.map(\.outcome) == [.failed])
        let leftBehind = try await Self.keys(of: plain.id, in: store)
        #expect(leftBehind.count == 1 && leftBehind.values.allSatisfy { $0 == .enabled }, "the kill left an unused key")
        #expect(try await store.table.item(id: plain.id)?.credentials == .string("correct horse battery"))

        let resumed = try await EncryptPlaintextBackfill(table: store.table, keys: store.keys)
            .repair([try #require(try await store.table.item(id: plain.id))], apply: true, runId: "run-2")
        #expect(resumed.map(\.outcome) == [.done], "\(resumed)")
        let after = try #require(try await store.table.item(id: plain.id))
        #expect(KeyReference.bareKeyId(after.credentialsKeyId ?? "") == leftBehind.keys.first, "the key made before the kill")
        #expect(try await Self.keys(of: plain.id, in: store).count == 1, "no second key")
        let opened = try await store.keys.unsafeDecryptForTesting(try #require(Self.ciphertext(after)), context: ["userId": plain.id])
        #expect(opened == Data("correct horse battery".utf8))

        // Another run (another id) does not take this run's keys: there is nothing left to do.
        let later = try await EncryptPlaintextBackfill(table: store.table, keys: store.keys).repair([after], apply: true, runId: "run-3")
        #expect(later.isEmpty)
    }
}
