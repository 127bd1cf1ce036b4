import AWSClients
import AWSSigning
import EmbeddedStore
import Foundation
import GRDB
import Logging
import Testing
import TestSupport

/// Reports and exports to S3 on moto, whichever backend holds the users: encrypted at rest as
/// requested, `report.json`/`report.md` under the prefix, a large archive by multipart upload.
@Suite("S3 outputs on moto", .serialized)
struct S3OutputTests {
    @Test("audit --report-dir s3://bucket/prefix: report.json (valid), report.md and report.html (text/html) there, SSE requested")
    func auditReports() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let directory = try makeTemporaryDirectory("uservault-s3-reports")
                defer { try? FileManager.default.removeItem(at: directory) }
                let s3 = moto.s3Client(transport)
                try await s3.createBucket("reports")
                #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
                #expect(try await runOriginalServiceFixture(["write", "users", "4"], moto: moto).status == 0)
                let audit = try await runUserVault(["--backend", "aws", "audit", "--report-dir", "s3://reports/nightly",
                                                    "--progress", "never"], environment: moto.environment, in: directory)
                #expect(audit.exitCode == 0, "\(audit.stderr)")
                let line = try #require(audit.stdout.split(separator: "\n").first { $0.hasPrefix("report: s3://reports/nightly/audit/") })
                let folder = line.dropFirst("report: s3://reports/".count).dropLast("/report.md".count)
                let json = try await s3.getObject(bucket: "reports", key: folder + "/report.json")
                #expect(try await validateJSONDocuments([json], schema: reportSchemaURL).isEmpty)
                let report = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
                #expect(report["users"] as? Int == 4 && report["complete"] as? Bool == true)
                let markdown = String(decoding: try await s3.getObject(bucket: "reports", key: folder + "/report.md"), as: UTF8.self)
                #expect(markdown.contains("audit"))
                #expect(try await s3.headObject(bucket: "reports", key: folder + "/report.json").serverSideEncryption == .aes256)
                // The page opens in a browser straight from the bucket.
                let page = try await s3.headObject(bucket: "reports", key: folder + "/report.html")
                #expect(page.contentType == "text/html; charset=utf-8" && page.serverSideEncryption == .aes256)
                #expect(audit.stdout.contains("page: s3://reports/\(folder)/report.html"))
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0 == "reports" }.isEmpty,
                        "nothing written locally")
            }
        }
    }

    @Test("a 50 MB export goes up by multipart, with its .sha256; downloaded, it passes verify-export")
    func largeExport() async throws {
        let directory = try makeTemporaryDirectory("uservault-s3-large")
        defer { try? FileManager.default.removeItem(at: directory) }
        // 7,500 users whose names are 9,000 characters of base64 noise: about 50 MB compressed.
        let path = directory.appendingPathComponent(".uservault/store.sqlite").path
        let store = try EmbeddedStore(path: path)
        let ids = try await store.bulkLoadSyntheticUsers(count: 7_500, seed: 3)
        let urandom = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        let noise = try #require(try urandom.read(upToCount: 6_750 * ids.count))
        try urandom.close()
        try await DatabaseQueue(path: path).write { db in
            for (index, id) in ids.enumerated() {
                let name = noise.subdata(in: index * 6_750..<(index + 1) * 6_750).base64EncodedString()
                try db.execute(sql: "UPDATE items SET firstname = ? WHERE id = ?", arguments: [name, id])
            }
        }
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let s3 = moto.s3Client(transport)
                try await s3.createBucket("exports")
                let export = try await runUserVault(["export", "--output", "s3://exports/weekly/users.tar.gz", "--progress", "never"],
                                                    environment: moto.environment, in: directory)
                #expect(export.exitCode == 0, "\(export.stderr)")
                let head = try await s3.headObject(bucket: "exports", key: "weekly/users.tar.gz")
                #expect(head.contentLength >= 50_000_000, "\(head.contentLength) bytes")
                #expect(head.eTag?.contains("-") == true, "a multipart upload's ETag: \(head.eTag ?? "none")")
                #expect(head.serverSideEncryption == .aes256)
                let local = directory.appendingPathComponent("users.tar.gz")
                try await s3.downloadObject(bucket: "exports", key: "weekly/users.tar.gz", to: local)
                let checksum = try await s3.getObject(bucket: "exports", key: "weekly/users.tar.gz.sha256")
                try checksum.write(to: URL(fileURLWithPath: local.path + ".sha256"))
                let verified = try await runUserVault(["verify-export", "users.tar.gz"], in: directory)
                #expect(verified.exitCode == 0, "\(verified.stdout)")
                #expect(verified.stdout.contains("7500 users"))
            }
        }
    }
}
