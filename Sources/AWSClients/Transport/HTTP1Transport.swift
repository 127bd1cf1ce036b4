import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// HTTP/1.1 over SwiftNIO, as AWS endpoints speak it: pooled keep-alive connections per origin,
/// TLS for `https`, one deadline per request, bounded answers.
///
/// Each request leases a connection from its origin's ``HTTPConnectionPool``, writes its head
/// and body as one buffer (``HTTP1Codec``), and gets the whole answer back through
/// ``HTTPExchangeHandler``. This is all the request path does: no per-request tasks, streams or
/// redirects, which is why it replaced AsyncHTTPClient here (its request path was about half of
/// a KMS request's client CPU in the audit's profile).
///
/// A refused connection fails the request at once, as in the AWS SDKs; the retry strategy
/// decides whether to try again.
public final class HTTP1Transport: HTTPTransport {
    /// Tunables; every parameter has a default.
    public struct Configuration: Sendable {
        public var connectTimeout: Duration
        /// Open connections per origin; requests beyond it wait for one to free up.
        public var connectionsPerHost: Int
        /// A connection idle this long is closed rather than reused.
        public var idleTimeout: Duration
        /// A response body larger than this is an error (AWS answers are small; S3 objects are streamed elsewhere).
        public var maxResponseBytes: Int
        /// A PEM file of certificates trusted beside the system's (`AWS_CA_BUNDLE`).
        public var caBundle: String?

        public init(connectTimeout: Duration = .seconds(5), connectionsPerHost: Int = 64, idleTimeout: Duration = .seconds(50),
                    maxResponseBytes: Int = 64 << 20, caBundle: String? = nil) {
            self.connectTimeout = connectTimeout
            self.connectionsPerHost = connectionsPerHost
            self.idleTimeout = idleTimeout
            self.maxResponseBytes = maxResponseBytes
            self.caBundle = caBundle
        }
    }

    private struct Origin: Hashable {
        var secure: Bool
        var host: String
        var port: Int
    }

    let configuration: Configuration
    private let group: any EventLoopGroup
    private let tls: NIOSSLContext
    /// The pools by origin; `nil` once shut down.
    private let pools = NIOLockedValueBox<[Origin: HTTPConnectionPool]?>([:])

    /// Prefer ``withTransport(configuration:_:)``, which always shuts the transport down.
    /// - Throws: when the CA bundle cannot be read.
    public init(configuration: Configuration = .init()) throws {
        self.configuration = configuration
        group = MultiThreadedEventLoopGroup.singleton
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if let caBundle = configuration.caBundle {
            tlsConfiguration.additionalTrustRoots = [.file(caBundle)]
        }
        do {
            tls = try NIOSSLContext(configuration: tlsConfiguration)
        } catch {
            throw TransportFailure(isTimeout: false, description: "TLS set-up (CA bundle \(configuration.caBundle ?? "none")): \(error)")
        }
    }

    /// Runs `body` with a transport and shuts it down afterwards, whatever happens.
    public static func withTransport<Result: Sendable>(
        configuration: Configuration = .init(), _ body: (HTTP1Transport) async throws -> Result
    ) async throws -> Result {
        let transport = try HTTP1Transport(configuration: configuration)
        do {
            let result = try await body(transport)
            try await transport.shutdown()
            return result
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }

    /// Closes the idle connections; requests still waiting for one fail.
    public func shutdown() async throws {
        let pools = pools.withLockedValue { pools in
            defer { pools = nil }
            return pools.map { Array($0.values) } ?? []
        }
        for channel in pools.flatMap({ $0.shutdown() }) {
            try? await channel.close()
        }
    }

    public func send(_ exchange: HTTPExchange, timeout: Duration) async throws -> HTTPReply {
        guard let scheme = exchange.url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = exchange.url.host, !host.isEmpty
        else {
            throw TransportFailure(isTimeout: false, description: "not an http(s) URL: \(exchange.url.absoluteString)")
        }
        let secure = scheme == "https"
        let origin = Origin(secure: secure, host: host, port: exchange.url.port ?? (secure ? 443 : 80))
        let pool = try pool(for: origin)
        let channel: any Channel
        switch try await pool.lease() {
        case .idle(let idle):
            channel = idle
        case .connect:
            do {
                channel = try await connect(to: origin, timeout: timeout)
            } catch {
                pool.connectFailed()
                throw Self.failure(error, connectingTo: exchange.url)
            }
        }
        do {
            let answer = try await run(exchange, on: channel, timeout: timeout)
            pool.release(channel, reusable: answer.reusable)
            return HTTPReply(status: answer.status, headers: answer.headers, body: answer.body.withUnsafeReadableBytes { Data($0) })
        } catch {
            pool.release(channel, reusable: false)
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    /// - Throws: after ``shutdown()``: a request then would open connections nobody closes.
    private func pool(for origin: Origin) throws -> HTTPConnectionPool {
        try pools.withLockedValue { pools in
            guard pools != nil else { throw TransportFailure(isTimeout: false, description: "the HTTP transport is shut down") }
            if let pool = pools?[origin] { return pool }
            let pool = HTTPConnectionPool(limit: configuration.connectionsPerHost,
                                          idleTimeout: TimeAmount(configuration.idleTimeout))
            pools?[origin] = pool
            return pool
        }
    }

    private func connect(to origin: Origin, timeout: Duration) async throws -> any Channel {
        // An address (IMDS at 169.254.169.254, the container endpoint, loopback) is connected to
        // directly: `connect(host:)` would send even an address through getaddrinfo on a dispatch
        // queue, and on a busy machine that hop alone outlasted a 0.3 s metadata timeout, so the
        // attempt failed without a request (seen in a full test run). Names are resolved as usual.
        let address = try? SocketAddress(ipAddress: origin.host, port: origin.port)
        let tls = origin.secure ? self.tls : nil
        // SNI names a host, never an address.
        let serverName = origin.secure && address == nil ? origin.host : nil
        let maxResponseBytes = configuration.maxResponseBytes
        // On the calling task's event loop when there is one, where the pool will look for it first.
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.currentEventLoop ?? group)
            .connectTimeout(TimeAmount(min(configuration.connectTimeout, timeout)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try pipeline.addHandler(HTTPExchangeHandler(maxResponseBytes: maxResponseBytes))
                }
            }
        if let address { return try await bootstrap.connect(to: address).get() }
        return try await bootstrap.connect(host: origin.host, port: origin.port).get()
    }

    private func run(_ exchange: HTTPExchange, on channel: any Channel, timeout: Duration) async throws
        -> HTTPExchangeHandler.Answer
    {
        let hasBody = !exchange.body.isEmpty || exchange.method == "POST" || exchange.method == "PUT"
        var target = exchange.url.path(percentEncoded: true)
        if target.isEmpty { target = "/" }
        if let query = exchange.url.query(percentEncoded: true) { target += "?" + query }
        guard HTTP1Codec.isFieldName(exchange.method) else { throw UnsendableHeader(name: ":method") }
        let request = try HTTP1Codec.request(method: exchange.method, target: target, headers: exchange.headers,
                                             body: hasBody ? exchange.body : nil, allocator: channel.allocator)
        let answer = channel.eventLoop.makePromise(of: HTTPExchangeHandler.Answer.self)
        let pending = HTTPExchangeHandler.Pending(request: request, isHead: exchange.method == "HEAD",
                                                  timeout: TimeAmount(timeout), answer: answer)
        return try await withTaskCancellationHandler {
            let written = channel.eventLoop.makePromise(of: Void.self)
            // A write that never reaches the handler (the connection closed meanwhile) ends the exchange too.
            written.futureResult.whenFailure { error in
                answer.fail(TransportFailure(isTimeout: false, description: "the request could not be sent: \(error)"))
            }
            channel.writeAndFlush(pending, promise: written)
            return try await answer.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// A connection failure as the retry strategy reads it.
    private static func failure(_ error: any Error, connectingTo url: URL) -> any Error {
        if error is CancellationError { return error }
        if isConnectionRefused(error) {
            return TransportFailure(isTimeout: false, description: "connection refused by \(url.hostAndPort)",
                                    isConnectionRefused: true)
        }
        if case ChannelError.connectTimeout = error {
            return TransportFailure(isTimeout: true, description: "no connection to \(url.hostAndPort) in time")
        }
        return TransportFailure(isTimeout: false, description: "cannot connect to \(url.hostAndPort): \(error)")
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

/// A header this transport refuses to send (a control character in its name or value): not a
/// network failure, so never retried. The value is not repeated; it may be a secret.
public struct UnsendableHeader: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var description: String { "the header \(name.debugDescription) holds a character HTTP cannot carry; not sent" }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
