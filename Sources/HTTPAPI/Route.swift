/// The resources the API serves.
enum Route: Sendable, Hashable {
    /// `/users`
    case users
    /// `/users/{id}` (the id percent-decoded).
    case user(id: String)
    /// `/openapi.json`: the API's own OpenAPI document (not a JSON:API resource).
    case openAPIDocument

    /// The methods each route supports, for `Allow`.
    var allowedMethods: [String] {
        switch self {
        case .users: return ["GET", "POST"]
        case .user, .openAPIDocument: return ["GET"]
        }
    }

    /// Matches a percent-encoded path, ignoring a trailing slash and the `prefix` path the
    /// API is mounted under; `nil` for any other path.
    init?(path: String, prefix: String) {
        var path = path
        if !prefix.isEmpty, path == prefix || path.hasPrefix(prefix + "/") {
            path.removeFirst(prefix.count)
        }
        if path.hasSuffix("/") { path.removeLast() }
        guard path.hasPrefix("/") else { return nil }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if segments == ["openapi.json"] {
            self = .openAPIDocument
            return
        }
        guard segments.first == "users" else { return nil }
        switch segments.count {
        case 1:
            self = .users
        case 2:
            guard let id = PercentEncoding.decode(segments[1]), !id.isEmpty else { return nil }
            self = .user(id: id)
        default:
            return nil
        }
    }
}
