import AWSClients
import AWSSigning
import Foundation
import Testing
import TestSupport

/// ``S3Client`` against a real moto_server, one per test. Serialized: each moto is a heavy
/// Python process, and the other suites run beside this one.
@Suite("S3 against moto", .serialized)
struct S3ClientTests {
    static func s3(_ moto: MotoServer, transport: any HTTPTransport) -> S3Client {
        S3Client(AWSServiceClient(
            service: .s3, endpoint: URL(string: moto.endpoint)!, region: MotoServer.region,
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing")),
            transport: transport, retry: .withoutJitter(maxAttempts: 3), logger: .silent))
    }

    /// Runs `body` with an S3 client on a fresh moto server and a bucket named `bucket`.
    static func withBucket(_ body: (S3Client) async throws -> Void) async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withMotoServer { moto in
                let s3 = s3(moto, transport: transport)
                try await s3.createBucket("bucket")
                try await body(s3)
            }
        }
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Random bytes (read from the kernel: cheap even in a debug build, which matters because
    /// tests share a small pool of threads).
    static func randomBytes(_ count: Int) throws -> Data {
        let urandom = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        defer { try? urandom.close() }
        let data = try #require(try urandom.read(upToCount: count))
        try #require(data.count == count)
        return data
    }

    @Test("ListObjectsV2: keys under a prefix page by page (continuation token), folders rolled up by a delimiter")
    func listObjects() async throws {
        try await Self.withBucket { s3 in
            for folder in ["20261201T020000-a", "20261202T020000-b", "20261203T020000-c"] {
                for file in ["report.json", "report.md"] {
                    try await s3.putObject(bucket: "bucket", key: "nightly/audit/\(folder)/\(file)", body: Data("{}".utf8))
                }
            }
            try await s3.putObject(bucket: "bucket", key: "nightly/export/users.tar.gz", body: Data("x".utf8))
            try await s3.putObject(bucket: "bucket", key: "other/audit/x/report.json", body: Data("{}".utf8))
            var pages: [S3.ListPage] = []
            for try await page in s3.listObjects(bucket: "bucket", prefix: "nightly/audit/", pageSize: 4) { pages.append(page) }
            #expect(pages.map(\.keys.count) == [4, 2], "two pages of at most 4")
            #expect(pages.flatMap(\.keys) == ["20261201T020000-a", "20261202T020000-b", "20261203T020000-c"]
                .flatMap { ["nightly/audit/\($0)/report.json", "nightly/audit/\($0)/report.md"] })
            var folders: [String] = []
            for try await page in s3.listObjects(bucket: "bucket", prefix: "nightly/", delimiter: "/") {
                #expect(page.keys.isEmpty)
                folders += page.commonPrefixes
            }
            #expect(folders == ["nightly/audit/", "nightly/export/"])
            var nothing: [S3.ListPage] = []
            for try await page in s3.listObjects(bucket: "bucket", prefix: "absent/", delimiter: "/") { nothing.append(page) }
            #expect(nothing == [S3.ListPage()], "one empty page")
            let error = await #expect(throws: AWSError.self) {
                for try await _ in s3.listObjects(bucket: "no-such-bucket", prefix: "x/") {}
            }
            #expect(error?.code == "NoSuchBucket")
        }
    }

    @Test("put, head, get and delete round trip")
    func roundTrip() async throws {
        try await Self.withBucket { s3 in
            let body = Data(#"{"hello":"world"}"#.utf8)
            let put = try await s3.putObject(bucket: "bucket", key: "reports/one.json", body: body,
                                             contentType: "application/json")
            #expect(put.eTag?.isEmpty == false)
            #expect(try await s3.getObject(bucket: "bucket", key: "reports/one.json") == body)
            let head = try await s3.headObject(bucket: "bucket", key: "reports/one.json")
            #expect(head.contentLength == body.count)
            #expect(head.eTag == put.eTag)
            #expect(head.contentType == "application/json")
            #expect(head.lastModified != nil)
            #expect(head.serverSideEncryption == nil)
            try await s3.deleteObject(bucket: "bucket", key: "reports/one.json")
            let error = try await #require(throws: AWSError.self) {
                try await s3.headObject(bucket: "bucket", key: "reports/one.json")
            }
            #expect(error.code == "NotFound")
            #expect(error.statusCode == 404)
        }
    }

    @Test("keys with spaces, unicode and reserved characters round-trip")
    func awkwardKeys() async throws {
        let keys = [
            "with space.txt", "dir/sub dir/ü ñ 日本語.json", "reserved a=b&c;d+e,f:g@h$i!j'(k)*l",
            "percent%20literal", "~tilde/x", "emoji 🎉.txt", "question?mark#hash",
        ]
        try await Self.withBucket { s3 in
            for (index, key) in keys.enumerated() {
                let body = Data("object \(index)".utf8)
                try await s3.putObject(bucket: "bucket", key: key, body: body)
                #expect(try await s3.getObject(bucket: "bucket", key: key) == body, "\(key)")
                #expect(try await s3.headObject(bucket: "bucket", key: key).contentLength == body.count, "\(key)")
            }
            // Each key is its own object: no two collapsed into one by the encoding.
            #expect(try await s3.getObject(bucket: "bucket", key: "with space.txt") == Data("object 0".utf8))
            #expect(try await s3.getObject(bucket: "bucket", key: "percent%20literal") == Data("object 3".utf8))
        }
    }

    @Test("a 12 MiB file goes up in 5 MiB parts and comes down byte-identical")
    func multipartFile() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("source.bin")
        let content = try Self.randomBytes(12 << 20 + 12_345)
        try content.write(to: source)
        try await Self.withBucket { s3 in
            let result = try await s3.upload(bucket: "bucket", key: "exports/big file.bin", from: source,
                                             partSize: S3.minimumPartSize, serverSideEncryption: .aes256, concurrency: 2)
            #expect(result.partCount == 3)
            #expect(result.size == content.count)
            #expect(result.eTag?.hasSuffix("-3\"") == true)
            #expect(try await s3.listMultipartUploads(bucket: "bucket").isEmpty)

            let head = try await s3.headObject(bucket: "bucket", key: "exports/big file.bin")
            #expect(head.contentLength == content.count)
            #expect(head.serverSideEncryption == .aes256)

            let target = directory.appendingPathComponent("downloaded.bin")
            let metadata = try await s3.downloadObject(bucket: "bucket", key: "exports/big file.bin", to: target,
                                                       partSize: 4 << 20)
            #expect(metadata.contentLength == content.count)
            #expect(try Data(contentsOf: target) == content)
            let mode = try FileManager.default.attributesOfItem(atPath: target.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            // Downloading again replaces the file, and leaves no temporary file behind.
            try Data("stale".utf8).write(to: target)
            try await s3.downloadObject(bucket: "bucket", key: "exports/big file.bin", to: target)
            #expect(try Data(contentsOf: target) == content)
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            #expect(names == ["downloaded.bin", "source.bin"])
            #expect(try await s3.getObject(bucket: "bucket", key: "exports/big file.bin") == content)
        }
    }

    @Test("an async sequence of odd-sized chunks is re-cut into parts; a small one is a single PUT")
    func uploadFromChunks() async throws {
        let content = try Self.randomBytes(11 << 20 + 7)
        let chunks = AsyncThrowingStream<Data, any Error> { continuation in
            var offset = 0
            var size = 1
            while offset < content.count {
                let end = min(offset + size, content.count)
                continuation.yield(content.subdata(in: offset..<end))
                offset = end
                size = size * 3 % 1_000_003 + 1
            }
            continuation.finish()
        }
        try await Self.withBucket { s3 in
            let big = try await s3.upload(bucket: "bucket", key: "chunks.bin", from: chunks, partSize: S3.minimumPartSize)
            #expect(big.partCount == 3)
            #expect(try await s3.getObject(bucket: "bucket", key: "chunks.bin") == content)

            let small = AsyncThrowingStream<Data, any Error> { continuation in
                continuation.yield(Data("small ".utf8))
                continuation.yield(Data("object".utf8))
                continuation.finish()
            }
            let result = try await s3.upload(bucket: "bucket", key: "small.txt", from: small, contentType: "text/plain",
                                             serverSideEncryption: .aes256)
            #expect(result.partCount == 0)
            #expect(result.size == 12)
            #expect(try await s3.getObject(bucket: "bucket", key: "small.txt") == Data("small object".utf8))
            #expect(try await s3.headObject(bucket: "bucket", key: "small.txt").serverSideEncryption == .aes256)

            let empty = AsyncThrowingStream<Data, any Error> { $0.finish() }
            #expect(try await s3.upload(bucket: "bucket", key: "empty", from: empty).size == 0)
            #expect(try await s3.getObject(bucket: "bucket", key: "empty").isEmpty)
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let target = directory.appendingPathComponent("empty")
            try await s3.downloadObject(bucket: "bucket", key: "empty", to: target)
            #expect(try Data(contentsOf: target).isEmpty)
        }
    }

    @Test("server-side encryption is requested and reported back", arguments: [
        S3.ServerSideEncryption.aes256, .kms(keyId: "arn:aws:kms:us-east-1:123456789012:key/0d7b5f2c-aaaa-bbbb-cccc-123456789012"),
    ])
    func serverSideEncryption(encryption: S3.ServerSideEncryption) async throws {
        try await Self.withBucket { s3 in
            try await s3.putObject(bucket: "bucket", key: "single", body: Data("x".utf8), serverSideEncryption: encryption)
            #expect(try await s3.headObject(bucket: "bucket", key: "single").serverSideEncryption == encryption)

            let uploadId = try await s3.createMultipartUpload(bucket: "bucket", key: "multi", serverSideEncryption: encryption)
            let eTag = try await s3.uploadPart(bucket: "bucket", key: "multi", uploadId: uploadId, partNumber: 1,
                                               body: Data("part".utf8))
            try await s3.completeMultipartUpload(bucket: "bucket", key: "multi", uploadId: uploadId,
                                                 parts: [S3.CompletedPart(partNumber: 1, eTag: eTag)])
            #expect(try await s3.headObject(bucket: "bucket", key: "multi").serverSideEncryption == encryption)
        }
    }

    struct SourceFailure: Error {}

    @Test("a failing upload is aborted: no multipart upload is left behind")
    func abortOnFailure() async throws {
        try await Self.withBucket { s3 in
            // The source fails after one full part was read and sent.
            let failing = AsyncThrowingStream<Data, any Error> { continuation in
                for _ in 0..<6 { continuation.yield(Data(repeating: 1, count: 1 << 20)) }
                continuation.finish(throwing: SourceFailure())
            }
            await #expect(throws: SourceFailure.self) {
                try await s3.upload(bucket: "bucket", key: "partial.bin", from: failing, partSize: S3.minimumPartSize)
            }
            #expect(try await s3.listMultipartUploads(bucket: "bucket").isEmpty)
            let missing = try await #require(throws: AWSError.self) {
                try await s3.headObject(bucket: "bucket", key: "partial.bin")
            }
            #expect(missing.code == "NotFound")

            // An upload left open is listed, until aborted.
            let uploadId = try await s3.createMultipartUpload(bucket: "bucket", key: "open upload")
            #expect(try await s3.listMultipartUploads(bucket: "bucket") == [S3.MultipartUpload(key: "open upload", uploadId: uploadId)])
            try await s3.abortMultipartUpload(bucket: "bucket", key: "open upload", uploadId: uploadId)
            #expect(try await s3.listMultipartUploads(bucket: "bucket").isEmpty)

            // A part upload to a missing bucket fails; the failed upload leaves nothing anywhere.
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("six-mib")
            try Data(repeating: 2, count: 6 << 20).write(to: file)
            let noBucket = try await #require(throws: AWSError.self) {
                try await s3.upload(bucket: "missing-bucket", key: "x", from: file, partSize: S3.minimumPartSize)
            }
            #expect(noBucket.code == "NoSuchBucket")
            #expect(try await s3.listMultipartUploads(bucket: "bucket").isEmpty)
        }
    }

    @Test("NoSuchBucket, NoSuchKey and NoSuchUpload are parsed with code, status and request id")
    func errors() async throws {
        try await Self.withBucket { s3 in
            let noBucket = try await #require(throws: AWSError.self) {
                try await s3.getObject(bucket: "no-such-bucket", key: "k")
            }
            #expect(noBucket.code == "NoSuchBucket")
            #expect(noBucket.statusCode == 404)
            #expect(noBucket.requestId?.isEmpty == false)
            #expect(noBucket.service == "s3" && noBucket.operation == "GetObject")
            #expect(noBucket.attempts == 1)

            let noKey = try await #require(throws: AWSError.self) {
                try await s3.getObject(bucket: "bucket", key: "no such key")
            }
            #expect(noKey.code == "NoSuchKey")
            #expect(noKey.statusCode == 404)
            #expect(noKey.requestId?.isEmpty == false)
            #expect("\(noKey)".contains("NoSuchKey"))

            let noUpload = try await #require(throws: AWSError.self) {
                try await s3.abortMultipartUpload(bucket: "bucket", key: "k", uploadId: "not-an-upload")
            }
            #expect(noUpload.code == "NoSuchUpload")
            #expect(noUpload.statusCode == 404)

            // A failed download leaves nothing at the destination.
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let target = directory.appendingPathComponent("never")
            let notFound = try await #require(throws: AWSError.self) {
                try await s3.downloadObject(bucket: "bucket", key: "no such key", to: target)
            }
            #expect(notFound.code == "NotFound")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        }
    }
}
