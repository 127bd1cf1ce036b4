import Foundation
import UserVaultCore

/// The per-user CMKs by their `CreatedBy` tag, read once per run (on first need) with
/// ``KeyService/keysTagged(_:)`` — on AWS the Resource Groups Tagging API, so neither the legacy
/// lookup nor the deep owner check costs a KMS request per user.
public actor KeyOwnership {
    public struct Index: Sendable {
        /// Bare key id → the `CreatedBy` value.
        public var ownerByKey: [String: String] = [:]
        /// `CreatedBy` value → the keys (as listed: ARNs on AWS) tagged with it.
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
    }

    private let keys: any KeyService
    private var building: Task<Index, any Error>?

    public init(keys: any KeyService) {
        self.keys = keys
    }

    /// The index, listed on the first call and shared by every later one. A failed listing is
    /// not kept: the next call lists again (a throttled or unreachable tagging API is a service
    /// failure, retried with its page).
    public func index() async throws -> Index {
        let task = building ?? Task { [keys] in Index(try await keys.keysTagged(UserKeys.ownerTag)) }
        building = task
        do {
            return try await task.value
        } catch {
            if building == task { building = nil }
            throw error
        }
    }
}

extension KeyOwnership {
    /// The `CreatedBy` listing failed with an answer, not a service failure (e.g. access denied
    /// to `tag:GetResources`): legacy users cannot be evaluated, so the run stops.
    public struct ListingError: Error, Sendable, CustomStringConvertible {
        public var description: String

        init(_ error: any Error) {
            description = "could not list the CMKs by their \(UserKeys.ownerTag) tag: \(UserService.safeDescription(error))"
        }
    }
}
