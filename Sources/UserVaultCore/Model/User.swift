import Foundation

/// The `type` of every user item, as the original service wrote it.
public let userItemType = "users"

/// The public, non-secret attributes of a user: the allow-list every read path projects.
///
/// `credentials` and key ids are deliberately absent: nothing holding a `UserAttributes`
/// can leak them.
public struct UserAttributes: Sendable, Hashable, Codable {
    public var firstname: String
    public var lastname: String
    public var email: String
    public var username: String
    /// ISO 8601 UTC creation time; absent on records written by the original service.
    public var createdAt: String?

    public init(firstname: String, lastname: String, email: String, username: String, createdAt: String? = nil) {
        self.firstname = firstname
        self.lastname = lastname
        self.email = email
        self.username = username
        self.createdAt = createdAt
    }

    /// The names a projection may read, and nothing else.
    public static let allowList: [String] = ["id", "type", "firstname", "lastname", "email", "username", "createdAt"]
}

/// A user as every read path sees it: an id and the allow-listed attributes.
public struct UserSummary: Sendable, Hashable, Codable {
    public var id: String
    public var attributes: UserAttributes

    public init(id: String, attributes: UserAttributes) {
        self.id = id
        self.attributes = attributes
    }
}

/// What a stored `credentials` attribute holds. Jobs inspect it; the API never reads it.
public enum StoredCredentials: Sendable, Hashable {
    /// Binary (`B`): what KMS ciphertext looks like (or random bytes pretending to be it).
    case binary(Data)
    /// A string (`S`): plaintext stored by a buggy writer.
    case string(String)
    /// Any other type (a number, a map, ...): named, never kept.
    case other(typeName: String)

    /// A description safe to log: the kind and the size, never a byte of the value.
    public var redactedDescription: String {
        switch self {
        case .binary(let data): return "binary(\(data.count) bytes)"
        case .string(let string): return "string(\(string.utf8.count) bytes)"
        case .other(let typeName): return "other(\(typeName))"
        }
    }
}

/// A whole stored item as the jobs read it (audit, rotation, backfill).
///
/// - Warning: holds `credentials`. Only jobs read it, and nothing that holds one may be
///   logged, reported or exported; `description` is redacted.
public struct StoredItem: Sendable, Hashable, CustomStringConvertible {
    public var id: String
    /// `"users"` for users; guard items and anything else have another type (or none).
    public var type: String?
    public var firstname: String?
    public var lastname: String?
    public var email: String?
    public var username: String?
    public var createdAt: String?
    public var credentials: StoredCredentials?
    public var credentialsKeyId: String?

    public init(
        id: String, type: String?, firstname: String? = nil, lastname: String? = nil, email: String? = nil,
        username: String? = nil, createdAt: String? = nil, credentials: StoredCredentials? = nil,
        credentialsKeyId: String? = nil
    ) {
        self.id = id
        self.type = type
        self.firstname = firstname
        self.lastname = lastname
        self.email = email
        self.username = username
        self.createdAt = createdAt
        self.credentials = credentials
        self.credentialsKeyId = credentialsKeyId
    }

    public var isUser: Bool { type == userItemType }

    /// The allow-listed view, when every public attribute is present.
    public var summary: UserSummary? {
        guard let firstname, let lastname, let email, let username else { return nil }
        return UserSummary(
            id: id,
            attributes: UserAttributes(
                firstname: firstname, lastname: lastname, email: email, username: username, createdAt: createdAt))
    }

    public var description: String {
        "StoredItem(id: \(id), type: \(type ?? "nil"), credentials: \(credentials?.redactedDescription ?? "nil"))"
    }
}

/// A new user ready to be written: validated attributes, the ciphertext and its key.
public struct NewUserRecord: Sendable {
    public var id: String
    public var attributes: UserAttributes
    /// The KMS `CiphertextBlob` of the password, bound to `{"userId": id}`.
    public var credentials: Data
    /// The CMK ARN (or id) that sealed `credentials`.
    public var credentialsKeyId: String

    public init(id: String, attributes: UserAttributes, credentials: Data, credentialsKeyId: String) {
        self.id = id
        self.attributes = attributes
        self.credentials = credentials
        self.credentialsKeyId = credentialsKeyId
    }
}

/// The uniqueness guard written in the same transaction as a user.
///
/// Its `type` is not `"users"`, so list, audit and export skip it.
public enum EmailGuard {
    public static let itemType = "email-guard"
    public static let idPrefix = "EMAIL#"

    /// The guard item's partition key for an email, compared case-insensitively.
    public static func itemId(forEmail email: String) -> String {
        idPrefix + normalize(email)
    }

    /// Emails compare case-insensitively and by Unicode canonical equivalence: trimmed, composed
    /// (NFC), lowercased (Unicode's full lowercase mapping) and composed again, so `ÅSA@…`, `åsa@…`
    /// and `a\u{30A}sa@…` are one address. An ASCII address is only trimmed and lowercased, exactly
    /// as before, so the guard items of existing data still match.
    public static func normalize(_ email: String) -> String {
        // The common case (no surrounding white space) skips Foundation's trimming.
        var trimmed = email
        if let first = email.unicodeScalars.first, let last = email.unicodeScalars.last,
           CharacterSet.whitespacesAndNewlines.contains(first) || CharacterSet.whitespacesAndNewlines.contains(last) {
            trimmed = email.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !trimmed.utf8.allSatisfy({ $0 < 0x80 }) else { return trimmed.lowercased() }
        return trimmed.precomposedStringWithCanonicalMapping.lowercased().precomposedStringWithCanonicalMapping
    }
}
