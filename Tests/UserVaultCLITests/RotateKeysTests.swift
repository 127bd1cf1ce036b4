import AWSClients
import EmbeddedStore
import Foundation
import GRDB
import Testing
import TestSupport
import UserVaultCore

/// `uservault rotate-keys --mode enable-rotation`: a dry run changes nothing, `--apply` turns
/// rotation on where it is off, a second `--apply` changes nothing; on the embedded store and on
/// moto with keys created by boto3 the way the original service created them.
@Suite("uservault rotate-keys")
struct RotateKeysTests {
    static func actions(_ report: ReportFile) -> [[String: any Sendable]] {
        report.object["actions"] as? [[String: any Sendable]] ?? []
    }

    @Test("embedded: dry run (byte-for-byte unchanged), apply, apply again; a deep audit then finds no rotation off")
    func embedded() async throws {
        let directory = try makeTemporaryDirectory("uservault-rotate")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(".uservault/store.sqlite").path
        let store = try EmbeddedStore(path: path)
        let ids = try await store.bulkLoadSyntheticUsers(count: 40, seed: 12)
        let off = Array(ids.prefix(6))
        var offKeys: [String] = []
        for id in off {
            // The record names the key by ARN; the store keys it by its bare id.
            let named = try #require(try await store.table.item(id: id)?.credentialsKeyId)
            offKeys.append(named.components(separatedBy: "key/").last ?? named)
        }
        try await DatabaseQueue(path: path).write { [offKeys] db in
            for key in offKeys { try db.execute(sql: "UPDATE kms_keys SET rotation_enabled = 0 WHERE key_id = ?", arguments: [key]) }
        }
        let before = try storeSHA256(path)

        let dry = try await runUserVault(["rotate-keys", "--progress", "never", "--report-dir", "dry"], in: directory)
        #expect(dry.exitCode == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("6 planned"), "\(dry.stdout)")
        #expect(try storeSHA256(path) == before, "a dry run leaves the store byte-for-byte unchanged")
        let dryNow = try await runUserVault(["rotate-keys", "--mode", "rotate-now", "--older-than", "0", "--progress", "never",
                                             "--report-dir", "dry-now"], in: directory)
        #expect(dryNow.exitCode == 0 && dryNow.stdout.contains("40 planned"), "\(dryNow.stdout) \(dryNow.stderr)")
        #expect(try storeSHA256(path) == before, "a rotate-now dry run rotates nothing")
        let planned = try latestReport(in: directory.appendingPathComponent("dry"), job: "rotate-keys")
        #expect(try await validateJSONDocuments([planned.raw], schema: reportSchemaURL).isEmpty)
        #expect(Set(Self.actions(planned).compactMap { $0["userId"] as? String }) == Set(off))
        #expect(Self.actions(planned).allSatisfy { $0["outcome"] as? String == "planned" && $0["action"] as? String == "ENABLE_ROTATION" })

        let applied = try await runUserVault(["rotate-keys", "--apply", "--progress", "never", "--report-dir", "applied"], in: directory)
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        let done = try latestReport(in: directory.appendingPathComponent("applied"), job: "rotate-keys")
        #expect(Self.actions(done).count == 6 && Self.actions(done).allSatisfy { $0["outcome"] as? String == "done" })
        let reopened = try EmbeddedStore(path: path)
        for key in offKeys { #expect(try await reopened.keys.keyRotationEnabled(keyId: key)) }

        let again = try await runUserVault(["rotate-keys", "--apply", "--progress", "never", "--report-dir", "again"], in: directory)
        #expect(again.exitCode == 0)
        #expect(Self.actions(try latestReport(in: directory.appendingPathComponent("again"), job: "rotate-keys")).isEmpty,
                "a second --apply changes nothing")
        let audit = try await runUserVault(["audit", "--depth", "deep", "--progress", "never", "--report-dir", "audit"], in: directory)
        #expect(audit.exitCode == 0, "\(audit.stdout)")
    }

    @Test("moto: boto3-created keys without rotation; dry run leaves them off, apply turns every one on")
    func moto() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-rotate-aws")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
            let written = try await runOriginalServiceFixture(["write", "users", "5"], moto: moto)
            #expect(written.status == 0)
            try await HTTP1Transport.withTransport { transport in
                let aws = MotoBackend(moto: moto, transport: transport)
                func rotationStates() async throws -> [Bool] {
                    let owners = try await aws.keys.keysTagged("CreatedBy")
                    var states: [Bool] = []
                    for key in owners { states.append(try await aws.keys.keyRotationEnabled(keyId: key.keyId)) }
                    return states
                }
                #expect(try await rotationStates() == Array(repeating: false, count: 5))
                let dry = try await runUserVault(["--backend", "aws", "rotate-keys", "--progress", "never"],
                                                 environment: moto.environment, in: directory)
                #expect(dry.exitCode == 0 && dry.stdout.contains("5 planned"), "\(dry.stdout) \(dry.stderr)")
                #expect(try await rotationStates() == Array(repeating: false, count: 5), "a dry run changes no key")
                let applied = try await runUserVault(["--backend", "aws", "rotate-keys", "--apply", "--progress", "never"],
                                                     environment: moto.environment, in: directory)
                #expect(applied.exitCode == 0 && applied.stdout.contains("5 done"), "\(applied.stdout) \(applied.stderr)")
                #expect(try await rotationStates() == Array(repeating: true, count: 5))
                let again = try await runUserVault(["--backend", "aws", "rotate-keys", "--apply", "--progress", "never"],
                                                   environment: moto.environment, in: directory)
                #expect(again.exitCode == 0 && again.stdout.contains("0 done"), "\(again.stdout)")
            }
        }
    }
}

/// `rotate-keys --mode rotate-now`: on-demand rotation of keys whose material is older than
/// `--older-than` days; a second run finds them young.
@Suite("uservault rotate-keys --mode rotate-now")
struct RotateNowTests {
    @Test("moto: dry run rotates nothing; apply rotates every key older than 0 days; a second run with 1 day rotates none")
    func moto() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-rotate-now")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
            #expect(try await runOriginalServiceFixture(["write", "users", "3", "--rotation"], moto: moto).status == 0)
            let command = ["--backend", "aws", "rotate-keys", "--mode", "rotate-now", "--progress", "never"]
            let dry = try await runUserVault(command + ["--older-than", "0"], environment: moto.environment, in: directory)
            #expect(dry.exitCode == 0 && dry.stdout.contains("3 planned"), "\(dry.stdout) \(dry.stderr)")
            try await HTTP1Transport.withTransport { transport in
                let kms = MotoBackend(moto: moto, transport: transport).kms
                for key in try await MotoBackend(moto: moto, transport: transport).keys.keysTagged("CreatedBy") {
                    #expect(try await kms.latestRotation(keyId: KeyReferenceTestHelper.bare(key.keyId)) == nil, "a dry run rotates nothing")
                }
            }
            let applied = try await runUserVault(command + ["--older-than", "0", "--apply"], environment: moto.environment, in: directory)
            #expect(applied.exitCode == 0 && applied.stdout.contains("3 done"), "\(applied.stdout) \(applied.stderr)")
            try await HTTP1Transport.withTransport { transport in
                let backend = MotoBackend(moto: moto, transport: transport)
                for key in try await backend.keys.keysTagged("CreatedBy") {
                    #expect(try await backend.kms.latestRotation(keyId: KeyReferenceTestHelper.bare(key.keyId)) != nil)
                }
            }
            let again = try await runUserVault(command + ["--older-than", "1d", "--apply"], environment: moto.environment, in: directory)
            #expect(again.exitCode == 0 && again.stdout.contains("0 done"), "\(again.stdout)")
        }
    }
}

enum KeyReferenceTestHelper {
    static func bare(_ reference: String) -> String { reference.components(separatedBy: "key/").last ?? reference }
}
