import Foundation

/// An HTTP request as the API handlers see it, whatever carried it: the local Hummingbird
/// server, or an API Gateway REST (v1) / HTTP API (v2) Lambda event.
///
/// ```swift
/// let request = APIRequest(
///     method: "GET", path: "/users", query: "page%5Bsize%5D=10",
///     headers: [("Accept", "application/vnd.api+json")])
/// let response = await api.handle(request, logger: logger)
/// ```
public struct APIRequest: Sendable {
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// The path, percent-encoded as received, without the query string.
    public var path: String
    /// The raw query string (without `?`), percent-encoded as received; `nil` when absent.
    public var query: String?
    /// The header fields in the order received. Names compare case-insensitively; use
    /// ``header(_:)`` and ``headerValues(_:)``.
    public var headers: [(name: String, value: String)]
    /// The body bytes; `nil` (or empty) when there is none.
    ///
    /// - Warning: may hold a password: never log it.
    public var body: Data?

    public init(
        method: String, path: String, query: String? = nil, headers: [(name: String, value: String)] = [],
        body: Data? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Every value of the header `name` (case-insensitive), in order.
    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && lowercased() == other.lowercased()
    }
}
