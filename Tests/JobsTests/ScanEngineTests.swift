import Foundation
import Jobs
import Logging
import Testing
import TestSupport
import UserVaultCore

@Suite("The scan engine: segments, workers, checkpoints")
struct ScanEngineTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// A real store with `count` users (and one guard item per user, which jobs must see too).
    static func store(users count: Int) async throws -> (TemporaryStore, Set<String>) {
        let store = try TemporaryStore()
        var ids: Set<String> = []
        for index in 0..<count {
            let id = UUID().uuidString.lowercased()
            ids.insert(id)
            try await store.store.table.unconditionalPut(StoredItem(
                id: id, type: "users", firstname: "F", lastname: "L", email: "u\(index)@example.com", username: "u\(index)"))
        }
        return (store, ids)
    }

    static func fingerprint(_ segments: Int, _ worker: WorkerShare = .whole) -> RunState.Fingerprint {
        .init(job: "test", backend: "embedded", table: "users", totalSegments: segments, worker: worker)
    }

    /// Records every user id seen, keyed so that a page committed twice would still count twice.
    static func recordUsers(_ segment: Int, _ items: [StoredItem]) -> RunState.PageRecords {
        var page = RunState.PageRecords()
        for item in items where item.isUser {
            page.add(kind: "user", key: item.id)
            page.count("users")
        }
        return page
    }

    @Test("every user exactly once, for 1, 4 and 16 segments at several concurrencies",
          arguments: [(1, 1), (4, 2), (16, 4), (16, 16)])
    func complete(segments: Int, concurrency: Int) async throws {
        let (store, ids) = try await Self.store(users: 300)
        defer { store.cleanup() }
        let state = try RunState(path: nil, fingerprint: Self.fingerprint(segments), resume: false)
        defer { state.discard() }
        let outcome = try await ScanEngine(configuration: .init(totalSegments: segments, concurrency: concurrency, pageSize: 17))
            .run(table: store.store.table, state: state, logger: Self.logger) { Self.recordUsers($0, $1) }
        #expect(outcome.complete)
        #expect(outcome.segmentsFinished == segments)
        #expect(Set(try state.records(kind: "user").map(\.key)) == ids)
        #expect(try state.counters()["users"] == ids.count, "no page counted twice")
        #expect(try state.counters()["scanned"] == ids.count)
    }

    @Test("two worker halves are disjoint and together complete")
    func workers() async throws {
        let (store, ids) = try await Self.store(users: 200)
        defer { store.cleanup() }
        var halves: [Set<String>] = []
        for index in 0..<2 {
            let worker = WorkerShare(index: index, count: 2)
            let state = try RunState(path: nil, fingerprint: Self.fingerprint(8, worker), resume: false)
            defer { state.discard() }
            let outcome = try await ScanEngine(configuration: .init(totalSegments: 8, worker: worker, pageSize: 10))
                .run(table: store.store.table, state: state, logger: Self.logger) { Self.recordUsers($0, $1) }
            #expect(outcome.complete && outcome.segmentsAssigned == 4)
            halves.append(Set(try state.records(kind: "user").map(\.key)))
        }
        #expect(halves[0].isDisjoint(with: halves[1]))
        #expect(halves[0].union(halves[1]) == ids)
        #expect(WorkerShare(parsing: "1/2") == WorkerShare(index: 1, count: 2))
        #expect(WorkerShare(parsing: "2/2") == nil && WorkerShare(parsing: "x") == nil && WorkerShare(parsing: "0/0") == nil)
    }

    struct Interrupted: Error {}

    @Test("a run that dies mid-scan resumes from its checkpoint: nothing lost, nothing counted twice")
    func resume() async throws {
        let (store, ids) = try await Self.store(users: 400)
        defer { store.cleanup() }
        let directory = try makeTemporaryDirectory("checkpoint")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("run.checkpoint").path
        let engine = ScanEngine(configuration: .init(totalSegments: 6, concurrency: 3, pageSize: 13))
        let pages = Counter()
        let first = try RunState(path: path, fingerprint: Self.fingerprint(6), resume: false)
        await #expect(throws: Interrupted.self) {
            _ = try await engine.run(table: store.store.table, state: first, logger: Self.logger) { segment, items in
                // Die in the middle of the run, after some pages were committed.
                if pages.increment() == 9 { throw Interrupted() }
                return Self.recordUsers(segment, items)
            }
        }
        let committed = try first.counters()["users"] ?? 0
        #expect(committed > 0 && committed < ids.count)

        #expect(throws: RunStateError.self) { _ = try RunState(path: path, fingerprint: Self.fingerprint(6), resume: false) }
        #expect(throws: RunStateError.self) { _ = try RunState(path: path, fingerprint: Self.fingerprint(7), resume: true) }
        let resumed = try RunState(path: path, fingerprint: Self.fingerprint(6), resume: true)
        #expect(resumed.resumed && resumed.runId == first.runId)
        let outcome = try await engine.run(table: store.store.table, state: resumed, logger: Self.logger) { Self.recordUsers($0, $1) }
        #expect(outcome.complete)
        #expect(Set(try resumed.records(kind: "user").map(\.key)) == ids)
        #expect(try resumed.counters()["users"] == ids.count, "every user processed exactly once")
    }

    @Test("a run's id is known before its state is opened: a new run takes the proposed id, a resumed one keeps its own, read without writing")
    func runIdBeforeOpening() throws {
        let directory = try makeTemporaryDirectory("uservault-runid")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("run.checkpoint").path
        #expect(RunState.storedRunId(at: path) == nil, "no file: no run")
        let first = try RunState(path: path, fingerprint: Self.fingerprint(4), resume: false, proposedRunId: "run-one")
        #expect(first.runId == "run-one")
        #expect(RunState.storedRunId(at: path) == "run-one")
        let resumed = try RunState(path: path, fingerprint: Self.fingerprint(4), resume: true, proposedRunId: "run-two")
        #expect(resumed.runId == "run-one", "a resumed run keeps its id")
        let foreign = directory.appendingPathComponent("notes.txt")
        try Data("not a run state".utf8).write(to: foreign)
        #expect(RunState.storedRunId(at: foreign.path) == nil)
        #expect(try Data(contentsOf: foreign) == Data("not a run state".utf8), "left as it was")
    }

    /// A table whose every scan fails with `error`, counting the scans.
    struct FailingScans: UserTable {
        var error: UserTableError
        let scans = Counter()
        var backendName: String { "failing" }
        var tableName: String { "users" }
        func ensureTable() async throws -> Bool { false }
        func insertUser(_ record: NewUserRecord) async throws {}
        func user(id: String) async throws -> UserSummary? { nil }
        func item(id: String) async throws -> StoredItem? { nil }
        func users(withEmails emails: [String]) async throws -> [UserSummary] { [] }
        func scan(_ request: ScanRequest) async throws -> ScanPage {
            _ = scans.increment()
            throw error
        }
        func unconditionalPut(_ item: StoredItem) async throws {}
        func approximateItemCount() async throws -> Int? { nil }
    }

    @Test("a table whose endpoint never answered stops the run at its first failed page; an outage's pages are tried again")
    func unreachableIsFinal() async throws {
        var configuration = ScanEngine.Configuration(totalSegments: 8, concurrency: 2)
        configuration.pageRetryDelay = .zero
        let unreachable = FailingScans(error: .unreachable("dynamodb Scan failed: connection refused by 127.0.0.1:9 after 3 attempts"))
        let state = try RunState(path: nil, fingerprint: Self.fingerprint(8), resume: false)
        do {
            _ = try await ScanEngine(configuration: configuration).run(table: unreachable, state: state, logger: Self.logger) {
                Self.recordUsers($0, $1)
            }
            Issue.record("the scan cannot succeed")
        } catch let failure as ServiceFailure {
            #expect(failure.isFinal)
            #expect(failure.detail.contains("127.0.0.1:9"), "\(failure.detail)")
        }
        // At most the pages already in flight when the first one failed: none tried again.
        #expect(unreachable.scans.increment() - 1 <= configuration.concurrency)

        let outage = FailingScans(error: .unavailable("dynamodb Scan failed: connection refused by 127.0.0.1:9 after 3 attempts"))
        let again = try RunState(path: nil, fingerprint: Self.fingerprint(8), resume: false)
        await #expect(throws: ServiceFailure.self) {
            _ = try await ScanEngine(configuration: configuration).run(table: outage, state: again, logger: Self.logger) {
                Self.recordUsers($0, $1)
            }
        }
        #expect(outage.scans.increment() - 1 >= configuration.pageAttempts, "a page is tried \(configuration.pageAttempts) times")
    }

    @Test("--resume without a checkpoint is refused")
    func nothingToResume() throws {
        #expect(throws: RunStateError.self) {
            _ = try RunState(path: "/nonexistent/run.checkpoint", fingerprint: Self.fingerprint(1), resume: true)
        }
    }
}

/// A thread-safe counter for closures run concurrently.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int { lock.withLock { value += 1; return value } }
}
