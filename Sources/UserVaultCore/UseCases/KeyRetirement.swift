import Foundation

/// The rule for retiring the key a user has moved off (``UserService/setPassword(userId:password:logger:)``
/// when it gave the user a new key): its deletion is scheduled
///
/// - only after the user's new credentials are written (the caller's part: it calls
///   ``retire(_:movedOffBy:)`` after the write succeeded, never before);
/// - only when the key is tagged `CreatedBy=<that user>`: a key tagged for someone else, or for
///   no one, is not this user's to retire (a shared or foreign key stays for people to decide);
/// - only when no other record names it (``otherUsers(naming:except:)``: one scan of the table's
///   key references — `id`, `type`, `credentialsKeyId`, never a credential).
///
/// A legacy record (no `credentialsKeyId`) references the key tagged with its own id; a key tagged
/// for the user who moved off is referenced that way by that user only, so the tag and the scan
/// between them find every reference the key rules (``UserKeys``) know of.
///
/// ```swift
/// let outcome = await KeyRetirement(table: table, keys: keys, pendingDays: 30).retire(oldKey, movedOffBy: id)
/// ```
public struct KeyRetirement: Sendable {
    /// What became of the key.
    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        /// Scheduled for deletion in `days` days (`CancelKeyDeletion` undoes it until then).
        case scheduled(days: Int)
        /// Already pending deletion: nothing to do.
        case alreadyPendingDeletion
        /// The key does not exist (any more).
        case gone
        /// Tagged for another user (or for none): kept.
        case notTheUsers(owner: String?)
        /// Other records name it: kept (those users would lose their passwords).
        case referenced(by: [String])
        /// Could not be checked or scheduled: kept; `detail` says why (safe to log).
        case failed(String)

        public var description: String {
            switch self {
            case .scheduled(let days): "scheduled for deletion in \(days) days"
            case .alreadyPendingDeletion: "already pending deletion"
            case .gone: "gone already"
            case .notTheUsers(let owner?): "kept: it is tagged \(UserKeys.ownerLabel(userId: owner)), not for this user"
            case .notTheUsers(nil): "kept: it carries no \(UserKeys.ownerTag) tag"
            case .referenced(let users):
                "kept: \(users.count) other user\(users.count == 1 ? "'s record names" : "s' records name") it ("
                    + users.prefix(3).joined(separator: ", ") + (users.count > 3 ? ", ..." : "") + ")"
            case .failed(let detail): "kept: it could not be checked or scheduled for deletion (\(detail))"
            }
        }
    }

    let table: any UserTable
    let keys: any KeyService
    let pendingDays: Int

    public init(table: any UserTable, keys: any KeyService, pendingDays: Int) {
        self.table = table
        self.keys = keys
        self.pendingDays = pendingDays
    }

    /// Schedules `keyId`'s deletion if the rule allows it. Call only once `userId`'s new credentials
    /// are written.
    public func retire(_ keyId: String, movedOffBy userId: String) async -> Outcome {
        do {
            let state: KeyState
            do {
                state = try await keys.describeKey(keyId: keyId).state
            } catch let error as KeyServiceError where error == .notFound {
                return .gone
            }
            if state == .pendingDeletion { return .alreadyPendingDeletion }
            let owner = try await keys.tags(keyId: KeyReference.bareKeyId(keyId))[UserKeys.ownerTag]
            guard owner == userId else { return .notTheUsers(owner: owner) }
            let others = try await Self.otherUsers(naming: keyId, except: userId, in: table)
            guard others.isEmpty else { return .referenced(by: others) }
            guard try await keys.scheduleDeletionUnlessPending(keyId: KeyReference.bareKeyId(keyId), pendingDays: pendingDays) else {
                return .alreadyPendingDeletion  // scheduled meanwhile by someone else
            }
            return .scheduled(days: pendingDays)
        } catch {
            return .failed(UserService.safeDescription(error))
        }
    }

    /// The users other than `userId` whose records name `keyId` (by ARN or bare id), in id order:
    /// every page of the table, read with the key-references projection.
    public static func otherUsers(naming keyId: String, except userId: String, in table: any UserTable) async throws -> [String] {
        var found: [String] = []
        try await forEachKeyReference(in: table) { item in
            if item.id != userId, let named = item.credentialsKeyId, KeyReference.sameKey(named, keyId) { found.append(item.id) }
        }
        return found.sorted()
    }

    /// Every user record of the table, read with the key-references projection (id, type,
    /// `credentialsKeyId`; never a credential), page by page.
    public static func forEachKeyReference(in table: any UserTable, _ body: (StoredItem) throws -> Void) async throws {
        var after: String?
        repeat {
            let page = try await table.scan(ScanRequest(startAfter: after, limit: 1000, projection: .keyReferences, usersOnly: true))
            for item in page.items { try body(item) }
            after = page.lastEvaluatedId
        } while after != nil
    }
}
