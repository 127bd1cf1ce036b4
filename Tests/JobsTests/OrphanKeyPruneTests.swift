import EmbeddedStore
import Foundation
import GRDB
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `OrphanKeyPrune` on the embedded store, called directly with a `now` of the test's choosing:
/// keys made orphan by the test are planned in a dry run and scheduled with `apply`; a key
/// younger than the grace period and a key whose user appears between the listing and the
/// action are left alone; keys still in use are never candidates; a resumed run does not redo a
/// key it decided.
@Suite("OrphanKeyPrune")
struct OrphanKeyPruneTests {
    /// Three users; one user's record removed (its key is an orphan now), one key tagged for a
    /// user who never existed, one extra key tagged for an existing user (not a candidate: its
    /// owner exists). Returns the store and the two orphans' bare ids.
    static func fixture() async throws -> (store: TemporaryStore, ids: [String], deletedUsersKey: String, strayKey: String) {
        let store = try TemporaryStore()
        let ids = try await store.store.bulkLoadSyntheticUsers(count: 3, seed: 5)
        let deleted = ids[0]
        let deletedKey = KeyReference.bareKeyId(try #require(try await store.store.table.item(id: deleted)?.credentialsKeyId))
        try await DatabaseQueue(path: store.path).write { db in try db.execute(sql: "DELETE FROM items WHERE id = ?", arguments: [deleted]) }
        let stray = try await store.store.keys.createKey(description: "stray", tags: ["CreatedBy": "0d0d0d0d-0000-4000-8000-00000000beef"])
        _ = try await store.store.keys.createKey(description: "spare", tags: ["CreatedBy": ids[1]])
        return (store, Array(ids.dropFirst()), deletedKey, stray.keyId)
    }

    static func prune(_ store: TemporaryStore, table: (any UserTable)? = nil, apply: Bool, now: Date,
                      state: RunState? = nil) async throws -> JobReport {
        let table = table ?? store.store.table
        let job = OrphanKeyPrune(configuration: .init(scan: .init(totalSegments: 2, concurrency: 2, pageSize: 2), apply: apply,
                                                      grace: .seconds(86_400), pendingDays: 30, now: now))
        let runState = try state ?? RunState(path: nil, fingerprint: job.fingerprint(table: table), resume: false)
        defer { if state == nil { runState.discard() } }
        return try await job.run(table: table, keys: store.store.keys, state: runState, logger: JobsFixtures.logger)
    }

    static let later = Date().addingTimeInterval(2 * 86_400)

    @Test("dry run plans both orphans and changes nothing; apply schedules them (30 days), and says what that saves")
    func dryRunThenApply() async throws {
        let (store, _, deletedKey, strayKey) = try await Self.fixture()
        defer { store.cleanup() }
        let keyCount = try await store.store.keys.listKeyIds().count
        let before = try storeSHA256(store.path)
        let dry = try await Self.prune(store, apply: false, now: Self.later)
        #expect(try storeSHA256(store.path) == before, "a dry run changes nothing")
        let actions = try #require(dry.actions)
        #expect(Set(actions.compactMap { $0.keyId.map(KeyReference.bareKeyId) }) == [deletedKey, strayKey], "\(actions)")
        #expect(actions.allSatisfy { $0.outcome == .planned && $0.action == "PRUNE_ORPHAN_KEY" })
        #expect(dry.orphanKeys == OrphanKeyCost(keys: 2) && dry.orphanKeys?.monthlyCostUSD == 2)
        #expect(dry.complete && dry.users == 2)

        let applied = try await Self.prune(store, apply: true, now: Self.later)
        #expect(try #require(applied.actions).allSatisfy { $0.outcome == .done }, "\(applied.actions ?? [])")
        #expect(applied.summary == ["PRUNE_ORPHAN_KEY_DONE": 2] && applied.orphanKeys?.keys == 2)
        for key in [deletedKey, strayKey] { #expect(try await store.store.keys.describeKey(keyId: key).state == .pendingDeletion) }
        #expect(try await store.store.keys.listKeyIds().count == keyCount)
        let markdown = ReportWriter.markdown(applied)
        #expect(markdown.contains("| orphan keys scheduled for deletion | 2, saving about $2 a month (estimate: $1 per key-month) |"),
                "\(markdown)")
        // The users' keys, and the spare key of an existing user, are untouched.
        let inUse = try await store.store.keys.listKeyIds().filter { ![deletedKey, strayKey].contains($0) }
        for key in inUse { #expect(try await store.store.keys.describeKey(keyId: key).state == .enabled) }

        let again = try await Self.prune(store, apply: true, now: Self.later)
        #expect(again.actions == [] && again.orphanKeys?.keys == 0, "a second run finds nothing to do")
    }

    @Test("keys younger than the grace period are left alone")
    func grace() async throws {
        let (store, _, deletedKey, strayKey) = try await Self.fixture()
        defer { store.cleanup() }
        let report = try await Self.prune(store, apply: true, now: Date().addingTimeInterval(3_600))
        let actions = try #require(report.actions)
        #expect(actions.count == 2 && actions.allSatisfy { $0.outcome == .skipped && $0.detail.contains("grace period") }, "\(actions)")
        for key in [deletedKey, strayKey] { #expect(try await store.store.keys.describeKey(keyId: key).state == .enabled) }
        #expect(report.orphanKeys?.keys == 0)
    }

    @Test("a key whose user appears between the listing and the action is left alone")
    func userAppears() async throws {
        let (store, _, deletedKey, strayKey) = try await Self.fixture()
        defer { store.cleanup() }
        let strayOwner = "0d0d0d0d-0000-4000-8000-00000000beef"
        // The consistent re-read of the stray key's owner writes that user first: a create landing
        // between the listing and the action (deterministic, no sleep).
        let base = store.store.table
        let appearing = HookedUserTable(base, beforeItem: { id in
            guard id == strayOwner else { return }
            try await base.unconditionalPut(StoredItem(id: id, type: "users", firstname: "Late", lastname: "Comer",
                                                       email: "late@example.com", username: "late"))
        })
        let report = try await Self.prune(store, table: appearing, apply: true, now: Self.later)
        let actions = try #require(report.actions)
        let stray = try #require(actions.first { $0.keyId.map(KeyReference.bareKeyId) == strayKey })
        #expect(stray.outcome == .skipped && stray.detail.contains("exists now") && stray.userId == strayOwner, "\(stray)")
        #expect(try await store.store.keys.describeKey(keyId: strayKey).state == .enabled)
        #expect(try await store.store.keys.describeKey(keyId: deletedKey).state == .pendingDeletion, "the other orphan is pruned")
        #expect(report.orphanKeys?.keys == 1)
    }

    @Test("a resumed run keeps the keys it decided: they are neither decided again nor dropped from the report")
    func resumed() async throws {
        let (store, _, deletedKey, strayKey) = try await Self.fixture()
        defer { store.cleanup() }
        let path = store.directory.appendingPathComponent("prune.checkpoint").path
        let job = OrphanKeyPrune(configuration: .init(scan: .init(totalSegments: 2, pageSize: 2), apply: true, now: Self.later))
        let report = try await Self.prune(store, apply: true, now: Self.later,
                                          state: try RunState(path: path, fingerprint: job.fingerprint(table: store.store.table), resume: false))
        #expect(report.orphanKeys?.keys == 2)
        // A key orphaned after that run: the resumed run decides it, and only it.
        let late = try await store.store.keys.createKey(description: "late", tags: ["CreatedBy": "0e0e0e0e-0000-4000-8000-00000000cafe"])
        let resumedState = try RunState(path: path, fingerprint: job.fingerprint(table: store.store.table), resume: true)
        defer { resumedState.discard() }
        let resumed = try await Self.prune(store, apply: true, now: Self.later, state: resumedState)
        let actions = try #require(resumed.actions)
        #expect(Set(actions.compactMap { $0.keyId.map(KeyReference.bareKeyId) }) == [deletedKey, strayKey, late.keyId])
        #expect(actions.allSatisfy { $0.outcome == .done }, "the earlier decisions stand (a redo would find them pending deletion)")
        #expect(resumed.runId == report.runId)
    }
}
