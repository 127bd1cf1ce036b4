import Foundation

/// A loopback stand-in for AWS that checks SigV4 signatures (moto does not): it recomputes each
/// request's signature with botocore and the secret the test configured.
///
/// ```swift
/// try await withSignatureCheckingServer(secret: "right-secret") { endpoint in
///     // a client signing with "right-secret" gets 200; any other secret gets
///     // 400 InvalidSignatureException (403 SignatureDoesNotMatch for S3)
/// }
/// ```
///
/// Right signatures get a minimal valid answer: DynamoDB `DescribeTable` (an `ACTIVE` table),
/// KMS `ListKeys` (no keys), STS `GetCallerIdentity`, `{}` for other JSON calls; for S3 an empty
/// `200` with an `ETag` (and an `UploadId` for `CreateMultipartUpload`). It also refuses a stale `X-Amz-Date` (over 15 minutes off) and an S3 body that does
/// not match `x-amz-content-sha256`. Any access key id is accepted.
///
/// It runs `signature_server.py` (Python 3 with botocore) as a child process that dies with the
/// test process; the secret reaches it through its environment, never its command line.
public final class SignatureCheckingServer: Sendable {
    /// One request as the server judged it.
    public struct Record: Sendable, Decodable {
        public var method: String
        public var path: String
        /// The signing name in the credential scope (`kms`, `dynamodb`, `s3`, `sts`), if parseable.
        public var service: String?
        /// The `X-Amz-Target` operation, if any.
        public var operation: String?
        /// Whether the signature was right.
        public var valid: Bool
        /// Why it was refused.
        public var reason: String?
    }

    private let helper: PythonHelper

    public var port: Int { helper.port }
    /// `http://127.0.0.1:<port>`
    public var endpoint: URL { helper.endpoint }

    /// Moto's region, used by the tests.
    public static let region = "us-east-1"

    private init(helper: PythonHelper) {
        self.helper = helper
    }

    /// Every request judged so far, in order.
    public var requests: [Record] {
        guard let data = try? Data(contentsOf: helper.directory.appendingPathComponent("requests.jsonl")) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONDecoder().decode(Record.self, from: $0) }
    }

    /// Starts a server that accepts signatures made with `secret`. Prefer
    /// ``withSignatureCheckingServer(secret:_:)`` or ``withServer(secret:_:)``.
    public static func start(secret: String) async throws -> SignatureCheckingServer {
        SignatureCheckingServer(helper: try await PythonHelper.start(
            "signature_server.py", label: "sigcheck", environment: ["SIGCHECK_SECRET": secret]
        ) { portFile, directory in [portFile.path, directory.appendingPathComponent("requests.jsonl").path] })
    }

    /// SIGTERM, wait for the PID (without blocking a thread), then remove its files.
    public func stop() async {
        await helper.stop()
    }

    /// Runs `body` with a fresh server, always stopping it afterwards.
    public static func withServer<Result>(secret: String, _ body: (SignatureCheckingServer) async throws -> Result)
        async throws -> Result {
        let server = try await start(secret: secret)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}

/// Runs `body` with the endpoint of a fresh ``SignatureCheckingServer`` that accepts signatures
/// made with `secret`, always stopping it afterwards.
public func withSignatureCheckingServer<Result>(secret: String, _ body: (URL) async throws -> Result) async throws -> Result {
    try await SignatureCheckingServer.withServer(secret: secret) { server in try await body(server.endpoint) }
}
