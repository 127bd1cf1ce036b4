import Foundation
import Testing
import TestSupport

/// Every folder the program makes for what names users — the embedded store's, report folders,
/// an export's output folder and its resumable spool — is mode 0700, whatever the umask.
@Suite("Folders the jobs make are private")
struct PrivateFolderTests {
    /// `uservault ARGS` under `umask 000`.
    static func underUmask000(_ arguments: [String], in directory: URL) async throws -> Int32 {
        try await runChildProcess(URL(fileURLWithPath: "/bin/sh"),
                                  ["-c", #"umask 000; exec "$0" "$@""#, userVaultBinary.path] + arguments,
                                  environment: childEnvironment(ProcessInfo.processInfo.environment
                                      .filter { ["PATH", "HOME", "TMPDIR"].contains($0.key) }),
                                  in: directory).status
    }

    static func mode(_ url: URL) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
    }

    @Test("store, report and export folders are 0700 under umask 000; a folder that existed keeps its mode")
    func modes() async throws {
        let directory = try makeTemporaryDirectory("uservault-umask")
        defer { try? FileManager.default.removeItem(at: directory) }
        let existing = directory.appendingPathComponent("existing")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])

        #expect(try await Self.underUmask000(["seed", "--users", "20", "--log-level", "warning"], in: directory) == 0)
        #expect(try Self.mode(directory.appendingPathComponent(".uservault")) == 0o700)

        #expect(try await Self.underUmask000(["audit", "--progress", "never", "--report-dir", "existing/nightly/reports"], in: directory) == 0)
        let audit = existing.appendingPathComponent("nightly/reports/audit")
        let runFolder = try #require(try FileManager.default.contentsOfDirectory(at: audit, includingPropertiesForKeys: nil).first)
        for folder in [existing.appendingPathComponent("nightly"), existing.appendingPathComponent("nightly/reports"), audit, runFolder] {
            #expect(try Self.mode(folder) == 0o700, "\(folder.path)")
        }
        #expect(try Self.mode(existing) == 0o755, "an existing folder is not this program's to change")

        let checkpoint = directory.appendingPathComponent("export.checkpoint").path
        #expect(try await Self.underUmask000(["export", "--output", "exports/weekly/users.tar.gz", "--progress", "never",
                                              "--checkpoint", checkpoint], in: directory) == 0)
        for folder in ["exports", "exports/weekly"] {
            #expect(try Self.mode(directory.appendingPathComponent(folder)) == 0o700, "\(folder)")
        }
    }
}
