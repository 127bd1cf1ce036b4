import AWSBackend
import AWSClients
import AWSSigning
import Foundation
import Logging
import UserVaultCore

/// The AWS backend (DynamoDB + KMS clients, the core's ports over them) aimed at a moto server.
public struct MotoBackend: Sendable {
    public let dynamo: DynamoDBClient
    public let kms: KMSClient
    public let table: DynamoDBUserTable
    public let keys: KMSKeyService
    public let service: UserService

    /// - Parameter tableName: a fresh name per test keeps tests on one moto server apart.
    public init(moto: MotoServer, transport: any HTTPTransport, tableName: String = "users",
                logger: Logger = Logger(label: "uservault.test.aws", factory: { _ in SwiftLogNoOpLogHandler() }),
                retry: RetryStrategy = .standard(maxAttempts: 8)) {
        let credentials = StaticCredentialProvider(
            AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing-secret", sessionToken: nil, expiration: nil))
        func client(_ service: AWSService) -> AWSServiceClient {
            AWSServiceClient(service: service, endpoint: URL(string: moto.endpoint)!, region: MotoServer.region,
                             credentials: credentials, transport: transport, retry: retry, logger: logger)
        }
        dynamo = DynamoDBClient(client(.dynamoDB))
        kms = KMSClient(client(.kms))
        table = DynamoDBUserTable(dynamo: dynamo, tableName: tableName)
        keys = KMSKeyService(kms: kms, tagging: ResourceGroupsTaggingClient(client(.tagging)))
        service = UserService(table: table, keys: keys, cursors: PageCursorCodec(secret: Data(repeating: 42, count: 32)))
    }
}

/// Runs the boto3 fixture script (`Fixtures/original_service.py`) against moto: it writes and
/// reads records the way the original Node.js service did.
public func runOriginalServiceFixture(_ arguments: [String], moto: MotoServer) async throws -> (status: Int32, output: String) {
    try await runFixtureScript("original_service.py", arguments, moto: moto)
}

/// Runs `Fixtures/dynamodb_export.py` against moto: exports in AWS's documented layout (manifests,
/// several data files), moto's own export completed into that layout, varied items, tampering.
/// Returns its exit status and output (stdout, then stderr).
public func runExportFixture(_ arguments: [String], moto: MotoServer) async throws -> (status: Int32, output: String) {
    try await runFixtureScript("dynamodb_export.py", arguments, moto: moto)
}

/// `python3 Fixtures/<script> ARGUMENTS` with moto's environment (and none of the caller's `AWS_*`).
func runFixtureScript(_ script: String, _ arguments: [String], moto: MotoServer) async throws -> (status: Int32, output: String) {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + script)
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
    environment.merge(moto.environment) { $1 }
    let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", path.path] + arguments,
                                           environment: environment)
    return (result.status, String(decoding: result.stdout + result.stderr, as: UTF8.self))
}
