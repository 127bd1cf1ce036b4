import Foundation
import UserVaultCore

extension KeyOwnership {
    /// The ownership a proof of `items` alone needs — a stream batch, a key event — without the
    /// run-wide listing of every per-user key in the account (the nightly audit's
    /// ``index()``): the keys tagged for these users (one filtered listing of the tagging API per
    /// 20 users), and at deep depth the owner tag of each key a record names that is not tagged
    /// for its user (one `ListResourceTags` each: the rare key tagged for someone else, or for nobody).
    ///
    /// Answers what the run-wide index answers for these users: their legacy records' keys, and
    /// (deep) who owns the keys their records name.
    ///
    /// - Throws: ``ServiceFailure`` when the tagging API or KMS failed as a service.
    public static func scoped(for items: [StoredItem], keys: any KeyService, depth: AuditDepth) async throws -> KeyOwnership {
        let users = items.filter(\.isUser)
        let needed = depth == .deep ? users : users.filter { $0.credentialsKeyId == nil }
        guard !needed.isEmpty else { return KeyOwnership(keys: keys, index: UserKeys.Owners([])) }
        var tagged: [TaggedKey]
        do {
            tagged = try await keys.keysTagged(UserKeys.ownerTag, values: needed.map(\.id))
        } catch {
            throw ServiceFailure(error) ?? ListingError(error)
        }
        if depth == .deep {
            let listed = Set(tagged.map { KeyReference.bareKeyId($0.keyId) })
            let named = Set(users.compactMap(\.credentialsKeyId)).filter { !listed.contains(KeyReference.bareKeyId($0)) }
            for keyId in named.sorted() {
                do {
                    if let owner = UserKeys.owner(fromTags: try await keys.tags(keyId: keyId)) {
                        tagged.append(TaggedKey(keyId: keyId, value: owner))
                    }
                } catch let error as KeyServiceError where !error.isServiceFailure {
                    // A missing or refused key: the proof itself says what it is.
                    continue
                } catch {
                    throw ServiceFailure(error) ?? error
                }
            }
        }
        return KeyOwnership(keys: keys, index: UserKeys.Owners(tagged))
    }
}
