import Foundation
import Jobs
import Testing
import TestSupport

/// Every finding's remedy names a `uservault` command that exists, or says the fix is by hand;
/// each command named parses (`--help`, exit 0, and the command's own help, not the top level's).
@Suite("Remedies name commands that exist")
struct RemedyCommandTests {
    /// The `uservault …` commands in backticks in `text`, as argument lists (without the program).
    static func commands(in text: String) -> [[String]] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 && $0.element.hasPrefix("uservault ") }
            .map { $0.element.split(separator: " ").dropFirst().map(String.init) }
    }

    @Test("each remedy names a uservault command or says the fix is by hand; the three password findings name set-password, ORPHAN_KEY prune-orphans")
    func everyRemedy() {
        for code in FindingCode.allCases {
            #expect(!Self.commands(in: code.remedy).isEmpty || code.remedy.contains("by hand"), "\(code.rawValue): \(code.remedy)")
        }
        for code in [FindingCode.credentialsMissing, .notKMSCiphertext, .keyNotFound] {
            #expect(Self.commands(in: code.remedy).contains(["set-password", "USER_ID"]), "\(code.rawValue)")
        }
        #expect(Self.commands(in: FindingCode.orphanKey.remedy).contains(["rotate-keys", "--mode", "prune-orphans", "--apply"]))
        #expect(Self.commands(in: "run `uservault audit --depth deep`, not `aws kms enable-key`") == [["audit", "--depth", "deep"]])
    }

    @Test("every command a remedy names parses: --help exits 0 with that command's own usage")
    func commandsParse() async throws {
        let commands = Set(FindingCode.allCases.flatMap { Self.commands(in: $0.remedy) })
        #expect(commands.count >= 6, "\(commands)")
        for command in commands.sorted(by: { $0.joined(separator: " ") < $1.joined(separator: " ") }) {
            let result = try await runUserVault(command + ["--help"])
            #expect(result.exitCode == 0, "uservault \(command.joined(separator: " ")) --help: \(result.stderr)")
            #expect(result.stdout.contains("USAGE: uservault \(command[0])"), "its own help: \(result.stdout.prefix(200))")
        }
        // The check can fail: a command that does not exist, and a value an option does not take.
        let unknown = try await runUserVault(["reset-password", "USER_ID", "--help"])
        #expect(unknown.exitCode == 2)
        let badMode = try await runUserVault(["rotate-keys", "--mode", "prune-everything", "--apply", "--help"])
        #expect(badMode.exitCode == 2, "\(badMode.stdout) \(badMode.stderr)")
    }
}
