import Foundation
import UserVaultCore

/// `rotate-keys --mode rekey`: every user gets a fresh per-user CMK (tagged `CreatedBy=<id>`,
/// rotation on). Their ciphertext is moved to it by ReEncrypt (from the user's key: the recorded
/// one with context `{"userId": id}`, or a legacy record's tagged key without context; to the new
/// one with context `{"userId": id}`); one conditional write stores it and the new key's ARN,
/// only if the record still holds the ciphertext and key that were read; and only then is the old
/// key scheduled for deletion (`pendingDays`). If the write loses, the new key is scheduled for
/// deletion and the user is reported, not overwritten. No Decrypt; no plaintext is ever held.
///
/// New keys are also tagged `RekeyRun=<runId>:<userId>` and `RekeyOf=<old key id>`. A page done
/// again after a kill (`--resume`) finds them (``RunKeys``): a user with one not yet written
/// reuses it; a user already on one is done, and the old key it names is scheduled for deletion
/// if the kill came before that.
public struct RekeySweep: RepairPlanner {
    public let job = "rotate-keys"
    public var parameters: [String: String] { ["mode": "rekey", "pendingDays": String(pendingDays)] }
    let table: any UserTable
    let keys: any KeyService
    let pendingDays: Int
    let ownership: KeyOwnership
    let runKeys: RunKeys

    public init(table: any UserTable, keys: any KeyService, pendingDays: Int = 30) {
        self.table = table
        self.keys = keys
        self.pendingDays = pendingDays
        ownership = KeyOwnership(keys: keys)
        runKeys = RunKeys(keys: keys, tag: Self.runTag)
    }

    static let action = "REKEY"
    static let runTag = "RekeyRun"
    static let previousKeyTag = "RekeyOf"

    public func repair(_ users: [StoredItem], apply: Bool, runId: String) async throws -> [RepairAction] {
        // The CreatedBy listing names legacy records' keys: only listed when the page has one.
        var listed: UserKeys.Owners?
        if users.contains(where: { $0.credentialsKeyId == nil }) { listed = try await ownership.indexForPage() }
        let index = listed
        let ours: UserKeys.Owners
        do {
            ours = apply ? try await runKeys.made(in: runId) : UserKeys.Owners([])
        } catch {
            if let failure = ServiceFailure(error) { throw failure }
            // Without it, a resumed page could move a user twice: touch nobody.
            return users.map { .init(userId: $0.id, action: Self.action, outcome: .failed,
                                     detail: "could not list the keys this run made (tag \(Self.runTag)): \(UserService.safeDescription(error))") }
        }
        /// A legacy record's keys: the ones tagged for the user, leaving out keys this run made.
        @Sendable func taggedKeys(_ userId: String) -> [String] {
            (index?.keys(taggedFor: userId) ?? []).filter { ours.owner(ofKey: $0) == nil }
        }
        let (table, keys, days, runKeys) = (self.table, self.keys, self.pendingDays, self.runKeys)
        let results = try ServiceFailure.check(await concurrentMap(users) { user -> RepairAction? in
            let ciphertext: Data
            switch user.credentials {
            case nil:
                return .skipped(user.id, Self.action, .credentialsMissing, "no credentials to move")
            case .binary(let data)? where !UserKeys.looksLikePlaintext(data):
                ciphertext = data
            case .binary?, .string?:
                return .skipped(user.id, Self.action, .credentialsPlaintext,
                                "plaintext credentials, no ciphertext to move: run backfill encrypt-plaintext")
            case .other?:
                return .skipped(user.id, Self.action, .invalidRecord, "credentials are not binary: no ciphertext to move")
            }
            let oldKey: String
            switch UserKeys.Lookup(recorded: user.credentialsKeyId, tagged: taggedKeys(user.id)) {
            case .found(let key):
                oldKey = key
            case .notFound:
                return .skipped(user.id, Self.action, .keyNotFound,
                                "the record names no key and no CMK is tagged \(UserKeys.ownerLabel(userId: user.id))")
            case .ambiguous(let count):
                return .skipped(user.id, Self.action, .unverifiable, "the record names no key and \(count) CMKs are tagged "
                                    + "\(UserKeys.ownerLabel(userId: user.id)): run backfill key-metadata")
            }
            guard apply else {
                return .init(userId: user.id, action: Self.action, keyId: oldKey, outcome: .planned,
                             detail: "would move the credentials to a new CMK and schedule this one for deletion in \(days) days")
            }
            if ours.owner(ofKey: oldKey) != nil {
                return try await Self.finishMoved(userId: user.id, currentKey: oldKey, keys: keys, pendingDays: days)
            }
            let context = UserKeys.encryptionContext(userId: user.id)
            let previous = [Self.previousKeyTag: KeyReference.bareKeyId(oldKey)]
            let key: KeyMetadata
            if let unused = try await runKeys.reusable(for: user.id, in: runId) {
                key = unused  // made for this user before the kill, never written
                try await keys.tagKey(keyId: key.keyId, tags: previous)
            } else {
                key = try await keys.createKey(description: UserKeys.keyDescription(userId: user.id, purpose: "rekey"),
                                               tags: UserKeys.ownerTags(userId: user.id,
                                                                        with: [Self.runTag: RunKeys.value(runId: runId, userId: user.id)])
                                                   .merging(previous) { $1 })
            }
            func abandon(_ reason: String) async -> RepairAction {
                .init(userId: user.id, action: Self.action, keyId: oldKey, outcome: .failed,
                      detail: reason + (await keys.discardUnusedKey(key.keyId)))
            }
            func abandon(after error: any Error) async throws -> RepairAction {
                let discarded = await keys.discardUnusedKey(key.keyId)
                var outcome = try RepairAction.outcome(of: error, userId: user.id, action: Self.action, keyId: oldKey,
                                                       doing: "moving the credentials")
                outcome.detail += discarded
                return outcome
            }
            let moved: ReEncryptResult
            do {
                try await keys.enableKeyRotation(keyId: key.keyId)
                moved = try await keys.reEncrypt(ReEncryptRequest(
                    ciphertext: ciphertext, sourceKeyId: oldKey, sourceContext: UserKeys.encryptionContext(of: user),
                    destinationKeyId: key.keyId, destinationContext: context))
                guard try await table.replaceCredentials(userId: user.id, expected: .binary(ciphertext), expectedKeyId: user.credentialsKeyId,
                                                         ciphertext: moved.ciphertext, keyId: key.arn, createdAt: nil) else {
                    return await abandon("the record changed since it was read: not overwritten")
                }
            } catch {
                return try await abandon(after: error)
            }
            let oldKeyId = KeyReference.bareKeyId(oldKey)
            let scheduledNow: Bool
            do {
                scheduledNow = try await keys.scheduleDeletionUnlessPending(keyId: oldKeyId, pendingDays: days)
            } catch {
                // The user is moved: a service failure here is reported, not retried (the write is done).
                return .init(userId: user.id, action: Self.action, keyId: key.arn, outcome: .failed,
                             detail: "moved to the new key, but the old key \(oldKeyId) could not be scheduled for deletion: \(UserService.safeDescription(error))")
            }
            return .init(userId: user.id, action: Self.action, keyId: key.arn, outcome: .done,
                         detail: scheduledNow
                             ? "moved to a new CMK; the old one is scheduled for deletion in \(days) days"
                             // Another record shared the old key, and its move scheduled it first.
                             : "moved to a new CMK; the old one was already pending deletion (another record shares it)")
        })
        return try zip(users, results).compactMap { user, result in
            switch result {
            case .success(let action): return action
            case .failure(let error):
                return try .outcome(of: error, userId: user.id, action: Self.action, keyId: nil, doing: "creating the new key")
            }
        }
    }

    /// A user this run moved before it was killed: done, once the old key (named by the new key's
    /// `RekeyOf` tag) is pending deletion; the kill may have come between the write and that.
    static func finishMoved(userId: String, currentKey: String, keys: any KeyService, pendingDays: Int) async throws -> RepairAction {
        let earlier = "moved to a new CMK earlier in this run (before it was resumed)"
        do {
            guard let oldKeyId = try await keys.tags(keyId: KeyReference.bareKeyId(currentKey))[previousKeyTag] else {
                return .init(userId: userId, action: action, keyId: currentKey, outcome: .done, detail: earlier)
            }
            let scheduledNow = try await keys.scheduleDeletionUnlessPending(keyId: oldKeyId, pendingDays: pendingDays)
            return .init(userId: userId, action: action, keyId: currentKey, outcome: .done,
                         detail: earlier + (scheduledNow ? "; the old one is now scheduled for deletion in \(pendingDays) days"
                                                         : "; the old one is pending deletion"))
        } catch {
            if let failure = ServiceFailure(error) { throw failure }
            return .init(userId: userId, action: action, keyId: currentKey, outcome: .failed,
                         detail: earlier + ", but its old key could not be checked or scheduled for deletion: \(UserService.safeDescription(error))")
        }
    }
}
