import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP exchange, without AWS semantics.
public struct HTTPExchange: Sendable {
    public var method: String
    public var url: URL
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(method: String, url: URL, headers: [(name: String, value: String)], body: Data) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// What came back.
public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Sends HTTP exchanges. ``AsyncHTTPTransport`` in production; tests use the same over loopback.
public protocol HTTPTransport: Sendable {
    /// - Throws: ``TransportFailure`` for a network-level failure.
    func send(_ exchange: HTTPExchange, timeout: Duration) async throws -> HTTPReply
}

/// A network-level failure: the request may or may not have reached the server.
public struct TransportFailure: Error, Sendable, CustomStringConvertible {
    public var isTimeout: Bool
    public var description: String
    /// The server's host refused the connection (nothing listens there): the request never left.
    public var isConnectionRefused = false
}

/// AsyncHTTPClient with connection pooling, connect/read timeouts and bounded response bodies.
///
/// A refused connection fails the request at once, as in the AWS SDKs: AsyncHTTPClient would
/// otherwise keep reconnecting until the connect timeout (`retryConnectionEstablishment`), so
/// a dead endpoint cost the whole timeout per attempt. The retry strategy retries it instead.
public final class AsyncHTTPTransport: HTTPTransport {
    /// Tunables; every parameter has a default.
    public struct Configuration: Sendable {
        public var connectTimeout: Duration
        public var readTimeout: Duration
        /// Pooled HTTP/1.1 connections per host.
        public var connectionsPerHost: Int
        /// A response body larger than this is an error (AWS answers are small; S3 objects are streamed elsewhere).
        public var maxResponseBytes: Int

        public init(connectTimeout: Duration = .seconds(5), readTimeout: Duration = .seconds(30),
                    connectionsPerHost: Int = 64, maxResponseBytes: Int = 64 << 20) {
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.connectionsPerHost = connectionsPerHost
            self.maxResponseBytes = maxResponseBytes
        }
    }

    let client: HTTPClient
    let configuration: Configuration

    /// Prefer ``withTransport(configuration:_:)``, which always shuts the client down.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        var httpConfiguration = HTTPClient.Configuration(
            timeout: .init(connect: .init(configuration.connectTimeout), read: .init(configuration.readTimeout)),
            connectionPool: .init(idleTimeout: .seconds(60),
                                  concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.connectionsPerHost))
        httpConfiguration.decompression = .disabled
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
    }

    /// Runs `body` with a transport and shuts it down afterwards, whatever happens.
    public static func withTransport<Result: Sendable>(
        configuration: Configuration = .init(), _ body: (AsyncHTTPTransport) async throws -> Result
    ) async throws -> Result {
        let transport = AsyncHTTPTransport(configuration: configuration)
        do {
            let result = try await body(transport)
            try await transport.shutdown()
            return result
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }

    public func send(_ exchange: HTTPExchange, timeout: Duration) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: exchange.url.absoluteString)
        request.method = HTTPMethod(rawValue: exchange.method)
        for header in exchange.headers { request.headers.add(name: header.name, value: header.value) }
        if !exchange.body.isEmpty || ["POST", "PUT"].contains(exchange.method) {
            request.body = .bytes(ByteBuffer(bytes: exchange.body))
        }
        do {
            let response = try await client.execute(request, timeout: .init(timeout))
            var body = try await response.body.collect(upTo: configuration.maxResponseBytes)
            let data = body.readData(length: body.readableBytes) ?? Data()
            return HTTPReply(status: Int(response.status.code),
                             headers: response.headers.map { (name: $0.name, value: $0.value) }, body: data)
        } catch let error as HTTPClientError {
            let timedOut = error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
                || error == .writeTimeout
            throw TransportFailure(isTimeout: timedOut, description: "\(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch where Self.isConnectionRefused(error) {
            throw TransportFailure(isTimeout: false, description: "connection refused by \(exchange.url.hostAndPort)",
                                   isConnectionRefused: true)
        } catch {
            throw TransportFailure(isTimeout: false, description: "\(error)")
        }
    }

    /// `ECONNREFUSED` from connecting to an address, or from every address a name resolved to.
    static func isConnectionRefused(_ error: any Error) -> Bool {
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        if let error = error as? NIOConnectionError {
            return !error.connectionErrors.isEmpty && error.connectionErrors.allSatisfy { isConnectionRefused($0.error) }
        }
        return false
    }
}

extension URL {
    /// `host:port`, the port always written (80 or 443 when the URL has none).
    var hostAndPort: String { "\(host ?? "?"):\(port ?? (scheme == "https" ? 443 : 80))" }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension ByteBuffer {
    mutating func readData(length: Int) -> Data? {
        readBytes(length: length).map { Data($0) }
    }
}
