import Foundation

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

/// Sends HTTP exchanges. ``HTTP1Transport`` in production; tests use the same over loopback.
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

extension URL {
    /// `host:port`, the port always written (80 or 443 when the URL has none).
    var hostAndPort: String { "\(host ?? "?"):\(port ?? (scheme == "https" ? 443 : 80))" }
}

