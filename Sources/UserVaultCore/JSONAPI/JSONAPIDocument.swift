import Foundation

/// JSON:API 1.0 documents for users. Only allow-listed attributes can be encoded: the types
/// here are built from ``UserSummary``, which has no credentials.
public enum JSONAPI {
    /// `application/vnd.api+json`
    public static let mediaType = "application/vnd.api+json"
    static let version = ["version": "1.0"]

    /// One user resource object.
    public struct UserResource: Encodable, Sendable {
        public var type = userItemType
        public var id: String
        public var attributes: UserAttributes
        public var links: [String: String]?

        public init(_ user: UserSummary, basePath: String? = nil) {
            self.id = user.id
            self.attributes = user.attributes
            self.links = basePath.map { ["self": "\($0)/users/\(user.id)"] }
        }
    }

    struct SingleDocument: Encodable {
        var jsonapi = JSONAPI.version
        var data: UserResource
        var links: [String: String]
    }

    struct CollectionDocument: Encodable {
        var jsonapi = JSONAPI.version
        var data: [UserResource]
        var links: [String: String]
        var meta: [String: Int]
    }

    struct ErrorsDocument: Encodable {
        var jsonapi = JSONAPI.version
        var errors: [ErrorObject]
    }

    /// A JSON:API error object. `detail` never echoes a submitted value.
    public struct ErrorObject: Encodable, Sendable, Hashable {
        public struct Source: Encodable, Sendable, Hashable {
            public var pointer: String?
            public var parameter: String?
        }

        public var status: String
        public var code: String
        public var title: String
        public var detail: String?
        public var source: Source?

        public init(status: Int, code: String, title: String, detail: String? = nil, pointer: String? = nil,
                    parameter: String? = nil) {
            self.status = String(status)
            self.code = code
            self.title = title
            self.detail = detail
            self.source = (pointer == nil && parameter == nil) ? nil : Source(pointer: pointer, parameter: parameter)
        }
    }

    private static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Our own types always encode; a failure here is a programmer error.
        return try! encoder.encode(value)
    }

    /// `{"jsonapi":…, "data": {user}, "links": {"self": …}}`
    public static func userDocument(_ user: UserSummary, basePath: String) -> Data {
        encode(SingleDocument(data: UserResource(user, basePath: basePath), links: ["self": "\(basePath)/users/\(user.id)"]))
    }

    /// A page of users with `links.self` and, unless last, `links.next`.
    public static func collectionDocument(_ users: [UserSummary], selfLink: String, nextLink: String?, basePath: String) -> Data {
        var links = ["self": selfLink]
        links["next"] = nextLink
        return encode(CollectionDocument(
            data: users.map { UserResource($0, basePath: basePath) }, links: links, meta: ["count": users.count]))
    }

    public static func errorDocument(_ errors: [ErrorObject]) -> Data {
        encode(ErrorsDocument(errors: errors))
    }
}
