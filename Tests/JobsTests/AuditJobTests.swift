import Foundation
import Jobs
import Logging
import Testing
import TestSupport
import UserVaultCore

@Suite("The audit job on the embedded store")
struct AuditJobTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func audit(_ store: TemporaryStore, segments: Int, concurrency: Int = 4) async throws -> JobReport {
        let job = AuditJob(configuration: .init(scan: .init(totalSegments: segments, concurrency: concurrency, pageSize: 9)))
        let state = try RunState(path: nil, fingerprint: job.fingerprint(table: store.store.table), resume: false)
        defer { state.discard() }
        return try await job.run(table: store.store.table, keys: store.store.keys, state: state, logger: logger)
    }

    @Test("flags exactly the defective users, the same for 1, 4 and 16 segments; the report is written")
    func verdicts() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        let outcome = try await Seeder(service: store.service).run(.init(users: 60, defects: 16, seed: 11), logger: Self.logger)
        var defective = Set(outcome.defects.map(\.userId))
        defective.formUnion(outcome.defects.compactMap(\.otherUserId))  // both users on a shared key

        var reports: [JobReport] = []
        for segments in [1, 4, 16] { reports.append(try await Self.audit(store, segments: segments)) }
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
        let report = try await Self.audit(store, segments: 4)
        #expect(report.complete && report.findings.isEmpty && report.verified == 25)
    }
}
