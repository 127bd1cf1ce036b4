import Foundation
import Testing
import TestSupport

/// `uservault run JOBFILE [--dry-run]` over the job definitions in `jobs/`.
@Suite("uservault run: the job definitions")
struct RunCommandTests {
    static let jobs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("jobs")

    static func job(_ name: String) -> String { jobs.appendingPathComponent(name).path }

    @Test("--dry-run checks every job file and prints its command line; a bad one exits 2")
    func dryRun() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.jobs.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.contains("nightly-audit.json") && files.contains("compliance-export.json")
            && files.contains("key-rotation-sweep.json") && files.contains { $0.hasPrefix("backfill-") })
        for file in files {
            let result = try await runUserVault(["run", Self.job(file), "--dry-run"])
            let definition = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.jobs.appendingPathComponent(file))) as? [String: Any])
            let job = try #require(definition["job"] as? String)
            #expect(result.exitCode == 0, "\(file): \(result.stderr)")
            #expect(result.stdout.contains("would run: uservault \(job) "), "\(file): \(result.stdout)")
        }
        let directory = try makeTemporaryDirectory("uservault-run")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(#"{"job":"audit","params":{"depth":"shallow"}}"#.utf8).write(to: directory.appendingPathComponent("bad.json"))
        let bad = try await runUserVault(["run", "bad.json", "--dry-run"], in: directory)
        #expect(bad.exitCode == 2 && bad.stderr.contains("--depth"), "\(bad.stderr)")
        try Data(#"{"job":"no-such-job"}"#.utf8).write(to: directory.appendingPathComponent("none.json"))
        let none = try await runUserVault(["run", "none.json", "--dry-run"], in: directory)
        #expect(none.exitCode == 2 && none.stderr.contains("no such job"), "\(none.stderr)")
    }

    @Test("an unknown key is an error naming it and the nearest known key, with and without --dry-run",
          arguments: [("reportdir", "reportDir"), ("chekpoint", "checkpoint"), ("param", "params")])
    func unknownKeys(key: String, nearest: String) async throws {
        let directory = try makeTemporaryDirectory("uservault-run-keys")
        defer { try? FileManager.default.removeItem(at: directory) }
        let definition = #"{"job":"audit","params":{"progress":"never"},"\#(key)":"x"}"#
        try Data(definition.utf8).write(to: directory.appendingPathComponent("typo.json"))
        for dryRun in [true, false] {
            let result = try await runUserVault(["run", "typo.json"] + (dryRun ? ["--dry-run"] : []), in: directory)
            #expect(result.exitCode == 2, "\(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "one line: \(result.stderr)")
            #expect(result.stderr.contains("'\(key)'") && result.stderr.contains("'\(nearest)'"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".uservault").path), "nothing ran")
        }
    }

    @Test("a job file that cannot be read, is no definition, or names a parameter its job does not have: exit 2, nothing run",
          arguments: [
              ("missing.json", nil, "cannot read the job file missing.json"),
              ("cut.json", #"{"job": "#, #"cut.json is not a job definition ({"job", "params", ...}): "#),
              ("shape.json", #"{"job": 7}"#, #"shape.json is not a job definition ({"job", "params", ...}): "#),
              ("param.json", #"{"job":"audit","params":{"Depth":"deep"}}"#,
               "param.json: 'Depth' is not a parameter of audit (did you mean 'depth'?)"),
          ] as [(String, String?, String)])
    func unusableFile(file: String, contents: String?, message: String) async throws {
        let directory = try makeTemporaryDirectory("uservault-run-file")
        defer { try? FileManager.default.removeItem(at: directory) }
        if let contents { try Data(contents.utf8).write(to: directory.appendingPathComponent(file)) }
        for dryRun in [true, false] {
            let result = try await runUserVault(["run", file] + (dryRun ? ["--dry-run"] : []), in: directory)
            #expect(result.exitCode == 2, "\(result.stderr)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".uservault").path), "nothing ran")
        }
    }

    @Test("every job file runs for real on the embedded store")
    func forReal() async throws {
        let directory = try makeTemporaryDirectory("uservault-run-real")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "30", "--defects", "3", "--log-level", "warning"], in: directory).exitCode == 0)
        let audit = try await runUserVault(["run", Self.job("nightly-audit.json")], in: directory)
        #expect(audit.exitCode == 1, "findings: \(audit.stderr)")
        #expect(try latestReport(in: directory.appendingPathComponent("reports")).int("users") == 30)
        let export = try await runUserVault(["run", Self.job("compliance-export.json")], in: directory)
        #expect(export.exitCode == 0, "\(export.stderr)")
        let archives = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("reports/export").path)
        let archive = try #require(archives.first { $0.hasSuffix(".tar.zst") })
        #expect(archive.range(of: #"^users-\d{8}T\d{6}Z\.tar\.zst$"#, options: .regularExpression) != nil, "{date} filled in: \(archive)")
        #expect(try await runUserVault(["verify-export", "reports/export/\(archive)"], in: directory).exitCode == 0)
        for file in ["key-rotation-sweep.json", "backfill-email-guards.json", "backfill-encrypt-plaintext.json", "backfill-key-metadata.json"] {
            let result = try await runUserVault(["run", Self.job(file)], in: directory)
            #expect(result.exitCode == 0, "\(file): \(result.stdout) \(result.stderr)")
        }
        #expect(try latestReport(in: directory.appendingPathComponent("reports"), job: "rotate-keys").int("users") == 30)
        #expect(try latestReport(in: directory.appendingPathComponent("reports"), job: "backfill").int("users") == 30)
    }
}
