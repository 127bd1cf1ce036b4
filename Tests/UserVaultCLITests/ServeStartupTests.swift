import Foundation
import Testing
import TestSupport

/// `uservault serve` failing to start.
@Suite("uservault serve: a port in use")
struct ServeStartupTests {
    @Test("one clear error line, exit 2, and the store is not touched (same bytes, no -wal or -shm)")
    func portInUse() async throws {
        let directory = try makeTemporaryDirectory("uservault-serve-in-use")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "3", "--log-level", "warning"], in: directory).exitCode == 0)
        let store = directory.appendingPathComponent(".uservault/store.sqlite").path
        for suffix in ["-wal", "-shm"] { #expect(!FileManager.default.fileExists(atPath: store + suffix)) }
        let before = try storeSHA256(store)
        let held = try OccupiedPort()
        defer { held.release() }

        let result = try await runUserVault(["serve", "--host", "127.0.0.1", "--port", "\(held.port)"], in: directory)
        #expect(result.exitCode == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(result.stderr)")
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("uservault: error: ") && line.contains("127.0.0.1:\(held.port)") && line.contains("in use"), "\(line)")
        #expect(line.filter { $0 == "(" }.count == line.filter { $0 == ")" }.count, "balanced parentheses: \(line)")
        #expect(result.stdout.isEmpty, "no listening line: \(result.stdout)")
        #expect(try storeSHA256(store) == before, "the store's bytes are unchanged")
        for suffix in ["-wal", "-shm"] {
            #expect(!FileManager.default.fileExists(atPath: store + suffix), "no \(suffix) left behind")
        }
    }
}
