import AWSClients
import EmbeddedStore
import Foundation
import Testing
import TestSupport
import UserVaultCore

/// `uservault backfill email-guards`: guards for users created before guards existed; a dry run
/// changes nothing; duplicates are reported, never resolved; afterwards the API refuses the
/// same email in other letter case (409).
@Suite("uservault backfill")
struct BackfillTests {
    static let create = #"{"data":{"type":"users","attributes":{"firstname":"New","lastname":"Comer","email":"LEGACY.USER1@EXAMPLE.COM","username":"newcomer","credentials":"a new user's password"}}}"#

    static func actions(_ report: ReportFile) -> [(userId: String, action: String, outcome: String)] {
        (report.object["actions"] as? [[String: any Sendable]] ?? []).map {
            ($0["userId"] as? String ?? "", $0["action"] as? String ?? "", $0["outcome"] as? String ?? "")
        }
    }

    @Test("embedded: legacy users without guards; dry run, apply (a duplicate reported), apply again; then 409")
    func embedded() async throws {
        let directory = try makeTemporaryDirectory("uservault-backfill")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(".uservault/store.sqlite").path
        let store = try EmbeddedStore(path: path)
        _ = try await store.bulkLoadSyntheticUsers(count: 20, seed: 2)
        // Legacy records, as the original service wrote them: no guard. The last shares the first's email.
        let emails = ["Legacy.User0@Example.com", "Legacy.User1@Example.com", "Legacy.User2@Example.com", "legacy.user0@example.COM"]
        var legacy: [String] = []
        for (index, email) in emails.enumerated() {
            let id = UUID().uuidString.lowercased()
            legacy.append(id)
            try await store.table.unconditionalPut(StoredItem(
                id: id, type: "users", firstname: "Legacy", lastname: "User\(index)", email: email, username: "legacy\(index)",
                credentials: .binary(Data((0..<64).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }))))
        }
        let before = try storeSHA256(path)
        let dry = try await runUserVault(["backfill", "email-guards", "--progress", "never", "--report-dir", "dry"], in: directory)
        #expect(dry.exitCode == 0, "\(dry.stderr)")
        #expect(try storeSHA256(path) == before, "a dry run leaves the store byte-for-byte unchanged")
        let planned = try latestReport(in: directory.appendingPathComponent("dry"), job: "backfill")
        #expect(try await validateJSONDocuments([planned.raw], schema: reportSchemaURL).isEmpty)
        #expect(Self.actions(planned).map(\.userId).sorted() == legacy.sorted())
        #expect(Self.actions(planned).allSatisfy { $0.action == "WRITE_EMAIL_GUARD" && $0.outcome == "planned" })

        let applied = try await runUserVault(["backfill", "email-guards", "--apply", "--progress", "never", "--report-dir", "applied"],
                                             in: directory)
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        let done = Self.actions(try latestReport(in: directory.appendingPathComponent("applied"), job: "backfill"))
        #expect(done.filter { $0.outcome == "done" }.count == 3)
        let duplicate = try #require(done.first { $0.outcome == "skipped" })
        #expect(duplicate.action == "DUPLICATE_EMAIL" && [legacy[0], legacy[3]].contains(duplicate.userId), "\(done)")

        let again = try await runUserVault(["backfill", "email-guards", "--apply", "--progress", "never", "--report-dir", "again"],
                                           in: directory)
        #expect(again.exitCode == 0)
        let second = Self.actions(try latestReport(in: directory.appendingPathComponent("again"), job: "backfill"))
        #expect(second.map(\.outcome) == ["skipped"], "a second --apply writes nothing; the duplicate is reported again: \(second)")

        let (status, _, _) = try await withServedUserVault([], in: directory) { client in
            try await client.send("POST", "/users", headers: [("Content-Type", "application/vnd.api+json")], body: Data(Self.create.utf8)).status
        }
        #expect(status == 409, "the legacy user's email in other letter case is taken")
    }

    @Test("moto: boto3-written legacy users get their guards; then the API answers 409")
    func moto() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-backfill-aws")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
            #expect(try await runOriginalServiceFixture(["write", "users", "3"], moto: moto).status == 0)
            try await HTTP1Transport.withTransport { transport in
                let aws = MotoBackend(moto: moto, transport: transport)
                let dry = try await runUserVault(["--backend", "aws", "backfill", "email-guards", "--progress", "never"],
                                                 environment: moto.environment, in: directory)
                #expect(dry.exitCode == 0 && dry.stdout.contains("3 planned"), "\(dry.stdout) \(dry.stderr)")
                #expect(try await aws.table.emailGuardHolder(email: "Legacy.User1@Example.com") == nil, "a dry run writes no guard")
                let applied = try await runUserVault(["--backend", "aws", "backfill", "email-guards", "--apply", "--progress", "never"],
                                                     environment: moto.environment, in: directory)
                #expect(applied.exitCode == 0 && applied.stdout.contains("3 done"), "\(applied.stdout) \(applied.stderr)")
                #expect(try await aws.table.emailGuardHolder(email: "legacy.user1@example.com") != nil)
            }
            let (status, _, _) = try await withServedUserVault(["--backend", "aws"], environment: moto.environment, in: directory) { client in
                try await client.send("POST", "/users", headers: [("Content-Type", "application/vnd.api+json")], body: Data(Self.create.utf8)).status
            }
            #expect(status == 409)
        }
    }

    @Test("key-metadata, embedded: legacy ciphertexts bound to their users and keys recorded; a stale write is refused")
    func keyMetadataEmbedded() async throws {
        let directory = try makeTemporaryDirectory("uservault-backfill-keys")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(".uservault/store.sqlite").path
        let store = try EmbeddedStore(path: path)
        _ = try await store.bulkLoadSyntheticUsers(count: 10, seed: 4)
        var legacy: [String] = []
        for index in 0..<3 {
            // As the original service did: a CMK tagged CreatedBy, Encrypt without a context, no key id recorded.
            let id = UUID().uuidString.lowercased()
            let key = try await store.keys.createKey(description: "key for \(id)", tags: ["CreatedBy": id])
            let ciphertext = try await store.keys.encrypt(keyId: key.keyId, plaintext: Data("legacy-password-\(index)".utf8), context: [:])
            try await store.table.unconditionalPut(StoredItem(
                id: id, type: "users", firstname: "Legacy", lastname: "User\(index)", email: "legacy\(index)@example.com",
                username: "legacy\(index)", credentials: .binary(ciphertext)))
            legacy.append(id)
        }
        let before = try storeSHA256(path)
        let dry = try await runUserVault(["backfill", "key-metadata", "--progress", "never", "--report-dir", "dry"], in: directory)
        #expect(dry.exitCode == 0 && dry.stdout.contains("3 planned"), "\(dry.stdout) \(dry.stderr)")
        #expect(try storeSHA256(path) == before)

        let applied = try await runUserVault(["backfill", "key-metadata", "--apply", "--progress", "never", "--report-dir", "applied"],
                                             in: directory)
        #expect(applied.exitCode == 0 && applied.stdout.contains("3 done"), "\(applied.stdout) \(applied.stderr)")
        let reopened = try EmbeddedStore(path: path)
        for id in legacy {
            let item = try #require(try await reopened.table.item(id: id))
            #expect(item.credentialsKeyId != nil && item.createdAt != nil, "key and createdAt recorded for \(id)")
        }
        // The audit now proves them as it proves new records: with the context {"userId": id}.
        let audit = try await runUserVault(["audit", "--depth", "deep", "--progress", "never", "--report-dir", "audit"], in: directory)
        #expect(audit.exitCode == 0, "\(audit.stdout)")
        let again = try await runUserVault(["backfill", "key-metadata", "--apply", "--progress", "never"], in: directory)
        #expect(again.stdout.contains("0 done"), "\(again.stdout)")

        // A record that changed since it was read is not overwritten.
        let item = try #require(try await reopened.table.item(id: legacy[0]))
        let stale = try await reopened.table.replaceCredentials(userId: legacy[0], expected: .binary(Data("what was read".utf8)), expectedKeyId: nil,
                                                               ciphertext: Data([1, 2, 3]), keyId: "k", createdAt: nil)
        #expect(!stale)
        #expect(try await reopened.table.item(id: legacy[0])?.credentials == item.credentials)
    }

    @Test("key-metadata, moto: boto3-written users then decrypt, with context {userId}, to their passwords")
    func keyMetadataMoto() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-backfill-keys-aws")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
            let written = try await runOriginalServiceFixture(["write", "users", "3"], moto: moto)
            let users = written.output.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String]
            }
            #expect(users.count == 3)
            let dry = try await runUserVault(["--backend", "aws", "backfill", "key-metadata", "--progress", "never"],
                                             environment: moto.environment, in: directory)
            #expect(dry.exitCode == 0 && dry.stdout.contains("3 planned"), "\(dry.stdout) \(dry.stderr)")
            let applied = try await runUserVault(["--backend", "aws", "backfill", "key-metadata", "--apply", "--progress", "never"],
                                                 environment: moto.environment, in: directory)
            #expect(applied.exitCode == 0 && applied.stdout.contains("3 done"), "\(applied.stdout) \(applied.stderr)")
            for user in users {
                let decrypted = try await runOriginalServiceFixture(["decrypt", "users", user["id"] ?? ""], moto: moto)
                #expect(decrypted.output.trimmingCharacters(in: .whitespacesAndNewlines) == user["password"], "the same password")
            }
            let audit = try await runUserVault(["--backend", "aws", "audit", "--progress", "never"], environment: moto.environment, in: directory)
            #expect(audit.exitCode == 0, "\(audit.stdout)")
        }
    }

    @Test("encrypt-plaintext, embedded: dry run creates no key; apply encrypts under the users' own keys, leaving no orphan key; a second run changes nothing")
    func encryptPlaintextEmbedded() async throws {
        let directory = try makeTemporaryDirectory("uservault-backfill-plain")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "40", "--defects", "10", "--seed", "6", "--manifest", "m.json",
                                        "--log-level", "warning"], in: directory).exitCode == 0)
        let faults = try PlantedFault.manifest(directory.appendingPathComponent("m.json"))
        let plain = Set(faults.filter { $0.kind.hasPrefix("plaintext") }.map(\.userId))
        #expect(plain.count == 2)
        let path = directory.appendingPathComponent(".uservault/store.sqlite").path
        let keysBefore = try await EmbeddedStore(path: path, configuration: .init(readOnly: true)).keys.listKeyIds().count
        let before = try storeSHA256(path)
        let dry = try await runUserVault(["backfill", "encrypt-plaintext", "--progress", "never", "--report-dir", "dry"], in: directory)
        #expect(dry.exitCode == 0 && dry.stdout.contains("2 planned"), "\(dry.stdout) \(dry.stderr)")
        #expect(try storeSHA256(path) == before, "a dry run creates no key and writes nothing")
        #expect(Set(Self.actions(try latestReport(in: directory.appendingPathComponent("dry"), job: "backfill")).map(\.userId)) == plain)

        let applied = try await runUserVault(["backfill", "encrypt-plaintext", "--apply", "--progress", "never", "--report-dir", "applied"],
                                             in: directory)
        #expect(applied.exitCode == 0 && applied.stdout.contains("2 done"), "\(applied.stdout) \(applied.stderr)")
        let report = try String(contentsOf: try latestReport(in: directory.appendingPathComponent("applied"), job: "backfill")
            .folder.appendingPathComponent("report.json"), encoding: .utf8)
        #expect(!report.contains("a-password") && !report.contains("plaintext-password"), "no plaintext in the report")
        let keysAfter = try await EmbeddedStore(path: path, configuration: .init(readOnly: true)).keys.listKeyIds().count
        #expect(keysAfter == keysBefore, "sealed under the users' own keys: no new key")
        let audit = try await runUserVault(["audit", "--depth", "deep", "--progress", "never", "--report-dir", "audit"], in: directory)
        // A deep audit: an old key left behind would be an ORPHAN_KEY finding naming its user.
        let findings = try latestReport(in: directory.appendingPathComponent("audit")).codesByUser
        for user in plain { #expect(findings[user] == nil, "\(user) is no longer flagged: \(findings[user] ?? [])") }
        #expect(audit.exitCode == 1, "the other planted defects remain")

        let again = try await runUserVault(["backfill", "encrypt-plaintext", "--apply", "--progress", "never"], in: directory)
        #expect(again.stdout.contains("0 done"), "\(again.stdout)")
        #expect(try await EmbeddedStore(path: path, configuration: .init(readOnly: true)).keys.listKeyIds().count == keysAfter,
                "a second run creates no key")
    }

    @Test("encrypt-plaintext, moto: boto3-planted plaintext credentials decrypt, with context {userId}, to the same password")
    func encryptPlaintextMoto() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-backfill-plain-aws")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
            let written = try await runOriginalServiceFixture(["write", "users", "9"], moto: moto)
            let ids = written.output.split(separator: "\n").compactMap {
                ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String])?["id"]
            }
            #expect(ids.count == 9)
            #expect(try await runOriginalServiceFixture(["plant", "users"] + ids, moto: moto).status == 0)
            let applied = try await runUserVault(["--backend", "aws", "backfill", "encrypt-plaintext", "--apply", "--progress", "never"],
                                                 environment: moto.environment, in: directory)
            #expect(applied.exitCode == 0 && applied.stdout.contains("2 done"), "\(applied.stdout) \(applied.stderr)")
            for id in ids.prefix(2) {  // plaintext-string, plaintext-bytes
                let decrypted = try await runOriginalServiceFixture(["decrypt", "users", id], moto: moto)
                #expect(decrypted.output.trimmingCharacters(in: .whitespacesAndNewlines) == "plaintext-password")
            }
            let audit = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", "audit"],
                                               environment: moto.environment, in: directory)
            #expect(audit.exitCode == 1)
            let codes = try latestReport(in: directory.appendingPathComponent("audit")).codesByUser
            #expect(!codes.values.contains { $0.contains("CREDENTIALS_PLAINTEXT") }, "\(codes)")
        }
    }
}
