import Foundation
import Testing
import TestSupport

@Suite("The uservault command line, end to end")
struct CommandLineTests {
    @Test("--help explains every command")
    func help() async throws {
        let result = try await runUserVault(["--help"])
        #expect(result.exitCode == 0)
        for command in ["init", "seed", "serve", "demo", "audit", "export", "verify-export", "rotate-keys", "backfill",
                        "run", "merge-reports"] {
            #expect(result.stdout.contains("  \(command) "), "\(command) is listed")
        }
        #expect(!result.stdout.contains("(not yet available)"))
        let seedHelp = try await runUserVault(["seed", "--help"])
        #expect(seedHelp.exitCode == 0)
        #expect(seedHelp.stdout.contains("--defects"))
        #expect(seedHelp.stdout.contains("USERVAULT_STORE"))
    }

    @Test("errors are one line on stderr with exit code 2", arguments: [
        ["seed"],                                     // missing --users
        ["seed", "--users", "x"],                     // not a number
        ["--bogus", "seed", "--users", "1"],          // unknown option
        ["audit", "--depth", "deep"],                 // no store here
        ["export", "--output", "x.tar.gz"],
        ["--backend", "aws", "seed", "--users", "1"], // no region configured
        ["--backend", "mainframe", "seed", "--users", "1"],
        ["--log-format", "xml", "seed", "--users", "1"],
        ["seed", "--users", "2", "--defects", "3"],
    ])
    func errors(_ arguments: [String]) async throws {
        let result = try await runUserVault(arguments)
        #expect(result.exitCode == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(result.stderr)")
        #expect(lines.first?.hasPrefix("uservault: error: ") == true)
        #expect(!result.stderr.contains("Stack") && !result.stderr.contains("Fatal"))
    }

    @Test("an unknown command is reported as the command, whatever options follow it", arguments: [
        ["frobnicate", "--x", "1"],
        ["frobnicate"],
        ["--store", "s.sqlite", "frobnicate", "--x", "1"],
        ["frobnicate", "--store", "s.sqlite"],
    ])
    func unknownCommand(_ arguments: [String]) async throws {
        let result = try await runUserVault(arguments)
        #expect(result.exitCode == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(result.stderr)")
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("uservault: error: ") && line.contains("unknown command 'frobnicate'"), "\(line)")
        #expect(!line.contains("--x") && !line.contains("--store"), "the command is the problem, not its options: \(line)")
    }

    @Test("a misspelt command gets the nearest one suggested")
    func misspeltCommand() async throws {
        let result = try await runUserVault(["aduit", "--depth", "deep"])
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("unknown command 'aduit'") && result.stderr.contains("'audit'"), "\(result.stderr)")
    }

    @Test("global options go before or after the command; a flag beats the environment")
    func globalOptions() async throws {
        let directory = try makeTemporaryDirectory("uservault-globals")
        defer { try? FileManager.default.removeItem(at: directory) }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) }

        #expect(try await runUserVault(["--store", "before.sqlite", "seed", "--users", "2"], in: directory).exitCode == 0)
        #expect(exists("before.sqlite"))
        #expect(try await runUserVault(["seed", "--users", "2", "--store=after.sqlite"], in: directory).exitCode == 0)
        #expect(exists("after.sqlite"))
        #expect(try await runUserVault(["seed", "--users", "1"], environment: ["USERVAULT_STORE": "env.sqlite"], in: directory).exitCode == 0)
        #expect(exists("env.sqlite"))
        #expect(try await runUserVault(["seed", "--users", "1", "--store", "flag.sqlite"],
                                 environment: ["USERVAULT_STORE": "ignored.sqlite"], in: directory).exitCode == 0)
        #expect(exists("flag.sqlite") && !exists("ignored.sqlite"))
        #expect(!exists(".uservault/store.sqlite"))
        #expect(try await runUserVault(["seed", "--users", "1"], in: directory).exitCode == 0)
        #expect(exists(".uservault/store.sqlite"), "the default store")
    }

    @Test("seed --defects plants each kind and says which user carries it")
    func seedDefects() async throws {
        let directory = try makeTemporaryDirectory("uservault-seed")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await runUserVault(["seed", "--users", "30", "--defects", "9", "--seed", "7", "--manifest", "m.json",
                                       "--log-level", "warning"], in: directory)
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout.contains("seeded 30 users (8 with planted defects)"))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("m.json"))) as? [String: Any]
        let defects = manifest?["defects"] as? [[String: Any]] ?? []
        #expect(Set(defects.compactMap { $0["kind"] as? String }) == [
            "plaintext-string", "plaintext-bytes", "random-bytes", "truncated-ciphertext", "missing-credentials",
            "disabled-key", "pending-deletion-key", "shared-key",
        ])
    }
}
