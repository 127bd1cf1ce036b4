import Foundation
import Testing
import TestSupport

/// `uservault demo`, the README's first command (`make demo`), as a real process on a small
/// store: it seeds once, audits (the planted defects are its findings, exit 0 all the same),
/// exports and verifies the archive; run again, it finds the users there and does not seed.
@Suite("uservault demo")
struct DemoCommandTests {
    @Test("seeds an empty store, audits it (planted defects found, exit 0), exports and verifies; a second run does not seed")
    func demo() async throws {
        let directory = try makeTemporaryDirectory("uservault-demo")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await runUserVault(["demo", "--users", "40", "--defects", "4", "--log-level", "warning"], in: directory)
        #expect(first.exitCode == 0, "\(first.stderr)")
        let lines = first.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("Seeding 40 users (4 with planted defects) into ") }, "\(first.stdout)")
        // The first page: five users, as `id  first last <email>`.
        #expect(lines.filter { $0.range(of: #"^  \S+  .+ <[^@\s]+@[^>\s]+>$"#, options: .regularExpression) != nil }.count == 5,
                "\(first.stdout)")
        #expect(lines.contains("  (the planted defects above are expected findings)"), "\(first.stdout)")
        let verified = try #require(lines.first { $0.hasSuffix("manifest, checksums and shape verified") }, "\(first.stdout)")
        #expect(verified.contains(": 40 users in "), "\(verified)")

        let exports = directory.appendingPathComponent("reports/export")
        let archives = try FileManager.default.contentsOfDirectory(atPath: exports.path).filter { $0.hasSuffix(".tar.zst") }
        #expect(archives.count == 1)
        let archive = try #require(archives.first)
        #expect(FileManager.default.fileExists(atPath: exports.appendingPathComponent(archive + ".sha256").path))
        #expect(try await runUserVault(["verify-export", "reports/export/\(archive)"], in: directory).exitCode == 0)

        // (Out of the way: the second run's archive is named after the same second's stamp when fast.)
        try FileManager.default.removeItem(at: exports)
        let second = try await runUserVault(["demo", "--log-level", "warning"], in: directory)
        #expect(second.exitCode == 0, "\(second.stderr)")
        #expect(!second.stdout.contains("Seeding"), "\(second.stdout)")
        #expect(second.stdout.contains("holds "), "\(second.stdout)")
    }
}
