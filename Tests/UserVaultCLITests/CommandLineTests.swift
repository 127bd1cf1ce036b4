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
                        "set-password", "run", "merge-reports"] {
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

    @Test("closed sets: --help lists each option's values, from its type",
          arguments: [
              (["audit"], ["(values: standard, deep", "(values: low, medium, high", "(values: auto, always, never",
                           "(values: proof, describe, auto", "(values: local, aws", "(values: text, json",
                           "(values: trace, debug, info, notice, warning, error, critical)"]),
              (["export"], ["(values: tar.gz, tar.zst, zip)"]),
              (["rotate-keys"], ["(values: enable-rotation, rotate-now, rekey"]),
              (["backfill"], ["(values: encrypt-plaintext, email-guards, key-metadata"]),
              (["merge-reports"], ["(values: low, medium, high"]),
          ])
    func closedSets(command: [String], listed: [String]) async throws {
        let help = try await runUserVault(command + ["--help"])
        #expect(help.exitCode == 0)
        // Help wraps lines: compare with the white space folded.
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for values in listed { #expect(text.contains(values), "\(command): \(values)") }
    }

    @Test("a value outside an option's set, from a flag or from the environment, is a usage error naming it and the allowed values",
          arguments: [
              (["audit", "--depth", "shallow"], [String: String](), ["--depth", "'standard' and 'deep'"]),
              (["audit", "--fail-on", "critical"], [:], ["--fail-on", "'low'"]),
              (["backfill", "nope"], [:], ["<name>", "'encrypt-plaintext'"]),
              (["export", "--output", "x.tar.gz", "--format", "rar"], [:], ["--format", "'tar.zst'"]),
              (["seed", "--users", "1"], ["USERVAULT_BACKEND": "mainframe"], ["USERVAULT_BACKEND (or --backend)", "local, aws", "'mainframe'"]),
              (["seed", "--users", "1"], ["USERVAULT_LOG_LEVEL": "loud"], ["USERVAULT_LOG_LEVEL (or --log-level)", "warning"]),
          ])
    func outsideTheSet(arguments: [String], environment: [String: String], mentions: [String]) async throws {
        let directory = try makeTemporaryDirectory("uservault-closed-sets")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await runUserVault(arguments, environment: environment, in: directory)
        #expect(result.exitCode == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        for text in mentions { #expect(result.stderr.contains(text), "\(text): \(result.stderr)") }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".uservault").path), "nothing ran")
    }

    @Test("choices are case-insensitive where they always were: --backend LOCAL, --log-level WARNING, USERVAULT_LOG_FORMAT=JSON")
    func caseInsensitive() async throws {
        let directory = try makeTemporaryDirectory("uservault-case")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await runUserVault(["--backend", "LOCAL", "--log-level", "WARNING", "seed", "--users", "1"],
                                            environment: ["USERVAULT_LOG_FORMAT": "JSON"], in: directory)
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(".uservault/store.sqlite").path))
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
