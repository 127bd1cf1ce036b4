import EmbeddedStore
import Foundation
import Jobs
import Logging
import Testing
import TestSupport
import UserVaultCore

/// One rule for every repair: a record it cannot act on (no key, no ciphertext, not ciphertext of
/// the user's key) is `skipped` with the audit finding code that explains it; `failed` is only an
/// attempted action that failed.
@Suite("Repairs: skipped with a finding code, failed only when an action failed")
struct RepairOutcomeTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// Every planted defect, plus two legacy records whose user has no CMK at all.
    static func store() async throws -> (store: TemporaryStore, defects: [PlantedDefect], keyless: [String]) {
        let store = try TemporaryStore()
        let outcome = try await Seeder(service: store.service).run(.init(users: 40, defects: 18, seed: 8), logger: logger)
        let keyless = ["7c1d0f55-0000-4000-8000-000000000001", "7c1d0f55-0000-4000-8000-000000000002"]
        for (number, id) in keyless.enumerated() {
            try await store.store.table.unconditionalPut(StoredItem(
                id: id, type: "users", firstname: "Legacy", lastname: "User\(number)", email: "legacy\(number)@example.com",
                username: "legacy\(number)", credentials: .binary(Data((0..<64).map { UInt8(($0 * 37 + number) % 256) }))))
        }
        return (store, outcome.defects, keyless)
    }

    static func run(_ planner: any RepairPlanner, on store: TemporaryStore) async throws -> [RepairAction] {
        let job = RepairJob(configuration: .init(scan: .init(totalSegments: 2, pageSize: 25), apply: true), planner: planner)
        let state = try RunState(path: nil, fingerprint: job.fingerprint(table: store.store.table), resume: false)
        defer { state.discard() }
        let report = try await job.run(table: store.store.table, state: state, logger: logger)
        #expect(report.complete)
        return report.actions ?? []
    }

    static func skipped(_ actions: [RepairAction]) -> [String: String] {
        Dictionary(actions.filter { $0.outcome == .skipped }.map { ($0.userId, $0.code ?? "none") }, uniquingKeysWith: { $1 })
    }

    @Test("enable-rotation --apply: users with no key are skipped (KEY_NOT_FOUND), nothing fails")
    func enableRotation() async throws {
        let (store, _, keyless) = try await Self.store()
        defer { store.cleanup() }
        let actions = try await Self.run(EnableRotationSweep(keys: store.store.keys), on: store)
        #expect(actions.filter { $0.outcome == .failed }.isEmpty, "\(actions.filter { $0.outcome == .failed })")
        let skipped = Self.skipped(actions)
        for id in keyless { #expect(skipped[id] == "KEY_NOT_FOUND", "\(id): \(skipped)") }
        #expect(skipped.values.allSatisfy { FindingCode(rawValue: $0) != nil }, "\(skipped)")
    }

    @Test("rekey --apply: no ciphertext, not ciphertext of the user's key, no key: each skipped with its code; nothing fails")
    func rekey() async throws {
        let (store, defects, keyless) = try await Self.store()
        defer { store.cleanup() }
        let actions = try await Self.run(RekeySweep(table: store.store.table, keys: store.store.keys, pendingDays: 7), on: store)
        #expect(actions.filter { $0.outcome == .failed }.isEmpty, "\(actions.filter { $0.outcome == .failed })")
        let skipped = Self.skipped(actions)
        let expected: [DefectKind: String] = [
            .plaintextString: "CREDENTIALS_PLAINTEXT", .plaintextBytes: "CREDENTIALS_PLAINTEXT",
            .missingCredentials: "CREDENTIALS_MISSING", .truncatedCiphertext: "NOT_KMS_CIPHERTEXT",
            .randomBytes: "NOT_KMS_CIPHERTEXT", .disabledKey: "KEY_DISABLED", .pendingDeletionKey: "KEY_PENDING_DELETION",
        ]
        for defect in defects {
            guard let code = expected[defect.kind] else { continue }
            #expect(skipped[defect.userId] == code, "\(defect.kind): \(skipped[defect.userId] ?? "not skipped")")
        }
        for id in keyless { #expect(skipped[id] == "KEY_NOT_FOUND") }
    }

    @Test("key-metadata --apply: a legacy record whose ciphertext is not under its key is skipped (NOT_KMS_CIPHERTEXT)")
    func keyMetadata() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let id = "7c1d0f55-0000-4000-8000-000000000003"
        _ = try await store.store.table.ensureTable()
        _ = try await store.store.keys.createKey(description: "legacy", tags: ["CreatedBy": id])
        try await store.store.table.unconditionalPut(StoredItem(
            id: id, type: "users", firstname: "Legacy", lastname: "User", email: "legacy@example.com", username: "legacy",
            credentials: .binary(Data((0..<64).map { UInt8(($0 * 53) % 256) }))))
        let actions = try await Self.run(KeyMetadataBackfill(table: store.store.table, keys: store.store.keys), on: store)
        #expect(actions.map(\.outcome) == [.skipped] && actions.first?.code == "NOT_KMS_CIPHERTEXT", "\(actions)")
    }

    @Test("rekey --apply: an old key already pending deletion when its user has moved (a sharer moved first, another worker) is done, not failed")
    func rekeySharedKeyMovedFirst() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let seeded = try await Seeder(service: store.service).run(.init(users: 6, defects: 0, seed: 9), logger: Self.logger)
        // Another worker's move landing between this user's ReEncrypt and its old key's deletion:
        // right after each ReEncrypt, the source key is scheduled for deletion (as when two records
        // share a key and the other moves first).
        let base = store.store.keys
        let keys = HookedKeyService(base, afterReEncrypt: { request in
            if let source = request.sourceKeyId { try await base.scheduleKeyDeletion(keyId: source, pendingWindowDays: 7) }
        })
        let all = try await Self.run(RekeySweep(table: store.store.table, keys: keys, pendingDays: 7), on: store)
        let actions = all.filter { $0.action == "REKEY" }
        #expect(actions.count == seeded.created && seeded.created == 6)
        // After the sweep, the old keys (pending deletion already) are left as they are: done.
        let retired = all.filter { $0.action == "RETIRE_OLD_KEY" }
        #expect(retired.count == 6 && retired.allSatisfy { $0.outcome == .done && $0.detail.contains("already pending deletion") },
                "\(retired)")
        #expect(actions.allSatisfy { $0.outcome == .done }, "\(actions.filter { $0.outcome != .done })")
        // Every user is on a new, enabled key.
        for action in actions {
            let item = try #require(try await store.store.table.item(id: action.userId))
            let current = try #require(item.credentialsKeyId)
            #expect(current == action.keyId)
            #expect(try await store.store.keys.describeKey(keyId: KeyReference.bareKeyId(current)).state == .enabled)
        }
    }
}
