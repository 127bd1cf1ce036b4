import AWSClients
import AWSSigning
import Crypto
import EmbeddedStore
import Foundation
import Logging
import Testing
import TestSupport

/// Issue #5's acceptance: `uservault export` and `verify-export` as real processes, read back
/// with standard tools (tar, zstd, unzip, Python's tarfile / zipfile) and the JSON:API schema.
@Suite("uservault export, end to end")
struct ExportCLITests {
    static let allowList = ["createdAt", "email", "firstname", "lastname", "username"]

    /// A directory with an embedded store of `users` synthetic users (each with credentials and a key).
    static func store(users: Int, seed: UInt64 = 5) async throws -> URL {
        let directory = try makeTemporaryDirectory("uservault-export")
        let store = try EmbeddedStore(path: directory.appendingPathComponent(".uservault/store.sqlite").path)
        _ = try await store.bulkLoadSyntheticUsers(count: users, seed: seed)
        return directory
    }

    static func mode(_ url: URL) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) ?? -1
    }

    static func tool(_ arguments: [String], in directory: URL) async throws -> Int32 {
        try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), arguments, in: directory).status
    }

    @Test("5,000 users in each format: standard tools read them, schema, allow-list, counts, checksums, mode 0600")
    func formats() async throws {
        let directory = try await Self.store(users: 5_000)
        defer { try? FileManager.default.removeItem(at: directory) }
        let standardTools = [
            "tar.gz": ["tar", "-tzf", "users.tar.gz"], "tar.zst": ["tar", "--zstd", "-tf", "users.tar.zst"],
            "zip": ["unzip", "-t", "users.zip"],
        ]
        for format in ["tar.gz", "tar.zst", "zip"] {
            let archive = directory.appendingPathComponent("users.\(format)")
            let export = try await runUserVault(["export", "--output", archive.lastPathComponent, "--format", format,
                                                 "--segments", "4", "--page-size", "700", "--progress", "never"], in: directory)
            #expect(export.exitCode == 0, "\(format): \(export.stderr)")
            #expect(export.stdout.contains("export of 5000 users"), "\(export.stdout)")
            #expect(try Self.mode(archive) == 0o600 && Self.mode(URL(fileURLWithPath: archive.path + ".sha256")) == 0o600)
            #expect(try await Self.tool(standardTools[format]!, in: directory) == 0, "\(format) read by \(standardTools[format]![0])")
            #expect(try await Self.tool(["sha256sum", "--check", "--status", archive.lastPathComponent + ".sha256"], in: directory) == 0)

            let extracted = directory.appendingPathComponent("extracted-\(format)")
            let listing = try await readExportWithPython(archive, into: extracted)
            #expect(listing.users == 5_000 && listing.unique == 5_000, "\(format): \(listing.users) users, \(listing.unique) unique")
            #expect(listing.attributes == Self.allowList, "\(format): only allow-listed attributes: \(listing.attributes)")
            #expect(listing.resourceKeys == ["attributes", "id", "type"])
            #expect(listing.modes == ["0o600"], "\(format): entries are mode 0600: \(listing.modes)")
            #expect(listing.members.contains("manifest.json"))
            #expect(listing.members.filter { $0.hasPrefix("users/") }
                .allSatisfy { $0.range(of: #"^users/part-0-[0-3]-\d+\.json$"#, options: .regularExpression) != nil })

            // Every document (the parts and the manifest) is valid JSON:API 1.0.
            let files = try FileManager.default.contentsOfDirectory(at: extracted, includingPropertiesForKeys: nil)
            let documents = try files.map { try Data(contentsOf: $0) }
            #expect(try await validateJSONAPIDocuments(documents).isEmpty)
            let text = documents.map { String(decoding: $0, as: UTF8.self) }.joined()
            #expect(!text.contains("credentials") && !text.contains("KeyId") && !text.contains("key/"))

            // The manifest's counts and checksums match what was extracted.
            let manifest = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: extracted.appendingPathComponent("manifest.json"))) as? [String: Any])
            let meta = try #require(manifest["meta"] as? [String: Any])
            #expect(meta["itemCount"] as? Int == 5_000 && meta["backend"] as? String == "embedded")
            let entries = try #require(meta["files"] as? [[String: Any]])
            #expect(entries.count == listing.members.count - 1)
            for entry in entries {
                let path = try #require(entry["path"] as? String)
                let data = try Data(contentsOf: extracted.appendingPathComponent((path as NSString).lastPathComponent))
                #expect(entry["bytes"] as? Int == data.count)
                #expect(entry["sha256"] as? String == SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined())
            }

            let verified = try await runUserVault(["verify-export", archive.lastPathComponent], in: directory)
            #expect(verified.exitCode == 0, "\(format): \(verified.stdout) \(verified.stderr)")
            #expect(verified.stdout.contains("5000 users"))
        }
    }

    @Test("a tampered archive fails verify-export with exit 1: flipped bytes, or a part changed and repacked")
    func tampered() async throws {
        let directory = try await Self.store(users: 300)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["export", "--output", "a.tar.gz", "--page-size", "100", "--progress", "never"],
                                       in: directory).exitCode == 0)
        let archive = directory.appendingPathComponent("a.tar.gz")
        let original = try Data(contentsOf: archive)

        // A part edited and the archive repacked with Python: readable, but the part's SHA-256
        // no longer matches the manifest, nor the archive its .sha256.
        let repack = """
            import io, sys, tarfile
            src, dst = sys.argv[1], sys.argv[2]
            with tarfile.open(src, "r:gz") as old, tarfile.open(dst, "w:gz") as new:
                edited = False
                for info in old.getmembers():
                    data = old.extractfile(info).read()
                    if not edited and info.name.startswith("users/"):
                        data, edited = data.replace(b"@example.com", b"@example.org", 1), True
                        info.size = len(data)
                    new.addfile(info, io.BytesIO(data))
            """
        #expect(try await Self.tool(["python3", "-c", repack, "a.tar.gz", "b.tar.gz"], in: directory) == 0)
        try FileManager.default.removeItem(at: archive)
        try FileManager.default.moveItem(at: directory.appendingPathComponent("b.tar.gz"), to: archive)
        let repacked = try await runUserVault(["verify-export", "a.tar.gz"], in: directory)
        #expect(repacked.exitCode == 1, "\(repacked.stdout)")
        #expect(repacked.stdout.contains("does not match the manifest"), "\(repacked.stdout)")
        #expect(repacked.stdout.contains("does not match a.tar.gz.sha256"), "\(repacked.stdout)")

        // Bytes flipped in the compressed stream: not readable to the end.
        var flipped = original
        for offset in stride(from: flipped.count / 2, to: flipped.count / 2 + 64, by: 1) { flipped[offset] ^= 0xA5 }
        try flipped.write(to: archive)
        let corrupt = try await runUserVault(["verify-export", "a.tar.gz"], in: directory)
        #expect(corrupt.exitCode == 1, "\(corrupt.stdout) \(corrupt.stderr)")
        #expect(!corrupt.stdout.isEmpty)

        // The original again: sound.
        try original.write(to: archive)
        #expect(try await runUserVault(["verify-export", "a.tar.gz"], in: directory).exitCode == 0)
    }

    @Test("an unwritable output: exit 2, one line, nothing left there")
    func unwritable() async throws {
        let directory = try await Self.store(users: 50)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("not a directory".utf8).write(to: directory.appendingPathComponent("file"))
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let result = try await runUserVault(["export", "--output", "file/users.tar.gz", "--progress", "never"], in: directory)
        #expect(result.exitCode == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("file/users.tar.gz"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == before)
        #expect(try await runUserVault(["verify-export", "absent.tar.gz"], in: directory).exitCode == 2)
    }

    @Test("interrupted: SIGTERM leaves nothing; SIGKILL with a checkpoint resumes to the whole export")
    func interrupted() async throws {
        let directory = try await Self.store(users: 20_000)
        defer { try? FileManager.default.removeItem(at: directory) }
        let export = ["export", "--output", "out/users.tar.zst", "--segments", "16", "--concurrency", "1",
                      "--page-size", "20", "--progress", "always"]
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("out"), withIntermediateDirectories: true)

        let stopped = try await runUserVaultUntil(export, in: directory, pattern: "items", signal: SIGTERM)
        #expect(stopped.signalledMidRun, "signalled mid-run")
        #expect(stopped.status == 2, "\(stopped.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("out").path).isEmpty,
                "a stopped export without a checkpoint leaves nothing")

        let checkpoint = directory.appendingPathComponent("export.checkpoint").path
        // Killed by the middle (at most 8 of 16 segments shown done): the live line is drawn every
        // 0.2 s, so it may be that far behind the run, and a kill shown at 14/16 once landed after the
        // archive was complete (a clean-clone run). Small pages (a synced file each) make the eight
        // segments left take several times that lag, and the line pass through 1–8 on a faster machine.
        let killed = try await runUserVaultUntil(export + ["--checkpoint", checkpoint], in: directory,
                                                 pattern: #"\b[1-8]/16 segments"#, signal: SIGKILL)
        #expect(killed.signalledMidRun, "signalled mid-run")
        #expect(killed.reason == .uncaughtSignal)
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("out").path)
        #expect(!left.contains("users.tar.zst") && left.contains { $0.hasSuffix(".parts") }, "\(left)")

        let resumed = try await runUserVault(export + ["--checkpoint", checkpoint, "--resume"], in: directory)
        #expect(resumed.exitCode == 0, "\(resumed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("out").path).sorted()
            == ["users.tar.zst", "users.tar.zst.sha256"], "the spooled parts are gone")
        let verified = try await runUserVault(["verify-export", "out/users.tar.zst"], in: directory)
        #expect(verified.exitCode == 0, "\(verified.stdout)")
        let listing = try await readExportWithPython(directory.appendingPathComponent("out/users.tar.zst"),
                                                     into: directory.appendingPathComponent("x"))
        #expect(listing.users == 20_000 && listing.unique == 20_000)
    }

    @Test("peak RSS exporting 50,000 users is within 1.5x that for 5,000",
          .disabled(if: sanitizerRun != nil, "a sanitizer's shadow memory and quarantine are most of the peak"))
    func flatMemory() async throws {
        var peaks: [Int: Int] = [:]
        for users in [5_000, 50_000] {
            let directory = try await Self.store(users: users)
            defer { try? FileManager.default.removeItem(at: directory) }
            let (result, rss) = try await runUserVaultMeasuringRSS(
                ["export", "--output", "u.tar.zst", "--segments", "8", "--progress", "never"], in: directory)
            #expect(result.exitCode == 0, "\(result.stderr)")
            peaks[users] = rss
        }
        let small = try #require(peaks[5_000]), large = try #require(peaks[50_000])
        #expect(small > 0 && Double(large) <= 1.5 * Double(small), "peak RSS \(small) KiB for 5,000, \(large) KiB for 50,000")
    }

    @Test("moto: every legacy record exports (no createdAt), to a file and to S3 with its .sha256")
    func moto() async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-export-aws")
            defer { try? FileManager.default.removeItem(at: directory) }
            #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
            let written = try await runOriginalServiceFixture(["write", "users", "12"], moto: moto)
            #expect(written.status == 0, "\(written.output)")
            let ids = Set(written.output.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
            })
            #expect(ids.count == 12)
            let export = try await runUserVault(["--backend", "aws", "export", "--output", "legacy.zip", "--segments", "3",
                                                 "--progress", "never"], environment: moto.environment, in: directory)
            #expect(export.exitCode == 0, "\(export.stderr)")
            #expect(try await runUserVault(["verify-export", "legacy.zip"], in: directory).exitCode == 0)
            let listing = try await readExportWithPython(directory.appendingPathComponent("legacy.zip"),
                                                         into: directory.appendingPathComponent("x"))
            #expect(listing.users == 12 && listing.unique == 12)
            #expect(listing.attributes == ["email", "firstname", "lastname", "username"], "legacy records have no createdAt")
            let exported = try FileManager.default.contentsOfDirectory(at: directory.appendingPathComponent("x"), includingPropertiesForKeys: nil)
                .filter { $0.lastPathComponent.hasPrefix("part-") }
                .flatMap { url -> [String] in
                    let document = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
                    return (document?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                }
            #expect(Set(exported) == ids)

            // To S3: the object and its .sha256 beside it, and nothing left in the staging area.
            try await HTTP1Transport.withTransport { transport in
                let s3 = S3Client(AWSServiceClient(
                    service: .s3, endpoint: URL(string: moto.endpoint)!, region: MotoServer.region,
                    credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing")),
                    transport: transport, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
                try await s3.createBucket("exports")
                let uploaded = try await runUserVault(["--backend", "aws", "export", "--output", "s3://exports/nightly/users.tar.gz",
                                                       "--progress", "never"], environment: moto.environment, in: directory)
                #expect(uploaded.exitCode == 0, "\(uploaded.stderr)")
                #expect(uploaded.stdout.contains("s3://exports/nightly/users.tar.gz"))
                let object = try await s3.getObject(bucket: "exports", key: "nightly/users.tar.gz")
                let checksum = String(decoding: try await s3.getObject(bucket: "exports", key: "nightly/users.tar.gz.sha256"), as: UTF8.self)
                #expect(checksum == SHA256.hash(data: object).map { String(format: "%02x", $0) }.joined() + "  users.tar.gz\n")
                try object.write(to: directory.appendingPathComponent("users.tar.gz"))
                try Data(checksum.utf8).write(to: directory.appendingPathComponent("users.tar.gz.sha256"))
                #expect(try await runUserVault(["verify-export", "users.tar.gz"], in: directory).exitCode == 0)
            }
        }
    }
}
