import EmbeddedStore
import Foundation
import GRDB
import Jobs
import Logging
import Testing
import TestSupport
import UserVaultCore

/// Set-up the Jobs suites share: users with known passwords, legacy records, the store's users
/// as a repair reads them, direct edits of the embedded key tables, an audit run.
enum JobsFixtures {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// The run id the repair suites pass to their planners.
    static let runId = "5f0c2a9e-0000-4000-8000-000000000001"

    /// `count` users through the real create path (own CMK, rotation on, context `{"userId": id}`,
    /// email guard), with their passwords.
    static func createUsers(_ count: Int, in store: TemporaryStore, seed: UInt64 = 21) async throws
        -> [(id: String, password: String)] {
        var generator = SeededGenerator(seed: seed)
        var users: [(id: String, password: String)] = []
        for index in 0..<count {
            let input = SyntheticUsers.make(index: index, using: &generator)
            users.append((try await store.service.create(input, logger: logger).id, input.credentials ?? ""))
        }
        return users
    }

    /// A record as the original service wrote it: `password` sealed under a CMK tagged
    /// `CreatedBy=<id>` (rotation off, no encryption context), no `credentialsKeyId`, no
    /// `createdAt`, no email guard. Returns the key.
    @discardableResult
    static func plantLegacy(id: String, password: String, email: String, in store: TemporaryStore) async throws -> KeyMetadata {
        let keys = store.store.keys
        let key = try await keys.createKey(description: "legacy key of \(id)", tags: ["CreatedBy": id])
        let ciphertext = try await keys.encrypt(keyId: key.keyId, plaintext: Data(password.utf8), context: [:])
        try await store.store.table.unconditionalPut(StoredItem(
            id: id, type: "users", firstname: "Legacy", lastname: "User", email: email, username: "legacy-\(id.suffix(4))",
            credentials: .binary(ciphertext)))
        return key
    }

    /// Every user in the store, whole (credentials included), as a repair's page holds them.
    static func users(_ store: TemporaryStore) async throws -> [StoredItem] {
        var users: [StoredItem] = []
        var after: String?
        repeat {
            let page = try await store.store.table.scan(ScanRequest(startAfter: after, limit: 100, projection: .full))
            users += page.items.filter(\.isUser)
            after = page.lastEvaluatedId
        } while after != nil
        return users
    }

    /// A user's record as stored now.
    static func item(_ id: String, in store: TemporaryStore) async throws -> StoredItem? {
        try await store.store.table.item(id: id)
    }

    /// The bare id of the key a user's record names.
    static func recordedKey(_ id: String, in store: TemporaryStore) async throws -> String? {
        try await item(id, in: store)?.credentialsKeyId.map(KeyReference.bareKeyId)
    }

    /// Opens `credentials` with context `{"userId": id}`, as a password.
    static func decrypt(_ item: StoredItem?, in store: TemporaryStore) async throws -> String? {
        guard let item, case .binary(let ciphertext)? = item.credentials else { return nil }
        let plaintext = try await store.store.keys.unsafeDecryptForTesting(
            ciphertext, context: UserKeys.encryptionContext(userId: item.id))
        return String(decoding: plaintext, as: UTF8.self)
    }

    /// Runs SQL on the store's file (what no port offers: a key's rotation off, its material aged).
    static func execute(_ sql: String, keys: [String], in store: TemporaryStore) async throws {
        try await DatabaseQueue(path: store.path).write { db in
            for key in keys { try db.execute(sql: sql, arguments: [key]) }
        }
    }

    /// Runs one SQL statement with `arguments` on the store's file.
    static func execute(_ sql: String, arguments: [String], in store: TemporaryStore) async throws {
        try await DatabaseQueue(path: store.path).write { db in try db.execute(sql: sql, arguments: StatementArguments(arguments)) }
    }

    /// The users whose action has `outcome`.
    static func users(_ actions: [RepairAction], _ outcome: RepairAction.Outcome) -> Set<String> {
        Set(actions.filter { $0.outcome == outcome }.map(\.userId))
    }

    /// RekeySweep's step after its sweep, as RepairJob runs it once every page is done: the old
    /// keys' actions. A fresh run state each call: a kill before the step's commit.
    static func finishRekey(_ sweep: RekeySweep, table: any UserTable, runId: String) async throws -> [RepairAction] {
        let state = try RunState(path: nil, fingerprint: .init(job: sweep.job, backend: table.backendName, table: table.tableName,
                                                               totalSegments: 1, worker: .whole, parameters: sweep.parameters),
                                 resume: false)
        defer { state.discard() }
        #expect(try await sweep.finish(table: table, state: state, apply: true, runId: runId, logger: logger))
        return try state.records(kind: "action").map { try JSONDecoder().decode(RepairAction.self, from: $0.value) }
    }

    /// The finding code of `userId`'s action when it is `skipped`; `nil` for any other outcome.
    static func skipCode(of userId: String, in actions: [RepairAction]) -> String? {
        actions.first { $0.userId == userId && $0.outcome == .skipped }?.code
    }

    /// One audit run, and the share a `--worker` run writes beside its report.
    static func audit(_ store: TemporaryStore, segments: Int, concurrency: Int = 4, depth: AuditDepth = .standard,
                      worker: WorkerShare = .whole) async throws -> (report: JobReport, share: AuditShare) {
        let job = AuditJob(configuration: .init(
            scan: .init(totalSegments: segments, concurrency: concurrency, worker: worker, pageSize: 9), depth: depth))
        let state = try RunState(path: nil, fingerprint: job.fingerprint(table: store.store.table), resume: false)
        defer { state.discard() }
        let report = try await job.run(table: store.store.table, keys: store.store.keys, state: state, logger: logger)
        return (report, try job.share(state: state, table: store.store.table, complete: report.complete))
    }
}
