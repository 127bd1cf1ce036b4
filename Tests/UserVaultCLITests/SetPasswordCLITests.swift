import AWSClients
import EmbeddedStore
import Foundation
import GRDB
import Testing
import TestSupport
import UserVaultCore

/// `uservault set-password USER_ID`: the remedy of CREDENTIALS_MISSING, NOT_KMS_CIPHERTEXT and
/// KEY_NOT_FOUND, end to end. The new credentials prove under the audit (embedded and moto); a
/// password is taken from standard input or a terminal's prompt only, never the command line or
/// the environment; nothing secret appears in any output.
@Suite("uservault set-password")
struct SetPasswordCLITests {
    static let password = "correct horse battery staple"

    /// What must never appear in an output: the password, and the ciphertext's bytes (base64, hex).
    static func secrets(of id: String, path: String) async throws -> [String] {
        guard case .binary(let ciphertext)? = try await withEmbeddedStore(path, { try await $0.table.item(id: id)?.credentials }) else {
            return [password]
        }
        return [password, ciphertext.base64EncodedString(), Hex.lowercase(ciphertext), Hex.lowercase(ciphertext).uppercased()]
    }

    /// The user's credentials opened with context `{"userId": id}`.
    static func opened(_ id: String, path: String) async throws -> String? {
        try await withEmbeddedStore(path) { store in
            guard case .binary(let ciphertext)? = try await store.table.item(id: id)?.credentials else { return nil }
            return String(decoding: try await store.keys.unsafeDecryptForTesting(ciphertext, context: ["userId": id]), as: UTF8.self)
        }
    }

    @Test("embedded: missing, random, truncated, key gone, key disabled, key pending deletion: each set, then proven by the audit")
    func embedded() async throws {
        let directory = try makeTemporaryDirectory("uservault-set-password")
        defer { try? FileManager.default.removeItem(at: directory) }
        let seeded = try await runUserVault(["seed", "--users", "12", "--defects", "9", "--seed", "31", "--manifest", "defects.json"],
                                            in: directory)
        #expect(seeded.exitCode == 0, "\(seeded.stderr)")
        let faults = try PlantedFault.manifest(directory.appendingPathComponent("defects.json"))
        func user(_ kind: String) throws -> String { try #require(faults.first { $0.kind == kind }?.userId) }
        let path = directory.appendingPathComponent(".uservault/store.sqlite").path
        // KEY_NOT_FOUND: a clean user whose key is gone (what no port does: deleted in the store's file).
        let faulty = Set(faults.map(\.userId) + faults.compactMap(\.otherUserId))
        let (lost, lostKey, disabledKey) = try await withEmbeddedStore(path) { store in
            var clean: [String] = []
            var after: String?
            repeat {
                let page = try await store.table.scan(ScanRequest(startAfter: after, limit: 100, projection: .keyReferences))
                clean += page.items.filter { $0.isUser && !faulty.contains($0.id) }.map(\.id)
                after = page.lastEvaluatedId
            } while after != nil
            let lost = try #require(clean.first)
            let lostKey = KeyReference.bareKeyId(try #require(try await store.table.item(id: lost)?.credentialsKeyId))
            let disabledKey = try #require(try await store.table.item(id: try user("disabled-key"))?.credentialsKeyId)
            return (lost, lostKey, disabledKey)
        }
        try await DatabaseQueue(path: path).write { db in
            for table in ["kms_tags", "kms_key_versions", "kms_keys"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE key_id = ?", arguments: [lostKey])
            }
        }

        let before = try await runUserVault(["audit", "--progress", "never", "--report-dir", "before"], in: directory)
        #expect(before.exitCode == 1)
        let found = try latestReport(in: directory.appendingPathComponent("before")).codesByUser
        let targets = [try user("random-bytes"), try user("truncated-ciphertext"), try user("missing-credentials"),
                       try user("disabled-key"), try user("pending-deletion-key"), lost]
        #expect(found[targets[0]] == ["NOT_KMS_CIPHERTEXT"] && found[targets[2]] == ["CREDENTIALS_MISSING"]
            && found[lost] == ["KEY_NOT_FOUND"], "\(found)")

        for target in targets {
            let result = try await runUserVault(["set-password", target, "--log-level", "trace"], in: directory,
                                                standardInput: Data((Self.password + "\n").utf8))
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("password set for user \(target)"), "\(result.stdout)")
            for secret in try await Self.secrets(of: target, path: path) {
                #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "nothing secret in any output")
            }
        }
        let retired = try await withEmbeddedStore(path) { try await $0.keys.describeKey(keyId: disabledKey).state }
        #expect(retired == .pendingDeletion, "the disabled key is retired")
        for target in targets { #expect(try await Self.opened(target, path: path) == Self.password, "\(target)") }
        let audit = try await runUserVault(["audit", "--depth", "deep", "--progress", "never", "--report-dir", "after"], in: directory)
        let report = try latestReport(in: directory.appendingPathComponent("after"))
        for target in targets { #expect(report.codesByUser[target] == nil, "\(target): \(report.codesByUser[target] ?? [])") }
        #expect(audit.exitCode == 1, "the plaintext and shared-key defects remain: \(audit.stdout)")
    }

    @Test("a password on the command line is refused with exit 2, one line saying how to give it, and is never echoed", arguments: [
        ["set-password", "3f2b8c1e-0000-4000-8000-000000000001", "hunter2-is-my-secret"],
        ["set-password", "--password", "hunter2-is-my-secret", "3f2b8c1e-0000-4000-8000-000000000001"],
        ["set-password", "3f2b8c1e-0000-4000-8000-000000000001", "--password=hunter2-is-my-secret"],
        ["set-password", "hunter2-is-my-secret"],
    ])
    func commandLineRefused(_ arguments: [String]) async throws {
        let directory = try makeTemporaryDirectory("uservault-set-password-argv")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await runUserVault(arguments, in: directory, standardInput: Data("another password here\n".utf8))
        #expect(result.exitCode == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("uservault: error: "), "\(result.stderr)")
        #expect(result.stderr.contains("standard input"), "says how to give it: \(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains("hunter2"), "never echoed: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".uservault").path), "nothing opened")
    }

    /// A folder whose default store holds one user: the folder, the store's path, the user's id.
    static func oneUser(_ label: String) async throws -> (directory: URL, path: String, id: String) {
        let directory = try makeTemporaryDirectory(label)
        let path = directory.appendingPathComponent(".uservault/store.sqlite").path
        let id = try #require(try await withEmbeddedStore(path) { try await $0.bulkLoadSyntheticUsers(count: 1, seed: 2) }.first)
        return (directory, path, id)
    }

    @Test("the environment is no source: with nothing on standard input, exit 2 and nothing changes")
    func environmentIgnored() async throws {
        let (directory, path, id) = try await Self.oneUser("uservault-set-password-env")
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try await withEmbeddedStore(path) { try await $0.table.item(id: id) }
        let environment = ["USERVAULT_PASSWORD": Self.password, "PASSWORD": Self.password, "USERVAULT_CREDENTIALS": Self.password]
        let result = try await runUserVault(["set-password", id], environment: environment, in: directory)
        #expect(result.exitCode == 2 && result.stderr.contains("no password on standard input"), "\(result.stderr)")
        let short = try await runUserVault(["set-password", id], in: directory, standardInput: Data("short\n".utf8))
        #expect(short.exitCode == 2 && short.stderr.contains("8–1024 characters") && !short.stderr.contains("short\n"), "\(short.stderr)")
        let unknown = try await runUserVault(["set-password", "0f0f0f0f-0000-4000-8000-000000000000"], in: directory,
                                             standardInput: Data((Self.password + "\n").utf8))
        #expect(unknown.exitCode == 2 && unknown.stderr.contains("no user with id"), "\(unknown.stderr)")
        let after = try await withEmbeddedStore(path) { try await $0.table.item(id: id) }
        #expect(after == before, "the user is unchanged")
        // A store that is not there is not made.
        let nowhere = try await runUserVault(["set-password", id, "--store", "typo.sqlite"], in: directory,
                                             standardInput: Data((Self.password + "\n").utf8))
        #expect(nowhere.exitCode == 2 && nowhere.stderr.contains("no store at typo.sqlite"), "\(nowhere.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("typo.sqlite").path))
    }

    /// `uservault set-password ID` on a pseudo-terminal (`Fixtures/pty_run.py`), `answers` typed
    /// at its prompts: its exit status and everything the terminal showed.
    static func atTerminal(_ id: String, answers: [String], in directory: URL) async throws -> (status: Int32, shown: String) {
        let helper = repositoryRoot.appendingPathComponent("Tests/TestSupport/Fixtures/pty_run.py").path
        let run = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                            ["python3", helper, userVaultBinary.path, "set-password", id],
                                            environment: childEnvironment(ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("USERVAULT_") }),
                                            in: directory, standardInput: Data(answers.map { $0 + "\n" }.joined().utf8))
        return (run.status, String(decoding: run.stdout + run.stderr, as: UTF8.self))
    }

    @Test("on a terminal: a prompt with echo off, typed twice; the terminal never shows the password")
    func terminal() async throws {
        let (directory, path, id) = try await Self.oneUser("uservault-set-password-tty")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (status, shown) = try await Self.atTerminal(id, answers: [Self.password, Self.password], in: directory)
        #expect(status == 0, "\(shown)")
        #expect(shown.contains("New password for user \(id): ") && shown.contains("Type it again: "), "\(shown)")
        #expect(shown.contains("password set for user \(id)"), "\(shown)")
        #expect(!shown.contains(Self.password), "echo is off: \(shown)")
        #expect(try await Self.opened(id, path: path) == Self.password)

        let differ = try await Self.atTerminal(id, answers: ["first attempt 1", "second attempt 2"], in: directory)
        #expect(differ.status == 2 && differ.shown.contains("differ") && !differ.shown.contains("attempt"), "\(differ.shown)")
    }

    @Test("moto: missing credentials and a disabled key, set from standard input; the audit proves both; the disabled key is retired")
    func moto() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-set-password-aws")
            defer { try? FileManager.default.removeItem(at: directory) }
            let (missing, disabled, disabledKey) = try await HTTP1Transport.withTransport { transport in
                let aws = MotoBackend(moto: moto, transport: transport)
                _ = try await aws.table.ensureTable()
                var users: [String] = []
                for index in 0..<2 {
                    users.append(try await aws.service.create(NewUserInput(
                        firstname: "Moto", lastname: "User", email: "moto\(index)@example.com", username: "moto\(index)",
                        credentials: "the old password \(index)")).id)
                }
                var item = try #require(try await aws.table.item(id: users[0]))
                item.credentials = nil
                try await aws.table.unconditionalPut(item)
                let key = try #require(try await aws.table.item(id: users[1])?.credentialsKeyId)
                try await aws.keys.disableKey(keyId: key)
                return (users[0], users[1], key)
            }
            let before = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", "before"],
                                                environment: moto.environment, in: directory)
            #expect(before.exitCode == 1)
            #expect(try latestReport(in: directory.appendingPathComponent("before")).codesByUser
                == [missing: ["CREDENTIALS_MISSING"], disabled: ["KEY_DISABLED"]])
            for id in [missing, disabled] {
                let result = try await runUserVault(["--backend", "aws", "set-password", id, "--log-level", "debug"],
                                                    environment: moto.environment, in: directory,
                                                    standardInput: Data((Self.password + "\r\n").utf8))
                #expect(result.exitCode == 0, "\(result.stderr)")
                #expect(!(result.stdout + result.stderr).contains(Self.password), "nothing secret in any output")
            }
            let after = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", "after"],
                                               environment: moto.environment, in: directory)
            #expect(after.exitCode == 0, "\(after.stdout) \(after.stderr)")
            #expect(try latestReport(in: directory.appendingPathComponent("after")).int("verified") == 2)
            try await HTTP1Transport.withTransport { transport in
                let aws = MotoBackend(moto: moto, transport: transport)
                #expect(try await aws.keys.describeKey(keyId: disabledKey).state == .pendingDeletion)
                for id in [missing, disabled] {
                    // boto3 opens it with context {"userId": id}: the new password, its line ending dropped.
                    let decrypted = try await runOriginalServiceFixture(["decrypt", aws.table.tableName, id], moto: moto)
                    #expect(decrypted.output.trimmingCharacters(in: .newlines) == Self.password, "\(decrypted.output)")
                }
            }
        }
    }
}
