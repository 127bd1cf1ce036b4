import AWSClients
import AWSSigning
import Foundation
import Testing
import TestSupport

/// Signatures checked by a stand-in that recomputes them with botocore (moto checks none).
@Suite("Signature problems against a signature-checking server")
struct AWSErrorSignatureTests {
    static let secret = "right-secret/with+odd=chars"

    static func client(_ service: AWSService, endpoint: URL, secret: String, sessionToken: String? = nil,
                       transport: any HTTPTransport, now: @escaping @Sendable () -> Date = { Date() }) -> AWSServiceClient {
        AWSServiceClient(
            service: service, endpoint: endpoint, region: SignatureCheckingServer.region,
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyId: "AKIDSIGCHECK", secretAccessKey: secret,
                                                                 sessionToken: sessionToken)),
            transport: transport, retry: .withoutJitter(maxAttempts: 3), logger: .silent, now: now)
    }

    @Test("the right secret is accepted (DynamoDB, KMS, with and without a session token)")
    func rightSecret() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await SignatureCheckingServer.withServer(secret: Self.secret) { server in
                let dynamo = DynamoDBClient(Self.client(.dynamoDB, endpoint: server.endpoint, secret: Self.secret,
                                                        transport: transport))
                let table = try await dynamo.describeTable("users")
                #expect(table?.TableStatus == "ACTIVE")
                let kms = KMSClient(Self.client(.kms, endpoint: server.endpoint, secret: Self.secret,
                                                sessionToken: "session/token+=", transport: transport))
                for try await page in kms.listKeysPages() { #expect(page.Keys?.isEmpty == true) }
                let records = server.requests
                #expect(records.count == 2)
                #expect(records.allSatisfy { $0.valid })
                #expect(records.map(\.operation) == ["DescribeTable", "ListKeys"])
            }
        }
    }

    @Test("a wrong secret: InvalidSignatureException, a signature problem, never retried")
    func wrongSecret() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await SignatureCheckingServer.withServer(secret: Self.secret) { server in
                let kms = KMSClient(Self.client(.kms, endpoint: server.endpoint, secret: "wrong-secret", transport: transport))
                let error = try await #require(throws: AWSError.self) {
                    try await kms.describeKey(keyId: "alias/users")
                }
                #expect(error.code == "InvalidSignatureException")
                #expect(error.isSignatureProblem)
                #expect(error.statusCode == 400)
                #expect(error.attempts == 1)
                #expect(error.message?.contains("does not match") == true)
                #expect(!"\(error)".contains("wrong-secret"))
                #expect(server.requests.count == 1)
                #expect(server.requests.first?.valid == false)
            }
        }
    }

    @Test("the endpoint-only helper: right and wrong secrets against one server")
    func endpointHelper() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await withSignatureCheckingServer(secret: Self.secret) { endpoint in
                let right = DynamoDBClient(Self.client(.dynamoDB, endpoint: endpoint, secret: Self.secret, transport: transport))
                _ = try await right.describeTable("users")
                let wrong = DynamoDBClient(Self.client(.dynamoDB, endpoint: endpoint, secret: "nope", transport: transport))
                let error = try await #require(throws: AWSError.self) { try await wrong.describeTable("users") }
                #expect(error.isSignatureProblem)
            }
        }
    }

    @Test("a clock 20 minutes off: the signature is refused as expired")
    func clockSkew() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await SignatureCheckingServer.withServer(secret: Self.secret) { server in
                let kms = KMSClient(Self.client(.kms, endpoint: server.endpoint, secret: Self.secret, transport: transport,
                                                now: { Date().addingTimeInterval(-20 * 60) }))
                let error = try await #require(throws: AWSError.self) { try await kms.describeKey(keyId: "k") }
                #expect(error.code == "InvalidSignatureException")
                #expect(error.isSignatureProblem)
                #expect(error.message == "Signature expired")
                #expect(server.requests.count == 1)
            }
        }
    }

    @Test("S3 paths are signed as sent: keys with spaces, unicode and reserved characters", arguments: [
        "plain.txt", "with space/and+plus.json", "unicode/résumé 日本語.txt", "reserved/a=b&c;d,e:f@g$h!i'(j)*k",
        "percent%20literal", "tilde~/dots/../x", "double//slash",
    ])
    func s3Keys(key: String) async throws {
        try await HTTP1Transport.withTransport { transport in
            try await SignatureCheckingServer.withServer(secret: Self.secret) { server in
                let s3 = S3Client(Self.client(.s3, endpoint: server.endpoint, secret: Self.secret, transport: transport))
                try await s3.putObject(bucket: "bucket", key: key, body: Data("hello".utf8), contentType: "text/plain",
                                       serverSideEncryption: .kms(keyId: "alias/exports"))
                _ = try await s3.getObject(bucket: "bucket", key: key)
                let records = server.requests
                #expect(records.count == 2)
                #expect(records.allSatisfy { $0.valid }, "\(records.compactMap(\.reason))")
                let wrong = S3Client(Self.client(.s3, endpoint: server.endpoint, secret: "wrong", transport: transport))
                let error = try await #require(throws: AWSError.self) { try await wrong.getObject(bucket: "bucket", key: key) }
                #expect(error.code == "SignatureDoesNotMatch")
                #expect(error.statusCode == 403)
                #expect(error.isSignatureProblem)
                #expect(error.attempts == 1)
            }
        }
    }

    @Test("S3 multipart queries (?uploads, ?partNumber=&uploadId=) are signed right")
    func s3Queries() async throws {
        try await HTTP1Transport.withTransport { transport in
            try await SignatureCheckingServer.withServer(secret: Self.secret) { server in
                let s3 = S3Client(Self.client(.s3, endpoint: server.endpoint, secret: Self.secret, transport: transport))
                let uploadId = try await s3.createMultipartUpload(bucket: "bucket", key: "big file.bin")
                #expect(uploadId == "sigcheck-upload")
                let eTag = try await s3.uploadPart(bucket: "bucket", key: "big file.bin", uploadId: "id/with+odd=chars",
                                                   partNumber: 1, body: Data(repeating: 7, count: 1024))
                #expect(eTag == "\"sigcheck\"")
                try await s3.abortMultipartUpload(bucket: "bucket", key: "big file.bin", uploadId: "id/with+odd=chars")
                _ = try await s3.listMultipartUploads(bucket: "bucket", prefix: "big file")
                let records = server.requests
                #expect(records.count == 4)
                #expect(records.allSatisfy { $0.valid }, "\(records.compactMap(\.reason))")
            }
        }
    }
}
