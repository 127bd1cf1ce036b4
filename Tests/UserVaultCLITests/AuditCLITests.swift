import EmbeddedStore
import AWSClients
import Foundation
import Testing
import TestSupport
import UserVaultCore

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
        let faults = try PlantedFault.manifest(directory.appendingPathComponent("m.json"))
        let defective = PlantedFault.flagged(faults, deep: false)
        let audit = try await runUserVault(["audit", "--segments", "4", "--progress", "always"], in: directory)
        #expect(audit.exitCode == 1, "\(audit.stderr)")
        #expect(audit.stdout.contains("report: "))
        #expect(audit.stderr.contains("items/s") && audit.stderr.contains("4/4 segments"), "a progress line: \(audit.stderr)")
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

        // Deep: the key tagged for someone else is found too.
        let deep = try await runUserVault(["audit", "--depth", "deep", "--progress", "auto", "--log-format", "json",
                                           "--report-dir", "deep"], in: directory)
        #expect(deep.exitCode == 1, "\(deep.stderr)")
        // Not a terminal: progress comes as structured log lines, not a redrawn line.
        let progressLines = deep.stderr.split(separator: "\n").filter { $0.contains(#""message":"progress""#) }
        #expect(!progressLines.isEmpty && progressLines.allSatisfy { $0.contains("itemsPerSecond") }, "\(deep.stderr)")
        #expect(!deep.stderr.contains("\u{1B}[K"), "no terminal control sequences in a log")
        let deepReport = try latestReport(in: directory.appendingPathComponent("deep"))
        #expect(deepReport.flaggedUsers == PlantedFault.flagged(faults, deep: true))
        #expect(faults.contains { $0.needsDeepAudit })
    }

    @Test("killed with SIGKILL mid-run and resumed: the report of an uninterrupted run (100,000 users)")
    func killAndResume() async throws {
        let directory = try makeTemporaryDirectory("uservault-audit-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try EmbeddedStore(path: directory.appendingPathComponent(".uservault/store.sqlite").path)
        let ids = try await store.bulkLoadSyntheticUsers(count: 100_000, seed: 21)
        var generator = SeededGenerator(seed: 3)
        let planter = DefectPlanter(table: store.table, keys: store.keys)
        for (offset, kind) in DefectKind.allCases.filter({ $0 != .sharedKey && !$0.needsDeepAudit }).enumerated() {
            _ = try await planter.plant(kind, userId: ids[offset * 9_973], password: "a-password", using: &generator)
        }
        _ = try await planter.plantSharedKey(owner: ids[7], borrower: ids[99_999], password: "a-password")

        let scan = ["audit", "--segments", "64", "--concurrency", "2", "--log-level", "warning"]
        let whole = try await runUserVault(scan + ["--progress", "never", "--report-dir", "whole"], in: directory)
        #expect(whole.exitCode == 1, "\(whole.stderr)")
        let expected = try latestReport(in: directory.appendingPathComponent("whole"))
        #expect(expected.int("users") == 100_000 && expected.findings.count == 9)

        // The same audit with a checkpoint: killed with SIGKILL once some segments are done, resumed
        // and stopped with SIGTERM further on, resumed again to the end.
        let checkpoint = directory.appendingPathComponent("audit.checkpoint").path
        let killed = try await runUserVaultUntil(scan + ["--checkpoint", checkpoint, "--progress", "always", "--report-dir", "resumed"],
                                                 in: directory, pattern: #"\b(1[6-9]|2[0-9])/64 segments"#, signal: SIGKILL)
        #expect(killed.signalledMidRun, "signalled mid-run")
        #expect(killed.reason == .uncaughtSignal, "killed mid-run")
        #expect(FileManager.default.fileExists(atPath: checkpoint))
        let stopped = try await runUserVaultUntil(scan + ["--checkpoint", checkpoint, "--resume", "--progress", "always",
                                                          "--report-dir", "stopped"],
                                                  in: directory, pattern: #"\b(3[6-9]|4[0-9])/64 segments"#, signal: SIGTERM)
        #expect(stopped.signalledMidRun, "signalled mid-run")
        #expect(stopped.reason == .exit && stopped.status == 2, "SIGTERM: a clean stop, exit 2: \(stopped.stderr)")
        #expect(stopped.stderr.contains("--resume"), "says how to go on: \(stopped.stderr)")
        let partial = try latestReport(in: directory.appendingPathComponent("stopped"))
        #expect(partial.complete == false)
        #expect(FileManager.default.fileExists(atPath: checkpoint), "the checkpoint stays for --resume")

        let resumed = try await runUserVault(scan + ["--checkpoint", checkpoint, "--resume", "--progress", "never",
                                                     "--report-dir", "resumed"], in: directory)
        #expect(resumed.exitCode == 1, "\(resumed.stderr)")
        let report = try latestReport(in: directory.appendingPathComponent("resumed"))
        #expect(report.findingsJSON == expected.findingsJSON)
        for field in ["users", "scanned", "verified"] { #expect(report.int(field) == expected.int(field), "\(field)") }
        #expect(report.stat("kmsRequests") == expected.stat("kmsRequests"), "nothing verified twice")
        #expect(!FileManager.default.fileExists(atPath: checkpoint), "a finished run removes its checkpoint")
    }

    @Test("a missing store is exit 2 with one line")
    func missingStore() async throws {
        let result = try await runUserVault(["audit", "--store", "absent.sqlite", "--progress", "never"])
        #expect(result.exitCode == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}
