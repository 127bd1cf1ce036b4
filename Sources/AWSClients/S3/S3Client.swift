import AWSSigning
import Foundation

/// Amazon S3 over its REST-XML protocol, with path-style URLs (`<endpoint>/<bucket>/<key>`), so
/// it works the same against AWS, moto_server, LocalStack and any custom endpoint.
///
/// ```swift
/// let s3 = S3Client(AWSServiceClient(service: .s3, endpoint: endpoint, region: "eu-west-1",
///                                    credentials: credentials, transport: transport, logger: logger))
/// try await s3.putObject(bucket: "exports", key: "2024/users.json", body: data, serverSideEncryption: .aes256)
/// let same = try await s3.getObject(bucket: "exports", key: "2024/users.json")
/// ```
///
/// Large objects go up with ``upload(bucket:key:from:partSize:contentType:serverSideEncryption:concurrency:)``
/// and come down with ``downloadObject(bucket:key:to:partSize:)``, one part at a time.
///
/// Errors are ``AWSError``s with S3's code (`NoSuchBucket`, `NoSuchKey`, …), HTTP status and
/// request id (`x-amz-request-id`); they never hold an object's bytes. An empty bucket name or
/// key throws ``AWSConfigurationError`` before anything is sent.
///
/// - Warning: Requests are retried under the client's ``RetryStrategy``; every operation here is
///   idempotent, so a retried `PUT` rewrites the same bytes.
public struct S3Client: Sendable {
    public let client: AWSServiceClient

    /// - Precondition: `client.service` is ``AWSService/s3``.
    public init(_ client: AWSServiceClient) {
        precondition(client.service.isS3, "S3Client needs an AWSServiceClient for AWSService.s3")
        self.client = client
    }

    // MARK: Objects

    /// [PutObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html): one request,
    /// the whole body in memory. For large objects use
    /// ``upload(bucket:key:from:partSize:contentType:serverSideEncryption:concurrency:)``.
    @discardableResult
    public func putObject(bucket: String, key: String, body: Data, contentType: String? = nil,
                          serverSideEncryption: S3.ServerSideEncryption? = nil) async throws -> S3.PutObjectOutput {
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append((name: "Content-Type", value: contentType)) }
        headers += serverSideEncryption?.headers ?? []
        let reply = try await send("PutObject", method: "PUT", bucket: bucket, key: key, headers: headers, body: body)
        return Self.putOutput(reply)
    }

    /// [GetObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html): the whole
    /// object in memory.
    ///
    /// - Warning: The transport bounds a response body (64 MiB by default); larger objects fail.
    ///   Use ``downloadObject(bucket:key:to:partSize:)`` for them.
    public func getObject(bucket: String, key: String) async throws -> Data {
        try await send("GetObject", method: "GET", bucket: bucket, key: key).body
    }

    /// [GetObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html) of the
    /// bytes `range`, only while the object's entity tag is still `ifMatch` (when given).
    public func getObject(bucket: String, key: String, range: ClosedRange<Int>, ifMatch: String? = nil) async throws -> Data {
        var headers = [(name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound)")]
        if let ifMatch { headers.append((name: "If-Match", value: ifMatch)) }
        let reply = try await send("GetObject", method: "GET", bucket: bucket, key: key, headers: headers)
        let body = reply.body
        if reply.status == 206 {
            guard body.count == range.count else {
                throw AWSError.invalidResponse(client.service.name, "GetObject",
                                               "expected \(range.count) bytes of the range, got \(body.count)",
                                               statusCode: reply.status, requestId: Self.requestId(reply))
            }
            return body
        }
        // A server that ignores `Range` answers 200 with the whole object.
        guard body.count > range.lowerBound else {
            throw AWSError.invalidResponse(client.service.name, "GetObject", "the range lies beyond the object",
                                           statusCode: reply.status, requestId: Self.requestId(reply))
        }
        return Data(body[body.startIndex + range.lowerBound ..< body.startIndex + min(body.count, range.upperBound + 1)])
    }

    /// [HeadObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html): size,
    /// entity tag, encryption and user metadata, without the body.
    ///
    /// A missing object or bucket throws an ``AWSError`` with code `NotFound` (a `HEAD` answer
    /// has no body to say which).
    public func headObject(bucket: String, key: String) async throws -> S3.ObjectMetadata {
        do {
            let reply = try await send("HeadObject", method: "HEAD", bucket: bucket, key: key)
            return S3.ObjectMetadata(reply: reply)
        } catch var error as AWSError where error.isServiceError && error.code == nil && error.statusCode == 404 {
            error.code = "NotFound"
            throw error
        }
    }

    /// [DeleteObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html).
    /// Deleting a missing key succeeds, as in S3.
    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await send("DeleteObject", method: "DELETE", bucket: bucket, key: key)
    }

    // MARK: Buckets

    /// [CreateBucket](https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html) in the
    /// client's region (tests and tooling; the product's buckets come from the infrastructure template).
    public func createBucket(_ bucket: String) async throws {
        var body = Data()
        if client.region != "us-east-1" {
            body = Data("""
                <CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\
                <LocationConstraint>\(XMLElementTree.escape(client.region))</LocationConstraint></CreateBucketConfiguration>
                """.utf8)
        }
        _ = try await send("CreateBucket", method: "PUT", bucket: bucket, key: nil, body: body)
    }

    // MARK: Plumbing

    /// One request to `/<bucket>[/<key>]`.
    func send(_ operation: String, method: String, bucket: String, key: String?,
              query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [],
              body: Data = Data()) async throws -> HTTPReply {
        guard !bucket.isEmpty else { throw AWSConfigurationError("an S3 bucket name cannot be empty") }
        guard key.map({ !$0.isEmpty }) ?? true else { throw AWSConfigurationError("an S3 object key cannot be empty") }
        return try await client.send(AWSServiceClient.Request(
            operation: operation, method: method, path: S3URI.path(bucket: bucket, key: key),
            query: query.map { (name: URIEncoding.encode($0.name), value: URIEncoding.encode($0.value)) },
            headers: headers, body: body))
    }

    static func putOutput(_ reply: HTTPReply) -> S3.PutObjectOutput {
        S3.PutObjectOutput(
            eTag: reply.header("ETag"), versionId: reply.header("x-amz-version-id"),
            serverSideEncryption: S3.ServerSideEncryption(
                header: reply.header("x-amz-server-side-encryption"),
                keyId: reply.header("x-amz-server-side-encryption-aws-kms-key-id")))
    }

    static func requestId(_ reply: HTTPReply) -> String? {
        reply.header("x-amz-request-id") ?? reply.header("x-amzn-RequestId")
    }
}
