import Foundation
import Hummingbird
import Logging
import Synchronization

/// A loopback stand-in for the endpoints credential providers call: the ECS/EKS container
/// credentials endpoint and the EC2 instance metadata service (IMDSv2). It answers through a
/// handler and records every request, so tests can check the headers a provider sent.
///
/// ```swift
/// try await withCredentialEndpointServer(handler: CredentialEndpointBehaviour.instanceMetadata(
///     token: "t0k3n", role: "app-role", credentials: fixture)) { server in
///     let environment = ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint]
///     // ...
///     #expect(server.requests.count == 3)
/// }
/// ```
public final class CredentialEndpointServer: Sendable {
    public let port: Int
    /// `http://127.0.0.1:<port>`
    public let endpoint: String
    private let log: SharedLog

    fileprivate init(port: Int, log: SharedLog) {
        self.port = port
        self.endpoint = "http://127.0.0.1:\(port)"
        self.log = log
    }

    /// Every request received so far, in order.
    public var requests: [CredentialEndpointRequest] { log.all }
}

/// One request as the stand-in saw it. Header names are lowercased.
public struct CredentialEndpointRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [String: String]

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// What the stand-in answers.
public struct CredentialEndpointResponse: Sendable {
    public var status: Int
    public var body: String
    public var delay: Duration?

    public init(status: Int = 200, body: String = "", delay: Duration? = nil) {
        self.status = status
        self.body = body
        self.delay = delay
    }
}

/// Credentials a stand-in hands out (plain strings: TestSupport does not depend on AWSClients).
public struct StandInCredentials: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var token: String
    public var expiration: Date

    public init(accessKeyId: String, secretAccessKey: String, token: String, expiration: Date) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.token = token
        self.expiration = expiration
    }

    /// The JSON document container endpoints and IMDS answer with.
    public var json: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let object: [String: String] = [
            "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": accessKeyId, "SecretAccessKey": secretAccessKey,
            "Token": token, "Expiration": formatter.string(from: expiration),
            "LastUpdated": formatter.string(from: Date()),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Canned behaviours of the stand-in.
public enum CredentialEndpointBehaviour {
    /// The container credentials endpoint: `GET path` answers `credentials` when the
    /// `Authorization` header equals `authorization` (or when `authorization` is `nil`), 401
    /// otherwise; anything else is 404.
    public static func container(
        path: String, authorization: String?, credentials: StandInCredentials
    ) -> @Sendable (CredentialEndpointRequest) -> CredentialEndpointResponse {
        { request in
            guard request.method == "GET", request.path == path else { return .init(status: 404, body: "not found") }
            if let authorization, request.header("authorization") != authorization {
                return .init(status: 401, body: #"{"code":"Unauthorized"}"#)
            }
            return .init(body: credentials.json)
        }
    }

    /// IMDSv2: `PUT /latest/api/token` (requires the TTL header) answers `token`; the
    /// security-credentials paths answer `role` and `credentials`, but only with
    /// `X-aws-ec2-metadata-token: token` (401 otherwise, as IMDSv2-only instances do).
    public static func instanceMetadata(
        token: String, role: String, credentials: StandInCredentials
    ) -> @Sendable (CredentialEndpointRequest) -> CredentialEndpointResponse {
        { request in
            if request.path == "/latest/api/token" {
                guard request.method == "PUT" else { return .init(status: 405) }
                guard let ttl = request.header("x-aws-ec2-metadata-token-ttl-seconds"), Int(ttl) != nil else {
                    return .init(status: 400)
                }
                return .init(body: token)
            }
            guard request.header("x-aws-ec2-metadata-token") == token else { return .init(status: 401) }
            switch (request.method, request.path) {
            case ("GET", "/latest/meta-data/iam/security-credentials/"): return .init(body: role)
            case ("GET", "/latest/meta-data/iam/security-credentials/\(role)"): return .init(body: credentials.json)
            default: return .init(status: 404)
            }
        }
    }
}

/// Runs a ``CredentialEndpointServer`` on `127.0.0.1`, port 0, for the duration of `body`.
public func withCredentialEndpointServer<Result>(
    handler: @escaping @Sendable (CredentialEndpointRequest) -> CredentialEndpointResponse,
    _ body: (CredentialEndpointServer) async throws -> Result
) async throws -> Result {
    let log = SharedLog()
    let logger = Logger(label: "uservault.test.credential-endpoint", factory: { _ in SwiftLogNoOpLogHandler() })
    return try await withThrowingTaskGroup(of: Void.self) { group in
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        group.addTask {
            defer { continuation.finish() }
            let app = Application(
                responder: StandInResponder(handler: handler, log: log),
                configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
                logger: logger)
            do {
                try await app.run()
            } catch is CancellationError where Task.isCancelled {
                // Cancellation is how the stand-in is stopped.
            }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await group.next()
            throw LoopbackError(description: "the credential endpoint stand-in stopped before it was ready")
        }
        let server = CredentialEndpointServer(port: port, log: log)
        do {
            let result = try await body(server)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

private final class SharedLog: Sendable {
    private let requests = Mutex<[CredentialEndpointRequest]>([])
    func append(_ request: CredentialEndpointRequest) { requests.withLock { $0.append(request) } }
    var all: [CredentialEndpointRequest] { requests.withLock { $0 } }
}

private struct StandInResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let handler: @Sendable (CredentialEndpointRequest) -> CredentialEndpointResponse
    let log: SharedLog

    func respond(to request: Request, context: Context) async throws -> Response {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.rawName.lowercased()] = field.value }
        let recorded = CredentialEndpointRequest(method: request.method.rawValue, path: request.uri.path, headers: headers)
        log.append(recorded)
        let answer = handler(recorded)
        if let delay = answer.delay { try await Task.sleep(for: delay) }
        return Response(status: .init(code: answer.status),
                        body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
    }
}
