import AWSClients
import Foundation
import GRDB
import Testing
import TestSupport

/// `export` and `audit` from DynamoDB's export to S3 (`--as-of`, `--from-export`) on moto: the
/// request flow and its failures against moto itself; the reader against exports in AWS's
/// documented layout written by `Fixtures/dynamodb_export.py` (manifests, several data files,
/// every attribute type), and against the data file moto writes, completed into that layout.
@Suite("Point-in-time exports and audits on moto", .serialized)
struct PointInTimeExportTests {
    /// The same users in the live table and in an export of it: the table, 40 records, varied items.
    static func table(_ moto: MotoServer, records: Int = 40) async throws {
        #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
        #expect(try await runOriginalServiceFixture(["write-records", "users", "\(records)"], moto: moto).status == 0)
        let varied = try await runExportFixture(["put-varied", "users"], moto: moto)
        #expect(varied.status == 0, "\(varied.output)")
    }

    struct FixtureExport: Decodable {
        var exportArn: String
        var folder: String
        var dataFiles: [String]
    }

    static func fixtureExport(_ moto: MotoServer, prefix: String, files: Int, extra: [String] = []) async throws -> FixtureExport {
        let made = try await runExportFixture(["export", "users", "staging", prefix, "--files", "\(files)"] + extra, moto: moto)
        #expect(made.status == 0, "\(made.output)")
        return try JSONDecoder().decode(FixtureExport.self, from: Data(made.output.utf8))
    }

    static func archives(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tar.") }.sorted()
    }

    @Test("--from-export: the same documents as a scan of the same items; verify-export passes both; the manifest names the export")
    func fromExportMatchesScan() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let directory = try makeTemporaryDirectory("uservault-pitr-same")
                defer { try? FileManager.default.removeItem(at: directory) }
                try await moto.s3Client(transport).createBucket("staging")
                try await Self.table(moto)
                let scan = try await runUserVault(["--backend", "aws", "export", "--output", "scan.tar.gz", "--progress", "never"],
                                                  environment: moto.environment, in: directory)
                #expect(scan.exitCode == 0, "\(scan.stderr)")
                let export = try await Self.fixtureExport(moto, prefix: "weekly", files: 4)
                let fromExport = try await runUserVault(
                    ["--backend", "aws", "export", "--from-export", "s3://staging/\(export.folder)", "--output", "fx.tar.gz",
                     "--progress", "never"], environment: moto.environment, in: directory)
                #expect(fromExport.exitCode == 0, "\(fromExport.stderr)")
                // The archive's name carries the export's time.
                let name = "fx-asof-20261130T000000Z.tar.gz"
                #expect(try Self.archives(in: directory) == ["fx-asof-20261130T000000Z.tar.gz", "fx-asof-20261130T000000Z.tar.gz.sha256",
                                                             "scan.tar.gz", "scan.tar.gz.sha256"])
                for archive in ["scan.tar.gz", name] {
                    let verified = try await runUserVault(["verify-export", archive], in: directory)
                    #expect(verified.exitCode == 0, "\(archive): \(verified.stdout)")
                }
                let scanned = try await readExportWithPython(directory.appendingPathComponent("scan.tar.gz"),
                                                             into: directory.appendingPathComponent("scan"))
                let exported = try await readExportWithPython(directory.appendingPathComponent(name),
                                                              into: directory.appendingPathComponent("fx"))
                // 40 records and the two varied users; neither the other item nor the email guard.
                #expect(scanned.users == 42 && exported.users == 42)
                #expect(scanned.resourcesDigest == exported.resourcesDigest, "the same user documents")
                #expect(exported.attributes == ["createdAt", "email", "firstname", "lastname", "username"])
                let manifest = try #require(try JSONSerialization.jsonObject(
                    with: Data(contentsOf: directory.appendingPathComponent("fx/manifest.json"))) as? [String: Any])
                let meta = try #require(manifest["meta"] as? [String: Any])
                let source = try #require(meta["source"] as? [String: Any])
                #expect(source["type"] as? String == "dynamodb-export")
                #expect(source["exportArn"] as? String == export.exportArn)
                #expect(source["tableArn"] as? String == "arn:aws:dynamodb:us-east-1:123456789012:table/users")
                #expect(source["exportTime"] as? String == "2026-11-30T00:00:00.000Z" && meta["asOf"] as? String == "2026-11-30T00:00:00.000Z")
                let scanManifest = try #require(try JSONSerialization.jsonObject(
                    with: Data(contentsOf: directory.appendingPathComponent("scan/manifest.json"))) as? [String: Any])
                #expect(((scanManifest["meta"] as? [String: Any])?["source"] as? [String: Any])?["type"] as? String == "scan")

                // To S3: the key carries the time too, with its .sha256.
                let toS3 = try await runUserVault(
                    ["--backend", "aws", "export", "--from-export", "s3://staging/\(export.folder)", "--output", "s3://staging/out/fx.tar.gz",
                     "--progress", "never"], environment: moto.environment, in: directory)
                #expect(toS3.exitCode == 0 && toS3.stdout.contains("s3://staging/out/\(name)"), "\(toS3.stdout) \(toS3.stderr)")
                let s3 = moto.s3Client(transport)
                #expect(try await s3.headObject(bucket: "staging", key: "out/\(name)").contentLength > 0)
                #expect(try await s3.headObject(bucket: "staging", key: "out/\(name).sha256").contentLength > 0)

                // A renamed archive no longer says its time: verify-export says so.
                try FileManager.default.moveItem(at: directory.appendingPathComponent(name),
                                                 to: directory.appendingPathComponent("renamed.tar.gz"))
                try FileManager.default.moveItem(at: directory.appendingPathComponent(name + ".sha256"),
                                                 to: directory.appendingPathComponent("renamed.tar.gz.sha256"))
                let renamed = try await runUserVault(["verify-export", "renamed.tar.gz"], in: directory)
                #expect(renamed.exitCode == 1 && renamed.stdout.contains("-asof-20261130T000000Z"), "\(renamed.stdout)")
            }
        }
    }

    @Test("--as-of on moto: PITR off names the command; a missing staging bucket says S3NoSuchBucket; resumed, the export becomes an archive")
    func asOf() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let directory = try makeTemporaryDirectory("uservault-pitr-asof")
                defer { try? FileManager.default.removeItem(at: directory) }
                try await moto.s3Client(transport).createBucket("staging")
                #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
                #expect(try await runOriginalServiceFixture(["write-records", "users", "30"], moto: moto).status == 0)
                let export = ["--backend", "aws", "export", "--as-of", "now", "--staging", "s3://staging/pitr", "--output", "a.tar.gz",
                              "--progress", "never"]

                let off = try await runUserVault(export, environment: moto.environment, in: directory)
                #expect(off.exitCode == 2)
                #expect(off.stderr.contains("aws dynamodb update-continuous-backups --table-name users "
                    + "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true"), "\(off.stderr)")
                #expect(off.stderr.split(separator: "\n").count == 1, "one line: \(off.stderr)")

                #expect(try await runExportFixture(["enable-pitr", "users"], moto: moto).status == 0)
                let past = try await runUserVault(["--backend", "aws", "export", "--as-of", "2020-01-01T00:00:00Z", "--staging",
                                                   "s3://staging/pitr", "--output", "a.tar.gz"], environment: moto.environment, in: directory)
                #expect(past.exitCode == 2 && past.stderr.contains("outside the table's point-in-time recovery window"), "\(past.stderr)")

                var noBucket = export
                noBucket[noBucket.firstIndex(of: "s3://staging/pitr")!] = "s3://no-such-bucket/pitr"
                let missing = try await runUserVault(noBucket, environment: moto.environment, in: directory)
                #expect(missing.exitCode == 2 && missing.stderr.contains("FAILED: S3NoSuchBucket"), "\(missing.stderr)")
                #expect(try Self.archives(in: directory).isEmpty)

                // moto completes the export with one data file and no manifest: the run stops there,
                // keeping the export's ARN in its checkpoint; once the layout is AWS's, --resume reads
                // that same export (no second one is asked for) into the archive.
                let checkpoint = ["--checkpoint", "asof.checkpoint"]
                let first = try await runUserVault(export + checkpoint, environment: moto.environment, in: directory)
                #expect(first.exitCode == 2 && first.stderr.contains("no export manifest at s3://staging/pitr/AWSDynamoDB/"),
                        "\(first.stderr)")
                #expect(first.stderr.contains("--resume"))
                let completed = try await runExportFixture(["complete-moto", "staging", "pitr", "users"], moto: moto)
                #expect(completed.status == 0, "\(completed.output)")
                let resumed = try await runUserVault(export + checkpoint + ["--resume"], environment: moto.environment, in: directory)
                #expect(resumed.exitCode == 0, "\(resumed.stderr)")
                #expect(try Self.archives(in: directory) == ["a-asof-20261130T000000Z.tar.gz", "a-asof-20261130T000000Z.tar.gz.sha256"])
                let verified = try await runUserVault(["verify-export", "a-asof-20261130T000000Z.tar.gz"], in: directory)
                #expect(verified.exitCode == 0 && verified.stdout.contains("30 users"), "\(verified.stdout)")
                // The two refused requests made none; the first run one, the resumed run none.
                let exports = try await runExportFixture(["count-exports", "users"], moto: moto)
                #expect(exports.output.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "the no-bucket one and this one")
            }
        }
    }

    @Test("a data file with a byte changed, a line removed or a wrong count, an ION export, no manifest: exit 2, one line, no archive",
          arguments: ["byte", "drop-line", "count"])
    func integrity(tamper: String) async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let directory = try makeTemporaryDirectory("uservault-pitr-integrity")
                defer { try? FileManager.default.removeItem(at: directory) }
                try await moto.s3Client(transport).createBucket("staging")
                try await Self.table(moto, records: 30)
                let export = try await Self.fixtureExport(moto, prefix: "p", files: 3)
                let file = export.dataFiles[1]
                let tampered = try await runExportFixture(["tamper", "staging", export.folder, file, tamper], moto: moto)
                #expect(tampered.status == 0, "\(tampered.output)")
                let run = try await runUserVault(["--backend", "aws", "export", "--from-export", "s3://staging/\(export.folder)",
                                                  "--output", "x.tar.gz", "--progress", "never"], environment: moto.environment, in: directory)
                #expect(run.exitCode == 2)
                // One error line (beside the log's notices), naming the file.
                let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("uservault: error:") }
                #expect(errors.count == 1 && errors[0].contains("s3://staging/\(file)"), "\(run.stderr)")
                let why = ["byte": "does not match its MD5 checksum", "drop-line": "items, manifest-files.json says",
                           "count": "items, manifest-files.json says"]
                #expect(run.stderr.contains(why[tamper]!), "\(run.stderr)")
                #expect(try Self.archives(in: directory).isEmpty, "nothing published")
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".x") }.isEmpty,
                        "no partial file left")

                if tamper == "byte" {
                    let ion = try await Self.fixtureExport(moto, prefix: "ion", files: 1, extra: ["--format", "ION"])
                    let refused = try await runUserVault(["--backend", "aws", "audit", "--from-export", "s3://staging/\(ion.folder)",
                                                          "--progress", "never"], environment: moto.environment, in: directory)
                    #expect(refused.exitCode == 2 && refused.stderr.contains("ION format: DYNAMODB_JSON is needed"), "\(refused.stderr)")
                    let absent = try await runUserVault(["--backend", "aws", "export", "--from-export", "s3://staging/none/AWSDynamoDB/x/",
                                                         "--output", "x.tar.gz"], environment: moto.environment, in: directory)
                    #expect(absent.exitCode == 2 && absent.stderr.contains("no export manifest at s3://staging/none/AWSDynamoDB/x/manifest-summary.json"),
                            "\(absent.stderr)")
                }
            }
        }
    }

    @Test("killed with SIGKILL while reading 12 data files, resumed: the same archive, no finished file read again")
    func killAndResume() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let directory = try makeTemporaryDirectory("uservault-pitr-kill")
                defer { try? FileManager.default.removeItem(at: directory) }
                try await moto.s3Client(transport).createBucket("staging")
                try await Self.table(moto, records: 2_400)
                let export = try await Self.fixtureExport(moto, prefix: "k", files: 12)
                let base = ["--backend", "aws", "export", "--from-export", "s3://staging/\(export.folder)", "--concurrency", "1",
                            "--page-size", "5"]
                let whole = try await runUserVault(base + ["--output", "whole.tar.gz", "--progress", "never"],
                                                   environment: moto.environment, in: directory)
                #expect(whole.exitCode == 0, "\(whole.stderr)")

                let logBefore = try String(contentsOf: moto.logFile, encoding: .utf8).count
                let checkpoint = directory.appendingPathComponent("kill.checkpoint").path
                let resumable = base + ["--output", "k.tar.gz", "--checkpoint", checkpoint]
                let killed = try await runUserVaultUntil(resumable + ["--progress", "always"], environment: moto.environment,
                                                         in: directory, pattern: #"\b[2-8]/12 segments"#, signal: SIGKILL)
                #expect(killed.signalledMidRun && killed.reason == .uncaughtSignal, "\(killed.stderr)")
                // The files the checkpoint holds as done when the run died.
                var readOnly = GRDB.Configuration()
                readOnly.readonly = true
                let done: [Int] = try await DatabaseQueue(path: checkpoint, configuration: readOnly)
                    .read { db in try Int.fetchAll(db, sql: "SELECT segment FROM segments WHERE done = 1") }
                #expect(done.count >= 2 && done.count < 12, "\(done)")

                let resumed = try await runUserVault(resumable + ["--resume", "--progress", "never"], environment: moto.environment,
                                                     in: directory)
                #expect(resumed.exitCode == 0, "\(resumed.stderr)")
                let name = "k-asof-20261130T000000Z.tar.gz"
                #expect(try await runUserVault(["verify-export", name], in: directory).exitCode == 0)
                let first = try await readExportWithPython(directory.appendingPathComponent("whole-asof-20261130T000000Z.tar.gz"),
                                                           into: directory.appendingPathComponent("w"))
                let second = try await readExportWithPython(directory.appendingPathComponent(name), into: directory.appendingPathComponent("k"))
                #expect(first.users == 2_402 && second.resourcesDigest == first.resourcesDigest, "the archive of the uninterrupted run")

                // moto's request log since the kill run began: every data file's GETs.
                let log = String(try String(contentsOf: moto.logFile, encoding: .utf8).dropFirst(logBefore))
                for (index, key) in export.dataFiles.enumerated() {
                    let gets = log.components(separatedBy: "\"GET /staging/\(key) ").count - 1
                    if done.contains(index) {
                        #expect(gets == 1, "\(key), done before the kill, read \(gets) times")
                    } else {
                        #expect(gets >= 1 && gets <= 2, "\(key) read \(gets) times")
                    }
                }
            }
        }
    }

    @Test("audit --from-export: the findings of a scan audit of the same items and keys, zero DynamoDB requests; workers split the files")
    func auditFromExport() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let directory = try makeTemporaryDirectory("uservault-pitr-audit")
                defer { try? FileManager.default.removeItem(at: directory) }
                try await moto.s3Client(transport).createBucket("staging")
                #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
                // Legacy users with every defect kind the fixture plants (key states and a shared key among them).
                let written = try await runOriginalServiceFixture(["write", "users", "11"], moto: moto)
                let ids = written.output.split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
                }
                #expect(ids.count == 11)
                let planted = try await runOriginalServiceFixture(["plant", "users"] + ids.prefix(9), moto: moto)
                #expect(planted.status == 0, "\(planted.output)")
                let audit = ["--backend", "aws", "audit", "--progress", "never"]
                let scan = try await runUserVault(audit + ["--report-dir", "scan"], environment: moto.environment, in: directory)
                #expect(scan.exitCode == 1, "findings: \(scan.stderr)")
                let export = try await Self.fixtureExport(moto, prefix: "a", files: 3)
                let fromExport = try await runUserVault(audit + ["--from-export", "s3://staging/\(export.folder)", "--report-dir", "fx"],
                                                        environment: moto.environment, in: directory)
                #expect(fromExport.exitCode == 1, "findings: \(fromExport.stderr)")
                let scanned = try Self.report(in: directory.appendingPathComponent("scan/audit"))
                let exported = try Self.report(in: directory.appendingPathComponent("fx/audit"))
                #expect(Self.findings(exported) == Self.findings(scanned) && !Self.findings(scanned).isEmpty,
                        "\(Self.findings(exported)) vs \(Self.findings(scanned))")
                #expect((exported["stats"] as? [String: Any])?["dynamoRequests"] as? Int == 0)
                #expect((exported["stats"] as? [String: Any])?["consumedReadUnits"] as? Double ?? 0 == 0)
                #expect((exported["parameters"] as? [String: String])?["exportArn"] == export.exportArn)
                let markdown = try String(contentsOf: try Self.folder(in: directory.appendingPathComponent("fx/audit"))
                    .appendingPathComponent("report.md"), encoding: .utf8)
                #expect(markdown.contains("as of 2026-11-30T00:00:00.000Z") && markdown.contains("key states and proofs are live"))

                // Two workers, each every other data file; merged, the same findings.
                var folders: [String] = []
                for worker in ["0/2", "1/2"] {
                    let part = try await runUserVault(audit + ["--from-export", "s3://staging/\(export.folder)", "--worker", worker,
                                                               "--report-dir", "w"], environment: moto.environment, in: directory)
                    #expect(part.exitCode <= 1, "\(part.stderr)")
                    let line = try #require(part.stdout.split(separator: "\n").first { $0.hasPrefix("report: ") })
                    folders.append(String(line.dropFirst("report: ".count)).replacingOccurrences(of: "/report.md", with: ""))
                }
                let merged = try await runUserVault(["merge-reports"] + folders + ["--report-dir", "merged"], in: directory)
                #expect(merged.exitCode == 1, "\(merged.stderr)")
                let mergedReport = try Self.report(in: directory.appendingPathComponent("merged/audit"))
                #expect(Self.findings(mergedReport) == Self.findings(scanned))
                #expect(mergedReport["users"] as? Int == 11)
            }
        }
    }

    static func folder(in directory: URL) throws -> URL {
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return directory.appendingPathComponent(try #require(runs.last))
    }

    static func report(in directory: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: try folder(in: directory).appendingPathComponent("report.json")))
            as? [String: Any])
    }

    /// `CODE user` for every finding.
    static func findings(_ report: [String: Any]) -> [String] {
        ((report["findings"] as? [[String: Any]]) ?? []).map { "\($0["code"] as? String ?? "") \($0["userId"] as? String ?? "")" }.sorted()
    }
}
