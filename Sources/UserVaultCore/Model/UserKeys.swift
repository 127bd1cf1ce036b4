import Foundation

/// The rules of the per-user keys, in one place: every user has a customer managed key (CMK) of
/// its own, tagged `CreatedBy=<id>`, and its credentials are sealed under it with the encryption
/// context `{"userId": id}`. Records written by UserVault also name their key
/// (`credentialsKeyId`); legacy records (the original service) name none and carry no context,
/// and their key is the one CMK tagged with their id.
///
/// The create path (``UserService``), the audit, every repair and the key services follow these
/// rules through this type, so that what is written and what is checked cannot drift apart.
///
/// ```swift
/// let key = try await keys.createKey(description: UserKeys.keyDescription(userId: id),
///                                    tags: UserKeys.ownerTags(userId: id))
/// let ciphertext = try await keys.encrypt(keyId: key.keyId, plaintext: password,
///                                         context: UserKeys.encryptionContext(userId: id))
/// ```
public enum UserKeys {
    /// The tag key naming a per-user CMK's owner; its value is the user's id.
    public static let ownerTag = "CreatedBy"

    /// The tags a user's new CMK is created with: `CreatedBy=<id>`, and the repair's own `other`
    /// tags (its run, for a resumed run to find the key again).
    public static func ownerTags(userId: String, with other: [String: String] = [:]) -> [String: String] {
        other.merging([ownerTag: userId]) { $1 }
    }

    /// The user a key belongs to, from its tags (`ListResourceTags`); `nil` when it carries no
    /// owner tag: not a per-user key of this service.
    public static func owner(fromTags tags: [String: String]) -> String? {
        tags[ownerTag].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `CreatedBy=<id>`: the owner tag as reports and messages name it.
    public static func ownerLabel(userId: String) -> String { "\(ownerTag)=\(userId)" }

    /// The description a user's new CMK is created with; `purpose` names the repair that made it
    /// (`rekey`), none for the create path.
    public static func keyDescription(userId: String, purpose: String? = nil) -> String {
        "UserVault credentials key for user \(userId)" + (purpose.map { " (\($0))" } ?? "")
    }

    /// The encryption context that binds a ciphertext to its user.
    public static func encryptionContext(userId: String) -> [String: String] { ["userId": userId] }

    /// The encryption context `item`'s ciphertext is sealed with as stored: its user's when the
    /// record names its key (written by UserVault), none for a legacy record.
    public static func encryptionContext(of item: StoredItem) -> [String: String] {
        item.credentialsKeyId == nil ? [:] : encryptionContext(userId: item.id)
    }

    /// Printable ASCII only, and short: a password, not ciphertext (KMS ciphertext starts with
    /// non-printable header bytes; the embedded store's with its version byte 0x01).
    public static func looksLikePlaintext(_ data: Data) -> Bool {
        !data.isEmpty && data.count <= 1024 && data.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// Which key is `item`'s: the one its record names; else (a legacy record) the one CMK tagged
    /// with its id among `owners` (`nil`: none listed).
    public static func key(of item: StoredItem, owners: Owners?) -> Lookup {
        Lookup(recorded: item.credentialsKeyId, tagged: owners?.keys(taggedFor: item.id) ?? [])
    }
}

extension UserKeys {
    /// The per-user CMKs by their owner tag, indexed both ways (from one
    /// ``KeyService/keysTagged(_:)`` listing of ``UserKeys/ownerTag``, or of another tag whose
    /// values name users).
    public struct Owners: Sendable {
        /// Bare key id → the owner tag's value.
        public var ownerByKey: [String: String] = [:]
        /// The owner tag's value → the keys (as listed: ARNs on AWS) tagged with it.
        public var keysByOwner: [String: [String]] = [:]
        /// Bare key id → the key as listed.
        public var keyByBareId: [String: String] = [:]

        public init(_ tagged: [TaggedKey]) {
            for key in tagged {
                let bare = KeyReference.bareKeyId(key.keyId)
                ownerByKey[bare] = key.value
                keyByBareId[bare] = key.keyId
                keysByOwner[key.value, default: []].append(key.keyId)
            }
        }

        /// The keys tagged for `userId`, as listed.
        public func keys(taggedFor userId: String) -> [String] { keysByOwner[userId] ?? [] }

        /// The user a key (its ARN or bare id) is tagged for; `nil` when it carries no such tag.
        public func owner(ofKey reference: String) -> String? { ownerByKey[KeyReference.bareKeyId(reference)] }
    }

    /// Which key is a user's, or why none can be named.
    public enum Lookup: Sendable, Hashable {
        /// The key the record names, else the one CMK tagged for the user (as listed).
        case found(String)
        /// The record names no key and no CMK is tagged for the user.
        case notFound
        /// The record names no key and several CMKs are tagged for the user: people must decide.
        case ambiguous(count: Int)

        /// The recorded key when there is one, else the only one of `tagged`.
        public init(recorded: String?, tagged: @autoclosure () -> [String]) {
            if let recorded {
                self = .found(recorded)
                return
            }
            let tagged = tagged()
            switch tagged.count {
            case 0: self = .notFound
            case 1: self = .found(tagged[0])
            default: self = .ambiguous(count: tagged.count)
            }
        }
    }
}
