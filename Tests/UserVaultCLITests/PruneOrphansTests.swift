import AWSClients
import EmbeddedStore
import Foundation
import GRDB
import Testing
import TestSupport
import UserVaultCore

/// `uservault rotate-keys --mode prune-orphans`, end to end: keys made orphan by the test are
/// scheduled for deletion with `--apply` and not in a dry run; a key younger than `--grace` is
/// left alone; the report lists each key and what its deletion saves; the deep audit's report
/// shows what the orphan keys left cost.
@Suite("uservault rotate-keys --mode prune-orphans")
struct PruneOrphansTests {
    static func actions(_ report: ReportFile) -> [[String: any Sendable]] {
        report.object["actions"] as? [[String: any Sendable]] ?? []
    }

    static func orphanKeys(_ report: ReportFile) -> [String: any Sendable] {
        report.object["orphanKeys"] as? [String: any Sendable] ?? [:]
    }

    static func state(of keyId: String, in path: String) async throws -> KeyState {
        try await withEmbeddedStore(path) { try await $0.keys.describeKey(keyId: keyId).state }
    }

    @Test("embedded: a deleted user's key (3 days old) is planned, then scheduled; a fresh stray key is left alone; the deep audit prices what is left")
    func embedded() async throws {
        let directory = try makeTemporaryDirectory("uservault-prune")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(".uservault/store.sqlite").path
        // The store is open in this process only while the test reads or changes it (never while
        // a child process runs).
        let (gone, goneKey, stray) = try await withEmbeddedStore(path) { store in
            let ids = try await store.bulkLoadSyntheticUsers(count: 6, seed: 17)
            let goneKey = KeyReference.bareKeyId(try #require(try await store.table.item(id: ids[0])?.credentialsKeyId))
            let stray = try await store.keys.createKey(description: "stray", tags: ["CreatedBy": "0d0d0d0d-0000-4000-8000-00000000f00d"])
            return (ids[0], goneKey, stray)
        }
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DELETE FROM items WHERE id = ?", arguments: [gone])
            try db.execute(sql: "UPDATE kms_keys SET created_at = created_at - 3 * 86400 WHERE key_id = ?", arguments: [goneKey])
        }
        let sum = try storeSHA256(path)

        let dry = try await runUserVault(["rotate-keys", "--mode", "prune-orphans", "--progress", "never", "--report-dir", "dry"],
                                         in: directory)
        #expect(dry.exitCode == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("1 planned (dry run: nothing changed), 1 skipped, 0 failed"), "\(dry.stdout)")
        #expect(dry.stdout.contains("orphan keys --apply would schedule for deletion: 1, saving about $1 a month (estimate: $1 per key-month)"),
                "\(dry.stdout)")
        #expect(try storeSHA256(path) == sum, "a dry run changes nothing")
        let planned = try latestReport(in: directory.appendingPathComponent("dry"), job: "rotate-keys")
        #expect(try await validateJSONDocuments([planned.raw], schema: reportSchemaURL).isEmpty)
        let byKey = Dictionary(uniqueKeysWithValues: Self.actions(planned).compactMap { action in
            (action["keyId"] as? String).map { (KeyReference.bareKeyId($0), action) }
        })
        #expect(byKey[goneKey]?["outcome"] as? String == "planned" && byKey[goneKey]?["userId"] as? String == gone)
        #expect(byKey[stray.keyId]?["outcome"] as? String == "skipped"
            && (byKey[stray.keyId]?["detail"] as? String)?.contains("grace period") == true, "\(byKey)")
        #expect(Self.orphanKeys(planned)["keys"] as? Int == 1 && Self.orphanKeys(planned)["monthlyCostUSD"] as? Double == 1)
        #expect(planned.object["parameters"].flatMap { ($0 as? [String: String])?["mode"] } == "prune-orphans")

        let applied = try await runUserVault(["rotate-keys", "--mode", "prune-orphans", "--apply", "--progress", "never",
                                              "--report-dir", "applied"], in: directory)
        #expect(applied.exitCode == 0 && applied.stdout.contains("1 done"), "\(applied.stdout) \(applied.stderr)")
        #expect(try await Self.state(of: goneKey, in: path) == .pendingDeletion)
        #expect(try await Self.state(of: stray.keyId, in: path) == .enabled, "younger than the grace period")
        let report = try latestReport(in: directory.appendingPathComponent("applied"), job: "rotate-keys")
        let markdown = try String(contentsOf: report.folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("| orphan keys scheduled for deletion | 1, saving about $1 a month"), "\(markdown)")
        #expect(markdown.contains(goneKey))

        // What is left costs money: the deep audit says how much (the key pending deletion is left out).
        let audit = try await runUserVault(["audit", "--depth", "deep", "--progress", "never", "--report-dir", "audit"], in: directory)
        #expect(audit.exitCode == 0, "ORPHAN_KEY is low: \(audit.stdout) \(audit.stderr)")
        #expect(audit.stdout.contains("orphan keys: 1, costing about $1 a month (estimate: $1 per key-month)"), "\(audit.stdout)")
        let deep = try latestReport(in: directory.appendingPathComponent("audit"))
        #expect(try await validateJSONDocuments([deep.raw], schema: reportSchemaURL).isEmpty)
        #expect(Self.orphanKeys(deep)["keys"] as? Int == 1 && deep.findings.compactMap { $0["code"] as? String } == ["ORPHAN_KEY"])
        let deepMarkdown = try String(contentsOf: deep.folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(deepMarkdown.contains("| orphan keys | 1, costing about $1 a month (estimate: $1 per key-month) |"))
        #expect(deepMarkdown.contains("`uservault rotate-keys --mode prune-orphans --apply`"), "the remedy names the command")

        // USERVAULT_NOW two days on: the stray key is past its grace period too.
        let later = Date().addingTimeInterval(2 * 86_400).formatted(.iso8601)
        let again = try await runUserVault(["rotate-keys", "--mode", "prune-orphans", "--apply", "--progress", "never"],
                                           environment: ["USERVAULT_NOW": later], in: directory)
        #expect(again.exitCode == 0 && again.stdout.contains("1 done, 0 skipped"), "\(again.stdout) \(again.stderr)")
        #expect(try await Self.state(of: stray.keyId, in: path) == .pendingDeletion)
    }

    @Test("usage: --worker, a bad --grace or USERVAULT_NOW are refused with exit 2", arguments: [
        (["rotate-keys", "--mode", "prune-orphans", "--worker", "0/2"], [String: String](), "--worker"),
        (["rotate-keys", "--mode", "prune-orphans", "--grace", "tomorrow"], [:], "--grace"),
        (["rotate-keys", "--mode", "prune-orphans"], ["USERVAULT_NOW": "yesterday"], "USERVAULT_NOW"),
    ])
    func usage(_ arguments: [String], _ environment: [String: String], _ named: String) async throws {
        let directory = try makeTemporaryDirectory("uservault-prune-usage")
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try await EmbeddedStore(path: directory.appendingPathComponent(".uservault/store.sqlite").path)
            .bulkLoadSyntheticUsers(count: 1, seed: 1)
        let result = try await runUserVault(arguments + ["--progress", "never"], environment: environment, in: directory)
        #expect(result.exitCode == 2 && result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(named),
                "\(result.stderr)")
    }

    @Test("moto: with USERVAULT_NOW two days on, a stray per-user key is planned, then scheduled; the users' keys stay")
    func moto() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-prune-aws")
            defer { try? FileManager.default.removeItem(at: directory) }
            let (userKey, strayKey) = try await HTTP1Transport.withTransport { transport in
                let aws = MotoBackend(moto: moto, transport: transport)
                _ = try await aws.table.ensureTable()
                let user = try await aws.service.create(NewUserInput(
                    firstname: "Moto", lastname: "User", email: "moto@example.com", username: "moto", credentials: "a password here"))
                let userKey = try #require(try await aws.table.item(id: user.id)?.credentialsKeyId)
                let stray = try await aws.keys.createKey(description: "stray", tags: ["CreatedBy": UUID().uuidString.lowercased()])
                return (userKey, stray.keyId)
            }
            let later = Date().addingTimeInterval(2 * 86_400).formatted(.iso8601)
            let command = ["--backend", "aws", "rotate-keys", "--mode", "prune-orphans", "--progress", "never"]
            let young = try await runUserVault(command, environment: moto.environment, in: directory)
            #expect(young.exitCode == 0 && young.stdout.contains("0 planned (dry run: nothing changed), 1 skipped"), "\(young.stdout) \(young.stderr)")
            let dry = try await runUserVault(command, environment: moto.environment.merging(["USERVAULT_NOW": later]) { $1 }, in: directory)
            #expect(dry.exitCode == 0 && dry.stdout.contains("1 planned"), "\(dry.stdout) \(dry.stderr)")
            let applied = try await runUserVault(command + ["--apply", "--report-dir", "applied"],
                                                 environment: moto.environment.merging(["USERVAULT_NOW": later]) { $1 }, in: directory)
            #expect(applied.exitCode == 0 && applied.stdout.contains("1 done"), "\(applied.stdout) \(applied.stderr)")
            let report = try latestReport(in: directory.appendingPathComponent("applied"), job: "rotate-keys")
            #expect(try await validateJSONDocuments([report.raw], schema: reportSchemaURL).isEmpty)
            #expect((report.object["parameters"] as? [String: String])?["kmsBudget"]?.contains("ScheduleKeyDeletion=2.5") == true,
                    "budgeted like the other repairs: \(report.object["parameters"] ?? "")")
            try await HTTP1Transport.withTransport { transport async throws in
                let keys = MotoBackend(moto: moto, transport: transport).keys
                #expect(try await keys.describeKey(keyId: strayKey).state == .pendingDeletion)
                #expect(try await keys.describeKey(keyId: userKey).state == .enabled)
            }
        }
    }
}
