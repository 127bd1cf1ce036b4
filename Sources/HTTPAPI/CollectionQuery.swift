import UserVaultCore

/// The query parameters of `GET /users`: `page[size]`, `page[after]`, `filter[email]`.
///
/// Names may arrive percent-encoded (`page%5Bsize%5D`). Following JSON:API 1.0, an unknown
/// member of the `page` or `filter` families, or any other all-lowercase name (reserved by
/// the specification: `sort`, `include`, ...), is a 400; implementation-specific names (with
/// a character other than `a`–`z`, such as a cache buster `_`) are ignored.
struct CollectionQuery: Sendable, Hashable {
    static let pageSize = "page[size]"
    static let pageAfter = "page[after]"
    static let filterEmail = "filter[email]"

    var pageSize: Int?
    var after: String?
    var email: String?

    init(pageSize: Int? = nil, after: String? = nil, email: String? = nil) {
        self.pageSize = pageSize
        self.after = after
        self.email = email
    }

    /// Parses a raw query string (without `?`).
    static func parse(_ raw: String?, maxPageSize: Int) throws(APIProblem) -> CollectionQuery {
        var query = CollectionQuery()
        var seen: Set<String> = []
        for pair in (raw ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentEncoding.decode(parts[0]) else { throw .malformedQuery }
            guard let value = PercentEncoding.decode(parts.count > 1 ? parts[1] : "") else { throw .malformedQuery }
            if name.isEmpty { continue }
            switch name {
            case pageSize, pageAfter, filterEmail:
                guard seen.insert(name).inserted else { throw .duplicateParameter(name) }
            default:
                let family = name.prefix { $0 != "[" }
                let reserved = !family.isEmpty && family.allSatisfy { ("a"..."z").contains($0) }
                if reserved { throw .unsupportedParameter(name) }
                continue
            }
            switch name {
            case pageSize:
                guard !value.isEmpty, value.count <= 9, value.allSatisfy({ ("0"..."9").contains($0) }),
                      let size = Int(value), (1...maxPageSize).contains(size)
                else { throw .invalidPageSize(max: maxPageSize) }
                query.pageSize = size
            case pageAfter:
                query.after = value
            default:
                query.email = value
            }
        }
        return query
    }

    /// `?page%5Bsize%5D=…&page%5Bafter%5D=…&filter%5Bemail%5D=…` with the members that are set,
    /// or `""` when none is.
    var encoded: String {
        var items: [(String, String)] = []
        if let pageSize { items.append((Self.pageSize, String(pageSize))) }
        if let after { items.append((Self.pageAfter, after)) }
        if let email { items.append((Self.filterEmail, email)) }
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
    }
}
