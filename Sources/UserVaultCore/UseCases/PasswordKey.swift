import Foundation

/// Which key a new password goes under — `set-password`'s, and `backfill encrypt-plaintext`'s
/// for a plaintext credential: the user's own key when it can take it — the key the record names
/// (a legacy record: the one CMK tagged `CreatedBy=<id>`, ``UserKeys/key(of:owners:)``), enabled,
/// customer managed, symmetric and tagged for the user — else a new per-user CMK, with the reason
/// and the key the user moves off.
///
/// ```swift
/// switch try await PasswordKey.choose(for: item, keys: keys) {
/// case .own(let key): ...                          // seal under key.keyId, record key.arn
/// case .replace(let reason, let previous): ...     // a new key; `previous` is the one left
/// }
/// ```
public enum PasswordKey: Sendable {
    /// The user's own key, usable as it is.
    case own(KeyMetadata)
    /// A new key, for `reason`; `previous` is the key the user moves off, if there is one.
    case replace(reason: String, previous: String?)

    /// The user's own key when it can take a new password; otherwise why not, and which key the
    /// user is on. A legacy record's key (none recorded) is found by one listing of the
    /// `CreatedBy` tag when `findsLegacyKeys` (one user: `set-password`); a sweep over many users
    /// passes `false` rather than list every per-user key of the account for each of them. A key
    /// this identity may not describe or whose tags it may not read is not the user's to use.
    public static func choose(for item: StoredItem, keys: any KeyService, findsLegacyKeys: Bool = true) async throws -> PasswordKey {
        var owners: UserKeys.Owners?
        if item.credentialsKeyId == nil, findsLegacyKeys { owners = UserKeys.Owners(try await keys.keysTagged(UserKeys.ownerTag)) }
        let label = UserKeys.ownerLabel(userId: item.id)
        switch UserKeys.key(of: item, owners: owners) {
        case .notFound:
            return .replace(reason: "the record names no key and no CMK is tagged \(label)", previous: nil)
        case .ambiguous(let count):
            return .replace(reason: "the record names no key and \(count) CMKs are tagged \(label) (none of them is retired)",
                            previous: nil)
        case .found(let keyId):
            let key: KeyMetadata
            do {
                key = try await keys.describeKey(keyId: keyId)
            } catch let error as KeyServiceError where error == .notFound {
                return .replace(reason: "its key \(keyId) does not exist", previous: nil)
            } catch let error as KeyServiceError where error == .accessDenied {
                return .replace(reason: "its key \(keyId) may not be described here (\(error.detail))", previous: keyId)
            }
            guard key.state == .enabled else {
                return .replace(reason: "its key is \(key.state == .pendingDeletion ? "pending deletion" : key.state.rawValue.lowercased())",
                                previous: keyId)
            }
            guard key.keyManager == "CUSTOMER", key.keySpec == "SYMMETRIC_DEFAULT" else {
                return .replace(reason: "its key is not a customer managed symmetric key (\(key.keyManager), \(key.keySpec))",
                                previous: keyId)
            }
            let owner: String?
            do {
                owner = try await keys.tags(keyId: key.keyId)[UserKeys.ownerTag]
            } catch let error as KeyServiceError where error == .accessDenied {
                return .replace(reason: "its key's tags may not be read here (\(error.detail))", previous: keyId)
            }
            guard owner == item.id else {
                return .replace(reason: "its key is " + (owner.map { "tagged \(UserKeys.ownerLabel(userId: $0))" } ?? "not tagged \(label)"),
                                previous: keyId)
            }
            return .own(key)
        }
    }
}
