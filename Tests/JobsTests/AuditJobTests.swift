import Foundation
import Jobs
import Logging
import Testing
import TestSupport
import UserVaultCore

@Suite("The audit job on the embedded store")
struct AuditJobTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// The users a planted defect should flag at `depth` (both users of a shared key).
    static func defective(_ outcome: Seeder.Outcome, depth: AuditDepth) -> Set<String> {
        let found = outcome.defects.filter { depth == .deep || !$0.kind.needsDeepAudit }
        return Set(found.map(\.userId)).union(found.compactMap(\.otherUserId))
    }

    @Test("flags exactly the defective users, the same for 1, 4 and 16 segments; the report is written")
    func verdicts() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let outcome = try await Seeder(service: store.service).run(.init(users: 60, defects: 16, seed: 11), logger: Self.logger)
        let defective = Self.defective(outcome, depth: .standard)

        var reports: [JobReport] = []
        for segments in [1, 4, 16] { reports.append(try await JobsFixtures.audit(store, segments: segments).report) }
        for report in reports {
            #expect(report.complete)
            #expect(report.users == 60)
            #expect(Set(report.findings.compactMap(\.userId)) == defective)
            #expect(report.verified == 60 - defective.count, "verified: proven and without any finding")
            #expect(report.summary["KEY_SHARED"] == 2 * outcome.defects.filter { $0.kind == .sharedKey }.count)
            #expect(report.stats.kmsRequests <= 2 * report.users)
        }
        #expect(reports[0].findings == reports[1].findings && reports[1].findings == reports[2].findings)

        let directory = try makeTemporaryDirectory("reports")
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = try ReportWriter.write(reports[0], to: directory)
        #expect(folder.path.contains("/audit/"))
        let json = try Data(contentsOf: folder.appendingPathComponent("report.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        for field in ["runId", "job", "backend", "table", "startedAt", "finishedAt", "complete", "segments", "scanned",
                      "users", "verified", "findings", "summary", "stats"] {
            #expect(object[field] != nil, "\(field)")
        }
        let markdown = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("KEY_SHARED") && markdown.contains("CREDENTIALS_PLAINTEXT"))
        let mode = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("report.json").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("a clean table has no findings")
    func clean() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        _ = try await Seeder(service: store.service).run(.init(users: 25, defects: 0, seed: 3), logger: Self.logger)
        let report = try await JobsFixtures.audit(store, segments: 4).report
        #expect(report.complete && report.findings.isEmpty && report.verified == 25)
        let deep = try await JobsFixtures.audit(store, segments: 4, depth: .deep).report
        #expect(deep.complete && deep.findings.isEmpty && deep.verified == 25)
    }

    @Test("deep: owner tags, rotation and orphan keys; two merged worker halves equal one run", arguments: AuditDepth.allCases)
    func deepAndMerged(depth: AuditDepth) async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let outcome = try await Seeder(service: store.service).run(.init(users: 50, defects: 20, seed: 5), logger: Self.logger)
        #expect(outcome.defects.contains { $0.kind == .foreignOwnerTag })
        let keys = store.store.keys
        // A per-user CMK nobody uses (an orphan), and one already scheduled for deletion (not one).
        let orphan = try await keys.createKey(description: "left behind", tags: ["CreatedBy": "gone-user"])
        let deleted = try await keys.createKey(description: "deleted", tags: ["CreatedBy": "deleted-user"])
        try await keys.scheduleKeyDeletion(keyId: deleted.keyId, pendingWindowDays: 7)

        let whole = try await JobsFixtures.audit(store, segments: 8, depth: depth).report
        #expect(Set(whole.findings.filter { $0.code != .orphanKey }.compactMap(\.userId)) == Self.defective(outcome, depth: depth))
        let orphans = whole.findings.filter { $0.code == .orphanKey }.compactMap(\.keyId).map(KeyReference.bareKeyId)
        #expect(orphans == (depth == .deep ? [orphan.keyId] : []))
        #expect(whole.stats.kmsRequests <= (depth == .deep ? 3 : 2) * whole.users + orphans.count + 2)

        // --worker 0/2 and 1/2, merged: the single run's findings and counts, shared keys included
        // even where the two users of a key fell to different workers.
        var halves: [(report: JobReport, share: AuditShare)] = []
        for worker in [WorkerShare(index: 1, count: 2), WorkerShare(index: 0, count: 2)] {
            halves.append(try await JobsFixtures.audit(store, segments: 8, depth: depth, worker: worker))
        }
        #expect(halves.allSatisfy { $0.report.users < whole.users })
        let merged = try await AuditMerge.merge(
            halves.map { AuditMerge.Part(report: $0.report, share: $0.share, folder: URL(fileURLWithPath: "/")) }, keys: keys)
        #expect(merged.complete)
        #expect(merged.findings == whole.findings)
        #expect(merged.summary == whole.summary)
        #expect((merged.users, merged.scanned, merged.verified) == (whole.users, whole.scanned, whole.verified))
        #expect(merged.segments.assigned == 8 && merged.segments.finished == 8)

        await #expect(throws: MergeError.self) {
            _ = try await AuditMerge.merge([AuditMerge.Part(report: halves[0].report, share: halves[0].share,
                                                            folder: URL(fileURLWithPath: "/"))], keys: keys)
        }
    }
}
