import Foundation
import Testing
import TestSupport

@Suite("uservault audit, end to end on the embedded store")
struct AuditCLITests {
    static func findings(in directory: URL) throws -> (report: [String: Any], userIds: Set<String>) {
        let audits = directory.appendingPathComponent("reports/audit")
        let runs = try FileManager.default.contentsOfDirectory(atPath: audits.path).sorted()
        let data = try Data(contentsOf: audits.appendingPathComponent(runs.last!).appendingPathComponent("report.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let ids = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["userId"] as? String }
        return (report, Set(ids))
    }

    @Test("planted defects: exit 1 and exactly the defective users; a clean store: exit 0")
    func defects() async throws {
        let directory = try makeTemporaryDirectory("uservault-audit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let seeded = try await runUserVault(["seed", "--users", "120", "--defects", "16", "--seed", "9", "--manifest", "m.json",
                                             "--log-level", "warning"], in: directory)
        #expect(seeded.exitCode == 0, "\(seeded.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("m.json"))) as? [String: Any]
        var defective: Set<String> = []
        for defect in manifest?["defects"] as? [[String: Any]] ?? [] {
            defective.insert(defect["userId"] as! String)
            if let other = defect["otherUserId"] as? String { defective.insert(other) }
        }
        let audit = try await runUserVault(["audit", "--segments", "4", "--progress", "never"], in: directory)
        #expect(audit.exitCode == 1, "\(audit.stderr)")
        #expect(audit.stdout.contains("report: "))
        let (report, flagged) = try Self.findings(in: directory)
        #expect(flagged == defective)
        #expect(report["complete"] as? Bool == true)
        #expect(report["backend"] as? String == "embedded")
        let json = try JSONSerialization.data(withJSONObject: report)
        #expect(try await validateJSONDocuments([json], schema: reportSchemaURL).isEmpty, "report.json follows its schema")
        #expect(try await !validateJSONDocuments([Data(#"{"runId": 1}"#.utf8)], schema: reportSchemaURL).isEmpty)

        let clean = try makeTemporaryDirectory("uservault-audit-clean")
        defer { try? FileManager.default.removeItem(at: clean) }
        #expect(try await runUserVault(["seed", "--users", "30", "--log-level", "warning"], in: clean).exitCode == 0)
        let passed = try await runUserVault(["audit", "--progress", "never"], in: clean)
        #expect(passed.exitCode == 0, "\(passed.stderr)")
    }

    @Test("a missing store is exit 2 with one line")
    func missingStore() async throws {
        let result = try await runUserVault(["audit", "--store", "absent.sqlite", "--progress", "never"])
        #expect(result.exitCode == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}
