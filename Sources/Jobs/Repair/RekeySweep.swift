import Foundation
import UserVaultCore

/// `rotate-keys --mode rekey`: every user gets a fresh per-user CMK (tagged `CreatedBy=<id>`,
/// rotation on). Their ciphertext is moved to it by ReEncrypt (from the user's key: the recorded
/// one with context `{"userId": id}`, or a legacy record's tagged key without context; to the new
/// one with context `{"userId": id}`); one conditional write stores it and the new key's ARN,
/// only if the record still holds the ciphertext and key that were read. If the write loses, the
/// new key is scheduled for deletion and the user is reported, not overwritten. No Decrypt; no
/// plaintext is ever held.
///
/// The keys users moved off are retired only after the sweep (``finish(table:state:apply:runId:logger:)``),
/// each once no record of the table names it any more: two users sharing a key (`KEY_SHARED`)
/// may be moved in different pages, and the second one's ReEncrypt needs the key enabled; a key a
/// user still names after the sweep (skipped, failed, not moved) is never scheduled.
///
/// New keys are also tagged `RekeyRun=<runId>:<userId>` and `RekeyOf=<old key id>`. A page done
/// again after a kill (`--resume`) finds them (``RunKeys``): a user with one not yet written
/// reuses it; a user already on one is done. The tags also say, after the sweep, which keys the
/// run moved users off.
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
                             detail: "would move the credentials to a new CMK; after the sweep, this one would be scheduled for "
                                 + "deletion in \(days) days if no record names it then")
            }
            if ours.owner(ofKey: oldKey) != nil {
                return .init(userId: user.id, action: Self.action, keyId: oldKey, outcome: .done,
                             detail: "moved to a new CMK earlier in this run (before it was resumed)")
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
            return .init(userId: user.id, action: Self.action, keyId: key.arn, outcome: .done,
                         detail: "moved to a new CMK; the old one (\(KeyReference.bareKeyId(oldKey))) is retired after the sweep "
                             + "if no record names it then (\(Self.retireAction))")
        })
        return try zip(users, results).compactMap { user, result in
            switch result {
            case .success(let action): return action
            case .failure(let error):
                return try .outcome(of: error, userId: user.id, action: Self.action, keyId: nil, doing: "creating the new key")
            }
        }
    }
}
