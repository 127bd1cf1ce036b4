@testable import AWSClients
import AWSSigning
import Foundation
import Testing
import TestSupport

/// ``S3Client``'s wire details, against the fault server (which records every request).
@Suite("S3 requests, encoding and failure handling")
struct S3FaultTests {
    @Test("keys are percent-encoded by S3's rules, keeping /", arguments: [
        ("plain.txt", "plain.txt"),
        ("a b/c", "a%20b/c"),
        ("résumé", "r%C3%A9sum%C3%A9"),
        ("日本", "%E6%97%A5%E6%9C%AC"),
        ("a+b=c&d", "a%2Bb%3Dc%26d"),
        ("~-._", "~-._"),
        ("100%", "100%25"),
        ("q?x#y", "q%3Fx%23y"),
        ("dir//x/", "dir//x/"),
    ])
    func keyEncoding(key: String, encoded: String) {
        #expect(URIEncoding.encode(key, keepingSlash: true) == encoded)
        #expect(S3URI.path(bucket: "b", key: key) == "/b/" + encoded)
    }

    @Test("query values encode / too")
    func queryEncoding() {
        #expect(URIEncoding.encode("a/b+c=") == "a%2Fb%2Bc%3D")
    }

    @Test("an <Error> document is recognised only as the root element")
    func errorDocument() {
        func isError(_ text: String) -> Bool { S3Client.isErrorDocument(try? XMLElementTree.parse(Data(text.utf8))) }
        #expect(isError("<Error><Code>InternalError</Code></Error>"))
        #expect(isError("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>X</Code></Error>"))
        #expect(!isError(
            "<?xml version=\"1.0\"?><CompleteMultipartUploadResult><Key>&lt;Error&gt;</Key></CompleteMultipartUploadResult>"))
        #expect(!isError("<CompleteMultipartUploadResult><ETag>\"x\"</ETag></CompleteMultipartUploadResult>"))
    }

    static func s3(_ server: FaultServer, transport: any HTTPTransport, maxAttempts: Int = 3) -> S3Client {
        S3Client(server.client(.s3, transport: transport, retry: .withoutJitter(maxAttempts: maxAttempts)))
    }

    @Test("SSE headers go on PutObject and CreateMultipartUpload, not on parts")
    func encryptionHeaders() async throws {
        let initiate = "<InitiateMultipartUploadResult><UploadId>u-1</UploadId></InitiateMultipartUploadResult>"
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([.ok(body: ""), .ok(body: initiate), .ok(body: "", headers: ["ETag": "\"e1\""])],
                                      format: .xml) { server in
                let s3 = Self.s3(server, transport: transport)
                try await s3.putObject(bucket: "b", key: "k 1", body: Data("x".utf8), contentType: "text/plain",
                                       serverSideEncryption: .kms(keyId: "alias/exports"))
                let uploadId = try await s3.createMultipartUpload(bucket: "b", key: "k 2", serverSideEncryption: .aes256)
                #expect(uploadId == "u-1")
                #expect(try await s3.uploadPart(bucket: "b", key: "k 2", uploadId: uploadId, partNumber: 1,
                                                body: Data("p".utf8)) == "\"e1\"")
                let requests = server.requests
                #expect(requests.map(\.method) == ["PUT", "POST", "PUT"])
                #expect(requests.map(\.uri) == ["/b/k%201", "/b/k%202?uploads=", "/b/k%202?partNumber=1&uploadId=u-1"])
                #expect(requests[0].header("x-amz-server-side-encryption") == "aws:kms")
                #expect(requests[0].header("x-amz-server-side-encryption-aws-kms-key-id") == "alias/exports")
                #expect(requests[0].header("Content-Type") == "text/plain")
                #expect(requests[0].header("x-amz-content-sha256")?.count == 64)
                #expect(requests[1].header("x-amz-server-side-encryption") == "AES256")
                #expect(requests[2].header("x-amz-server-side-encryption") == nil)
            }
        }
    }

    @Test("a failed part aborts the upload and rethrows the part's error")
    func abortAfterFailedPart() async throws {
        let initiate = "<InitiateMultipartUploadResult><UploadId>u-9</UploadId></InitiateMultipartUploadResult>"
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([.ok(body: initiate), .error(status: 400, code: "InvalidArgument")],
                                      otherwise: .ok(body: ""), format: .xml) { server in
                let s3 = Self.s3(server, transport: transport)
                let chunks = AsyncThrowingStream<Data, any Error> { continuation in
                    continuation.yield(Data(repeating: 1, count: 6 << 20))
                    continuation.finish()
                }
                let error = try await #require(throws: AWSError.self) {
                    try await s3.upload(bucket: "b", key: "big", from: chunks, partSize: S3.minimumPartSize, concurrency: 1)
                }
                #expect(error.code == "InvalidArgument")
                #expect(error.operation == "UploadPart")
                let requests = server.requests
                #expect(requests.map(\.method) == ["POST", "PUT", "DELETE"])
                #expect(requests.last?.uri == "/b/big?uploadId=u-9")
            }
        }
    }

    @Test("a failed completion aborts the upload too")
    func abortAfterFailedCompletion() async throws {
        let initiate = "<InitiateMultipartUploadResult><UploadId>u-5</UploadId></InitiateMultipartUploadResult>"
        let part = Fault.ok(body: "", headers: ["ETag": "\"p\""])
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([.ok(body: initiate), part, part, .error(status: 400, code: "EntityTooSmall")],
                                      otherwise: .ok(body: ""), format: .xml) { server in
                let s3 = Self.s3(server, transport: transport)
                let chunks = AsyncThrowingStream<Data, any Error> { continuation in
                    continuation.yield(Data(repeating: 1, count: 6 << 20))
                    continuation.finish()
                }
                let error = try await #require(throws: AWSError.self) {
                    try await s3.upload(bucket: "b", key: "big", from: chunks, partSize: S3.minimumPartSize)
                }
                #expect(error.code == "EntityTooSmall")
                #expect(server.requests.map(\.method) == ["POST", "PUT", "PUT", "POST", "DELETE"])
            }
        }
    }

    @Test("CompleteMultipartUpload: a 200 with a transient <Error> is retried, never taken for success")
    func completeWithErrorBody() async throws {
        let internalError = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
            + "<Message>We encountered an internal error. Please try again.</Message><RequestId>R9</RequestId></Error>"
        let done = "<CompleteMultipartUploadResult><Key>k</Key><ETag>&quot;abc-1&quot;</ETag></CompleteMultipartUploadResult>"
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([.ok(body: internalError), .ok(body: done)], format: .xml) { server in
                let s3 = Self.s3(server, transport: transport)
                let output = try await s3.completeMultipartUpload(bucket: "b", key: "k", uploadId: "u",
                                                                  parts: [.init(partNumber: 1, eTag: "\"p1\"")])
                #expect(output.eTag == "\"abc-1\"")
                #expect(server.requestCount == 2)
                let body = String(decoding: server.requests[0].body, as: UTF8.self)
                #expect(body.contains("<Part><PartNumber>1</PartNumber><ETag>&quot;p1&quot;</ETag></Part>"))
            }
            let invalidPart = "<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message></Error>"
            try await withFaultServer([], otherwise: .ok(body: invalidPart), format: .xml) { server in
                let s3 = Self.s3(server, transport: transport)
                let error = try await #require(throws: AWSError.self) {
                    try await s3.completeMultipartUpload(bucket: "b", key: "k", uploadId: "u",
                                                         parts: [.init(partNumber: 1, eTag: "\"p1\"")])
                }
                #expect(error.code == "InvalidPart")
                #expect(server.requestCount == 1)
            }
        }
    }

    @Test("S3 throttling (503 SlowDown) and resets are retried")
    func s3Retries() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([.error(status: 503, code: "SlowDown"), .reset], otherwise: .ok(body: "object"),
                                      format: .xml) { server in
                let s3 = Self.s3(server, transport: transport)
                let object = try await s3.getObject(bucket: "b", key: "k")
                #expect(object == Data("object".utf8))
                #expect(server.requestCount == 3)
            }
        }
    }

    @Test("an empty bucket or key is refused before anything is sent")
    func emptyNames() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([]) { server in
                let s3 = Self.s3(server, transport: transport)
                await #expect(throws: AWSConfigurationError.self) { try await s3.getObject(bucket: "", key: "k") }
                await #expect(throws: AWSConfigurationError.self) {
                    try await s3.putObject(bucket: "b", key: "", body: Data())
                }
                #expect(server.requestCount == 0)
            }
        }
    }

    @Test("HEAD errors have no body: 404 becomes NotFound with the request id")
    func headNotFound() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withFaultServer([.status(404)], format: .xml) { server in
                let s3 = Self.s3(server, transport: transport)
                let error = try await #require(throws: AWSError.self) { try await s3.headObject(bucket: "b", key: "k") }
                #expect(error.code == "NotFound")
                #expect(error.statusCode == 404)
                #expect(error.requestId == "fault-request-1")
                #expect(server.requests.first?.method == "HEAD")
            }
        }
    }
}
