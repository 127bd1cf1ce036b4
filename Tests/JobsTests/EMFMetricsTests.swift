import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// ``EMFMetrics``: a report's metrics as CloudWatch Embedded Metric Format lines.
@Suite("EMF metrics")
struct EMFMetricsTests {
    @Test("an audit's report: valid EMF lines, totals and findings by code equal to the report's, the given time, no user or key id")
    func auditReport() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        _ = try await Seeder(service: store.service).run(.init(users: 40, defects: 10, seed: 5), logger: JobsFixtures.logger)
        let report = try await JobsFixtures.audit(store, segments: 2, depth: .standard).report
        #expect(!report.findings.isEmpty)
        let date = Date(timeIntervalSince1970: 1_764_900_000.123)
        let lines = EMFMetrics.lines(for: report, at: date)
        let documents = EMFDocument.all(in: lines.joined(separator: "\n"))
        #expect(documents.count == lines.count && lines.count == 1 + FindingCode.allCases.count)
        for document in documents {
            #expect(document.problems.isEmpty, "\(document.problems)")
            #expect((document.object["_aws"] as? [String: Any])?["Timestamp"] as? Int == 1_764_900_000_123)
            #expect(document.string("Job") == "audit" && document.string("RunId") == report.runId)
        }
        let total = documents[0]
        #expect(total.number("Users") == Double(report.users) && total.number("Verified") == Double(report.verified))
        #expect(total.number("Findings") == Double(report.findings.count))
        for severity in Severity.allCases {
            let count = report.findings.filter { $0.severity == severity }.count
            #expect(total.number("Findings" + severity.rawValue.capitalized) == Double(count))
        }
        #expect(total.number("DynamoDBRequests") == Double(report.stats.dynamoRequests) && total.number("Complete") == 1)
        #expect(Set(documents.dropFirst().compactMap { $0.string("Code") }) == Set(FindingCode.allCases.map(\.rawValue)))
        for document in documents.dropFirst() {
            #expect(document.number("Findings") == Double(report.summary[document.string("Code") ?? ""] ?? 0))
            #expect(document.string("Severity") == FindingCode(rawValue: document.string("Code") ?? "")?.severity.rawValue)
        }
        let text = lines.joined()
        for finding in report.findings {
            for id in [finding.userId, finding.keyId].compactMap({ $0 }) { #expect(!text.contains(id), "no user or key id") }
        }
    }

    @Test("a repair's report: the totals line only; an incomplete run says Complete 0; a fractional duration stays fractional")
    func repairReport() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        _ = try await Seeder(service: store.service).run(.init(users: 5, seed: 1), logger: JobsFixtures.logger)
        var report = try await JobsFixtures.audit(store, segments: 1, depth: .standard).report
        report.job = "backfill"
        report.complete = false
        report.stats.durationSeconds = 1.5
        let lines = EMFMetrics.lines(for: report, at: Date())
        let document = try #require(EMFDocument.all(in: lines.joined(separator: "\n")).first)
        #expect(lines.count == 1 && document.problems.isEmpty)
        #expect(document.number("Complete") == 0 && document.number("Duration") == 1.5)
    }
}
