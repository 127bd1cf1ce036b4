import EmbeddedStore
import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `AuditMerge`: the shares of the `--worker I/M` runs of one audit merge to the report one run
/// over the whole table writes, cross-worker findings included; a set that is not the whole of
/// one audit is a `MergeError` that names what is wrong.
@Suite("AuditMerge: worker reports to the single run's report")
struct AuditMergeTests {
    static func part(_ run: (report: JobReport, share: AuditShare), folder: String = "/reports/worker") -> AuditMerge.Part {
        AuditMerge.Part(report: run.report, share: run.share, folder: URL(fileURLWithPath: folder))
    }

    static func mergeError(_ parts: [AuditMerge.Part]) async -> String? {
        let error = await #expect(throws: MergeError.self) { _ = try await AuditMerge.merge(parts, keys: nil) }
        return error?.description
    }

    @Test("two workers merge to the single run's counts and findings; a key shared by users of different workers is found (KEY_SHARED)")
    func merged() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let users = try await JobsFixtures.createUsers(16, in: store)
        // Which users worker 0/2 scans (segments are fixed ranges of the id's hash).
        let first = try await JobsFixtures.audit(store, segments: 8, worker: WorkerShare(index: 0, count: 2))
        let ofWorker0 = Set(first.share.keyRefs.map(\.userId))
        let owner = try #require(users.first { ofWorker0.contains($0.id) })
        let borrower = try #require(users.first { !ofWorker0.contains($0.id) })
        _ = try await DefectPlanter(table: store.store.table, keys: store.store.keys)
            .plantSharedKey(owner: owner.id, borrower: borrower.id, password: borrower.password)
        var generator = SeededGenerator(seed: 4)
        let plaintext = try #require(users.last { $0.id != owner.id && $0.id != borrower.id })
        _ = try await DefectPlanter(table: store.store.table, keys: store.store.keys)
            .plant(.plaintextString, userId: plaintext.id, password: plaintext.password, using: &generator)

        let whole = try await JobsFixtures.audit(store, segments: 8).report
        let workers = [try await JobsFixtures.audit(store, segments: 8, worker: WorkerShare(index: 1, count: 2)),
                       try await JobsFixtures.audit(store, segments: 8, worker: WorkerShare(index: 0, count: 2))]
        #expect(workers.allSatisfy { !$0.report.findings.contains { $0.code == .keyShared } },
                "no worker alone sees both users of the shared key")
        let merged = try await AuditMerge.merge(workers.map { Self.part($0) }, keys: nil)

        #expect(merged.complete)
        #expect(Set(merged.findings.filter { $0.code == .keyShared }.compactMap(\.userId)) == [owner.id, borrower.id])
        #expect(merged.findings == whole.findings)
        #expect(merged.summary == whole.summary)
        #expect((merged.users, merged.scanned, merged.verified) == (whole.users, whole.scanned, whole.verified))
        #expect(merged.users == 16 && merged.verified == 13, "all but the two sharers and the plaintext user")
        #expect(merged.segments.total == 8 && merged.segments.assigned == 8 && merged.segments.finished == 8)
        #expect(merged.parameters["mergedFrom"] == [workers[1].report.runId, workers[0].report.runId].joined(separator: ","))
    }

    @Test("a missing worker, the same worker twice, a worker of another audit and no report at all are errors naming the problem")
    func refusals() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        _ = try await JobsFixtures.createUsers(6, in: store)
        let zero = try await JobsFixtures.audit(store, segments: 4, worker: WorkerShare(index: 0, count: 2))
        let one = try await JobsFixtures.audit(store, segments: 4, worker: WorkerShare(index: 1, count: 2))
        let deepOne = try await JobsFixtures.audit(store, segments: 4, depth: .deep, worker: WorkerShare(index: 1, count: 2))
        let otherSplit = try await JobsFixtures.audit(store, segments: 8, worker: WorkerShare(index: 1, count: 2))

        let missing = await Self.mergeError([Self.part(zero)])
        #expect(missing?.contains("missing the report of worker 1/2") == true, "\(missing ?? "")")
        let twice = await Self.mergeError([Self.part(zero), Self.part(zero, folder: "/reports/again")])
        #expect(twice?.contains("same worker") == true && twice?.contains("0/2") == true, "\(twice ?? "")")
        for other in [deepOne, otherSplit] {
            let foreign = await Self.mergeError([Self.part(zero), Self.part(other, folder: "/reports/elsewhere")])
            #expect(foreign?.contains("/reports/elsewhere is from another audit") == true, "\(foreign ?? "")")
        }
        let none = await Self.mergeError([])
        #expect(none?.contains("no reports") == true, "\(none ?? "")")
        // The right pair merges.
        #expect(try await AuditMerge.merge([Self.part(zero), Self.part(one)], keys: nil).users == 6)
    }

    @Test("a worker that did not finish makes the merged report incomplete")
    func incomplete() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        _ = try await JobsFixtures.createUsers(4, in: store)
        let zero = try await JobsFixtures.audit(store, segments: 4, worker: WorkerShare(index: 0, count: 2))
        var one = try await JobsFixtures.audit(store, segments: 4, worker: WorkerShare(index: 1, count: 2))
        #expect(try await AuditMerge.merge([Self.part(zero), Self.part(one)], keys: nil).complete)
        one.share.complete = false
        #expect(try await AuditMerge.merge([Self.part(zero), Self.part(one)], keys: nil).complete == false)
    }

    @Test("load reads a worker's report folder (report.json and audit-share.json); a folder without them is an error naming the file")
    func load() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        _ = try await JobsFixtures.createUsers(3, in: store)
        let run = try await JobsFixtures.audit(store, segments: 2, worker: WorkerShare(index: 0, count: 2))
        let directory = try makeTemporaryDirectory("uservault-merge")
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = try ReportWriter.write(run.report, to: directory, extras: [AuditShare.fileName: try JSONEncoder().encode(run.share)])
        let loaded = try AuditMerge.load(folder)
        #expect(loaded.report.runId == run.report.runId && loaded.share.runId == run.share.runId)
        #expect(loaded.share.worker == run.share.worker && loaded.share.keyRefs == run.share.keyRefs)

        let empty = directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let error = #expect(throws: MergeError.self) { _ = try AuditMerge.load(empty) }
        #expect(error?.description.contains(empty.appendingPathComponent("report.json").path) == true, "\(String(describing: error))")
    }
}
