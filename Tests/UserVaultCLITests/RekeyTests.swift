import AWSClients
import EmbeddedStore
import Foundation
import Testing
import TestSupport
import UserVaultCore

/// `uservault rotate-keys --mode rekey`: new per-user CMKs, the same passwords, old keys pending
/// deletion; a kill mid-`--apply` and `--resume` rekey every user exactly once.
@Suite("uservault rotate-keys --mode rekey")
struct RekeyTests {
    @Test("embedded: dry run unchanged; apply moves every user (legacy ones too) to a new key, the old ones pending deletion")
    func embedded() async throws {
        let directory = try makeTemporaryDirectory("uservault-rekey")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(".uservault/store.sqlite").path
        let store = try EmbeddedStore(path: path)
        var ids = try await store.bulkLoadSyntheticUsers(count: 12, seed: 7)
        let id = UUID().uuidString.lowercased()  // a legacy record: tagged key, no context, no key id
        let key = try await store.keys.createKey(description: "key for \(id)", tags: ["CreatedBy": id])
        try await store.table.unconditionalPut(StoredItem(
            id: id, type: "users", firstname: "Legacy", lastname: "User", email: "legacy@example.com", username: "legacy",
            credentials: .binary(try await store.keys.encrypt(keyId: key.keyId, plaintext: Data("legacy".utf8), context: [:]))))
        ids.append(id)
        var before: [String: String] = [:]
        for user in ids { before[user] = try await store.table.item(id: user)?.credentialsKeyId ?? key.keyId }
        let sum = try storeSHA256(path)
        let dry = try await runUserVault(["rotate-keys", "--mode", "rekey", "--progress", "never"], in: directory)
        #expect(dry.exitCode == 0 && dry.stdout.contains("13 planned"), "\(dry.stdout) \(dry.stderr)")
        #expect(try storeSHA256(path) == sum)

        let applied = try await runUserVault(["rotate-keys", "--mode", "rekey", "--apply", "--pending-days", "7", "--progress", "never"],
                                             in: directory)
        #expect(applied.exitCode == 0 && applied.stdout.contains("REKEY_DONE 13")
                && applied.stdout.contains("RETIRE_OLD_KEY_DONE 13"), "\(applied.stdout) \(applied.stderr)")
        let reopened = try EmbeddedStore(path: path)
        for user in ids {
            let now = try #require(try await reopened.table.item(id: user)?.credentialsKeyId)
            #expect(KeyReference.bareKeyId(now) != KeyReference.bareKeyId(before[user]!))
            #expect(try await reopened.keys.describeKey(keyId: KeyReference.bareKeyId(before[user]!)).state == .pendingDeletion)
            #expect(try await reopened.keys.keyRotationEnabled(keyId: KeyReference.bareKeyId(now)))
        }
        // Proven under the new keys with the context {userId} (deep: owner tags and rotation too).
        let audit = try await runUserVault(["audit", "--depth", "deep", "--progress", "never"], in: directory)
        #expect(audit.exitCode == 0, "\(audit.stdout)")
    }

    @Test("moto: boto3-written users decrypt, with context {userId}, to the same passwords under their new keys")
    func moto() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-rekey-aws")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
            let written = try await runOriginalServiceFixture(["write", "users", "3", "--rotation"], moto: moto)
            let users = written.output.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String]
            }
            let applied = try await runUserVault(["--backend", "aws", "rotate-keys", "--mode", "rekey", "--apply", "--progress", "never"],
                                                 environment: moto.environment, in: directory)
            #expect(applied.exitCode == 0 && applied.stdout.contains("REKEY_DONE 3")
                    && applied.stdout.contains("RETIRE_OLD_KEY_DONE 3"), "\(applied.stdout) \(applied.stderr)")
            for user in users {
                let decrypted = try await runOriginalServiceFixture(["decrypt", "users", user["id"] ?? ""], moto: moto)
                #expect(decrypted.output.trimmingCharacters(in: .whitespacesAndNewlines) == user["password"])
            }
            let audit = try await runUserVault(["--backend", "aws", "audit", "--progress", "never"], environment: moto.environment, in: directory)
            #expect(audit.exitCode == 0, "\(audit.stdout)")
        }
    }

    @Test("killed with SIGKILL mid --apply and resumed: every user rekeyed exactly once, no extra key")
    func killAndResume() async throws {
        let directory = try makeTemporaryDirectory("uservault-rekey-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(".uservault/store.sqlite").path
        let ids = try await EmbeddedStore(path: path).bulkLoadSyntheticUsers(count: 3_000, seed: 9)
        let checkpoint = directory.appendingPathComponent("rekey.checkpoint").path
        // A CreateKey budget of 300/s keeps the run going for 10 s at least, however fast the
        // machine: the kill lands mid-run, after the first segments committed.
        let command = ["rotate-keys", "--mode", "rekey", "--apply", "--segments", "16", "--concurrency", "1",
                       "--kms-rate", "CreateKey=300", "--checkpoint", checkpoint, "--progress", "always", "--report-dir", "r"]
        let killed = try await runUserVaultUntil(command, in: directory, pattern: " [1-9]/16 segments", signal: SIGKILL)
        #expect(killed.signalledMidRun, "signalled mid-run")
        #expect(killed.reason == .uncaughtSignal)
        let resumed = try await runUserVault(command + ["--resume"], in: directory)
        #expect(resumed.exitCode == 0, "\(resumed.stdout) \(resumed.stderr)")
        let report = try latestReport(in: directory.appendingPathComponent("r"), job: "rotate-keys")
        let all = report.object["actions"] as? [[String: any Sendable]] ?? []
        let actions = all.filter { $0["action"] as? String == "REKEY" }
        #expect(actions.count == ids.count && Set(actions.compactMap { $0["userId"] as? String }) == Set(ids), "one action per user")
        #expect(actions.allSatisfy { $0["outcome"] as? String == "done" })
        let retired = all.filter { $0["action"] as? String == "RETIRE_OLD_KEY" }
        #expect(retired.count == ids.count && retired.allSatisfy { $0["outcome"] as? String == "done" },
                "each old key retired once, after the sweep: \(retired.count)")
        let store = try EmbeddedStore(path: path)
        let made = try await store.keys.keysTagged("RekeyRun")
        #expect(made.count == ids.count, "one new key per user, none made twice: \(made.count)")
        let current = try await withThrowingTaskGroup(of: String.self) { group in
            for id in ids { group.addTask { try await store.table.item(id: id)?.credentialsKeyId ?? "" } }
            return try await group.reduce(into: Set<String>()) { $0.insert(KeyReference.bareKeyId($1)) }
        }
        #expect(current == Set(made.map { KeyReference.bareKeyId($0.keyId) }))
    }
}
