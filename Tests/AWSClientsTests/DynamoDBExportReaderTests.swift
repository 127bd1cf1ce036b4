@testable import AWSClients
import Foundation
import Testing
import TestSupport

/// The reader of DynamoDB's export to S3: the gunzip, the manifests read strictly, and a data file
/// streamed in ranged GETs against moto (written in AWS's layout by `Fixtures/dynamodb_export.py`).
@Suite("DynamoDB export reader", .serialized)
struct DynamoDBExportReaderTests {
    /// Bytes a Python expression writes (gzip streams made by Python's own gzip module).
    static func python(_ expression: String) async throws -> [UInt8] {
        let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                               ["python3", "-c", "import gzip, sys; sys.stdout.buffer.write(\(expression))"])
        #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        return Array(result.stdout)
    }

    static func inflate(_ bytes: [UInt8], feeding size: Int) throws -> [UInt8] {
        let inflater = try GzipInflater()
        var out: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            inflater.feed(Array(bytes[offset..<min(offset + size, bytes.count)]))
            offset += size
            while try inflater.pull({ out.append(contentsOf: $0) }) {}
        }
        try inflater.finish()
        return out
    }

    @Test("gunzip: fed in pieces of any size, concatenated members; a truncated stream and garbage are refused")
    func gunzip() async throws {
        let text = try await Self.python("gzip.compress(b''.join(b'line %d\\n' % i for i in range(50000)))")
        let expected = Array((0..<50_000).map { "line \($0)\n" }.joined().utf8)
        for size in [1, 7, 4096, text.count] {
            #expect(try Self.inflate(text, feeding: size) == expected, "pieces of \(size)")
        }
        let members = try await Self.python("gzip.compress(b'a\\n') + gzip.compress(b'b\\n')")
        #expect(try Self.inflate(members, feeding: 3) == Array("a\nb\n".utf8))
        #expect(throws: GzipInflater.Failure.self) { try Self.inflate(Array(text.dropLast(9)), feeding: 1000) }
        #expect(throws: GzipInflater.Failure.self) { try Self.inflate(Array("not gzip at all".utf8), feeding: 4) }
    }

    @Test("manifests: AWS's shape is read; a missing member, an ION export, a bad data file key or checksum are refused")
    func manifests() throws {
        let summary = #"{"exportArn":"arn:aws:dynamodb:us-east-1:1:table/users/export/0170-ab","tableArn":"arn:aws:dynamodb:us-east-1:1:table/users","exportTime":"2026-11-30T00:00:00.000Z","itemCount":3,"outputFormat":"DYNAMODB_JSON","exportType":"FULL_EXPORT","manifestFilesS3Key":"p/AWSDynamoDB/0170-ab/manifest-files.json"}"#
        let parsed = try DynamoDBExportManifest.parseSummary(Data(summary.utf8), location: "s")
        #expect(parsed.itemCount == 3 && parsed.exportTime == "2026-11-30T00:00:00.000Z" && parsed.tableArn.hasSuffix("table/users"))
        for (change, why) in [("\"itemCount\":3,", "no itemCount"), ("\"exportTime\":\"2026-11-30T00:00:00.000Z\",", "no exportTime")] {
            #expect(throws: DynamoDBExportError.manifestMalformed("s", why)) {
                try DynamoDBExportManifest.parseSummary(Data(summary.replacingOccurrences(of: change, with: "").utf8), location: "s")
            }
        }
        #expect(throws: DynamoDBExportError.unsupportedFormat("ION")) {
            try DynamoDBExportManifest.parseSummary(Data(summary.replacingOccurrences(of: "DYNAMODB_JSON", with: "ION").utf8), location: "s")
        }
        let md5 = Data(repeating: 7, count: 16).base64EncodedString()
        let line = #"{"itemCount":2,"md5Checksum":"\#(md5)","etag":"abc","dataFileS3Key":"p/AWSDynamoDB/0170-ab/data/x.json.gz"}"#
        let files = try DynamoDBExportManifest.parseDataFiles(Data((line + "\n" + line.replacingOccurrences(of: "x.json.gz", with: "y.gz") + "\n").utf8),
                                                              location: "f")
        #expect(files.map(\.key) == ["p/AWSDynamoDB/0170-ab/data/x.json.gz", "p/AWSDynamoDB/0170-ab/data/y.gz"])
        for bad in [line.replacingOccurrences(of: "x.json.gz", with: "x.json"), line.replacingOccurrences(of: md5, with: "bm90"),
                    line.replacingOccurrences(of: #""itemCount":2,"#, with: ""), line + "\n" + line] {
            #expect(throws: DynamoDBExportError.self) { try DynamoDBExportManifest.parseDataFiles(Data(bad.utf8), location: "f") }
        }
    }

    @Test("a data file larger than a chunk: read in ranged GETs, every item decoded, its MD5 and count checked")
    func streamed() async throws {
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { transport in
                let s3 = moto.s3Client(transport)
                try await s3.createBucket("staging")
                #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
                #expect(try await runOriginalServiceFixture(["write-records", "users", "1500"], moto: moto).status == 0)
                let made = try await runExportFixture(["export", "users", "staging", "s", "--files", "1"], moto: moto)
                #expect(made.status == 0, "\(made.output)")
                let folder = try #require((try JSONSerialization.jsonObject(with: Data(made.output.utf8)) as? [String: Any])?["folder"] as? String)
                let manifest = try await DynamoDBExportManifest.read(s3: s3, bucket: "staging", folder: folder)
                #expect(manifest.itemCount == 1500 && manifest.dataFiles.count == 1)
                let file = manifest.dataFiles[0]
                let size = try await s3.headObject(bucket: "staging", key: file.key).contentLength
                let reader = ExportDataFileReader(s3: s3, bucket: "staging", file: file, chunkSize: 64 << 10)
                var ids = Set<String>()
                var binaries = 0
                while let items = try await reader.next(limit: 250) {
                    for item in items {
                        if let id = item["id"]?.stringValue { ids.insert(id) }
                        if case .b(let data)? = item["credentials"], data.count == 184 { binaries += 1 }
                    }
                }
                #expect(ids.count == 1500 && binaries == 1500)
                let log = try String(contentsOf: moto.logFile, encoding: .utf8)
                let gets = log.components(separatedBy: "\"GET /staging/\(file.key) ").count - 1
                #expect(size > 4 * (64 << 10) && gets == (size + (64 << 10) - 1) / (64 << 10), "\(size) bytes in \(gets) GETs")
            }
        }
    }
}
