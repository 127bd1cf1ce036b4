import Foundation
import UserVaultCore

/// The per-user CMKs by their owner tag (``UserKeys/Owners``), read once per run (on first
/// need) with ``KeyService/keysTagged(_:)`` — on AWS the Resource Groups Tagging API, so neither
/// the legacy lookup nor the deep owner check costs a KMS request per user. The audit and the
/// repairs each hold one for their run.
public actor KeyOwnership {
    private let keys: any KeyService
    private var building: Task<UserKeys.Owners, any Error>?

    public init(keys: any KeyService) {
        self.keys = keys
    }

    /// An ownership whose index is already known: the owners of a few users' keys, listed for a
    /// proof of those users alone (``scoped(for:keys:depth:)``), never the whole account.
    public init(keys: any KeyService, index: UserKeys.Owners) {
        self.keys = keys
        building = Task { index }
    }

    /// The index, listed on the first call and shared by every later one. A failed listing is
    /// not kept: the next call lists again (a throttled or unreachable tagging API is a service
    /// failure, retried with its page).
    public func index() async throws -> UserKeys.Owners {
        let task = building ?? Task { [keys] in UserKeys.Owners(try await keys.keysTagged(UserKeys.ownerTag)) }
        building = task
        do {
            return try await task.value
        } catch {
            if building == task { building = nil }
            throw error
        }
    }

    /// ``index()`` for a page of users whose legacy records need it.
    ///
    /// - Throws: the ``ServiceFailure`` a failed listing is (the page is tried again), else a
    ///   ``ListingError``: without the listing legacy users cannot be evaluated, so the run stops.
    public func indexForPage() async throws -> UserKeys.Owners {
        do {
            return try await index()
        } catch {
            throw ServiceFailure(error) ?? ListingError(error)
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
