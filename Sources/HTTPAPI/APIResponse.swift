import Foundation

/// An HTTP response from the API handlers, ready for any transport to write.
public struct APIResponse: Sendable {
    /// The HTTP status code, e.g. `201`.
    public var status: Int
    /// Header fields in order, e.g. `("Content-Type", "application/vnd.api+json")`.
    public var headers: [(name: String, value: String)]
    /// The body: always a JSON:API document.
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}
