import Foundation
import Testing
import TestSupport

/// `--metrics emf`, `--metrics-file` and a job file's `metrics` on the command line.
@Suite("Job metrics on the command line")
struct JobMetricsCLITests {
    @Test("audit --metrics emf: valid EMF lines on stdout before the summary; export --metrics-file appends; a job file's metrics param; a bad value, or a --metrics-file that is not an EMF file, is a usage error")
    func commandLine() async throws {
        let directory = try makeTemporaryDirectory("uservault-cli-emf")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "20", "--defects", "3", "--seed", "4", "--log-level", "warning"],
                                       in: directory).exitCode == 0)
        let audit = try await runUserVault(["audit", "--metrics", "emf", "--progress", "never", "--log-level", "warning"], in: directory)
        #expect(audit.exitCode == 1, "\(audit.stderr)")
        let documents = EMFDocument.all(in: audit.stdout)
        #expect(documents.count == 16 && documents.allSatisfy { $0.problems.isEmpty }, "\(audit.stdout)")
        #expect(documents.first?.number("Users") == 20 && documents.first?.string("Job") == "audit")
        let lines = audit.stdout.split(separator: "\n")
        #expect(lines.count == 20 && lines[16].hasPrefix("audit of 20 users") && lines[17].hasPrefix("no earlier report to compare with")
                && lines[19].hasPrefix("page: "),
                "the summary follows: \(audit.stdout)")

        let metricsFile = directory.appendingPathComponent("metrics.log").path
        for _ in 0..<2 {
            let export = try await runUserVault(["export", "--output", "users.tar.gz", "--metrics-file", metricsFile, "--progress", "never",
                                                 "--log-level", "warning"], in: directory)
            #expect(export.exitCode == 0 && EMFDocument.all(in: export.stdout).isEmpty, "\(export.stderr)")
        }
        let exported = EMFDocument.all(in: try String(contentsOfFile: metricsFile, encoding: .utf8))
        #expect(exported.count == 2 && exported.allSatisfy { $0.problems.isEmpty && $0.number("Users") == 20 && $0.string("Job") == "export" })

        let jobFile = directory.appendingPathComponent("guards.json")
        try Data(#"{"job":"backfill","arguments":["email-guards"],"params":{"metrics":"emf","progress":"never"}}"#.utf8).write(to: jobFile)
        let run = try await runUserVault(["run", jobFile.path, "--log-level", "warning"], in: directory)
        let backfill = EMFDocument.all(in: run.stdout)
        #expect(run.exitCode == 0 && backfill.count == 1 && backfill.first?.string("Job") == "backfill", "\(run.stdout) \(run.stderr)")
        #expect(backfill.first?.number("Complete") == 1)

        // A path that is not an EMF file is refused before the job runs: exit 2, the file untouched, no report.
        let foreign = directory.appendingPathComponent("notes.txt")
        try Data("someone else's notes\n".utf8).write(to: foreign)
        let reportsBefore = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("reports/audit").path).count
        for path in [foreign.path, directory.path, directory.appendingPathComponent("missing/metrics.log").path] {
            let refused = try await runUserVault(["audit", "--metrics-file", path, "--progress", "never"], in: directory)
            #expect(refused.exitCode == 2 && refused.stderr.contains("--metrics-file"), "\(path): \(refused.stderr)")
        }
        #expect(try String(contentsOf: foreign, encoding: .utf8) == "someone else's notes\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("reports/audit").path).count == reportsBefore,
                "no audit ran")

        let bad = try await runUserVault(["audit", "--metrics", "prometheus"], in: directory)
        #expect(bad.exitCode == 2 && bad.stderr.contains("--metrics"), "\(bad.stderr)")
        let help = try await runUserVault(["audit", "--help"], in: directory)
        #expect(help.stdout.contains("--metrics <metrics>") && help.stdout.contains("--metrics-file <path>"), "\(help.stdout)")
    }
}
