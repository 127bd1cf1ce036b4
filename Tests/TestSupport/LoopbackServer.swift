import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPAPI
import Logging

/// Runs the real ``APIServer`` on `127.0.0.1`, port 0, for the duration of `body`, then stops it.
///
/// ```swift
/// try await withLoopbackServer(api: UsersAPI(service: service)) { client in
///     let response = try await client.send("GET", "/users")
///     #expect(response.status == 200)
/// }
/// ```
public func withLoopbackServer<Result>(
    api: UsersAPI,
    logger: Logger = Logger(label: "uservault.test.server", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (LoopbackClient) async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        group.addTask {
            defer { continuation.finish() }
            try await APIServer.run(api: api, host: "127.0.0.1", port: 0, logger: logger) { port in
                continuation.yield(port)
            }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            // The server stopped before it was ready: surface its error.
            try await group.next()
            throw LoopbackError(description: "the server stopped before it was ready")
        }
        let client = LoopbackClient(port: port)
        defer { client.invalidate() }
        do {
            let result = try await body(client)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// A failure of the loopback helpers themselves.
public struct LoopbackError: Error, CustomStringConvertible {
    public var description: String
}

/// One HTTP response as the loopback client received it.
public struct LoopbackResponse: Sendable {
    public var method: String
    public var target: String
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object, or `nil`.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}

/// A tiny HTTP client bound to one loopback server: every request goes to
/// `http://127.0.0.1:<port>`, and every response is recorded for later checks
/// (JSON:API schema, no secrets).
public final class LoopbackClient: Sendable {
    public let port: Int
    public let baseURL: String
    private let session: URLSession
    private let recorder = Recorder()

    public init(port: Int) {
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)"
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 16
        self.session = URLSession(configuration: configuration)
    }

    /// Sends one request. `target` is a path with an optional query, as in a request line or
    /// a root-relative link (`/users?page%5Bsize%5D=7`).
    ///
    /// With `streaming`, the body is sent from a stream, without `Content-Length` (chunked).
    public func send(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: Data? = nil, streaming: Bool = false
    ) async throws -> LoopbackResponse {
        guard target.hasPrefix("/"), let url = URL(string: baseURL + target) else {
            throw LoopbackError(description: "not a root-relative target: \(target.prefix(100))")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.addValue(value, forHTTPHeaderField: name) }
        if streaming, let body {
            request.httpBodyStream = InputStream(data: body)
        } else {
            request.httpBody = body
        }
        let (data, urlResponse) = try await session.data(for: request)
        guard let http = urlResponse as? HTTPURLResponse else {
            throw LoopbackError(description: "not an HTTP response")
        }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        let response = LoopbackResponse(method: method, target: target, status: http.statusCode, headers: fields, body: data)
        recorder.append(response)
        return response
    }

    /// Sends a JSON body (`Content-Type: application/vnd.api+json` unless `headers` says otherwise).
    public func send(
        _ method: String, _ target: String, json: Any, headers: [(String, String)] = []
    ) async throws -> LoopbackResponse {
        let body = try JSONSerialization.data(withJSONObject: json)
        var headers = headers
        if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/vnd.api+json"))
        }
        return try await send(method, target, headers: headers, body: body)
    }

    /// Every response received so far, in order of arrival.
    public var responses: [LoopbackResponse] { recorder.all }

    public func invalidate() { session.finishTasksAndInvalidate() }

    private final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var responses: [LoopbackResponse] = []

        func append(_ response: LoopbackResponse) { lock.withLock { responses.append(response) } }
        var all: [LoopbackResponse] { lock.withLock { responses } }
    }
}
