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
/// New keys are also tagged `RekeyRun=<runId>`. A page done again after a kill (`--resume`) finds
/// them: a user already on one is reported done, a user with one not yet written reuses it.
public struct RekeySweep: RepairPlanner {
    public let job = "rotate-keys"
    public var parameters: [String: String] { ["mode": "rekey", "pendingDays": String(pendingDays)] }
    let table: any UserTable
    let keys: any KeyService
    let pendingDays: Int
    let ownership: KeyOwnership

    public init(table: any UserTable, keys: any KeyService, pendingDays: Int = 30) {
        self.table = table
        self.keys = keys
        self.pendingDays = pendingDays
        ownership = KeyOwnership(keys: keys)
        runKeys = RunKeys(keys: keys)
    }

    static let action = "REKEY"
    static let runTag = "RekeyRun"
    let runKeys: RunKeys

    /// The keys this run created (tagged `RekeyRun=<runId>`), listed once per process.
    actor RunKeys {
        let keys: any KeyService
        var loaded: Task<Set<String>, any Error>?

        init(keys: any KeyService) {
            self.keys = keys
        }

        func created(by runId: String) async throws -> Set<String> {
            let task = loaded ?? Task { [keys] in
                Set(try await keys.keysTagged(RekeySweep.runTag).filter { $0.value == runId }.map { KeyReference.bareKeyId($0.keyId) })
            }
            loaded = task
            return try await task.value
        }
    }

    public func repair(_ users: [StoredItem], apply: Bool, runId: String) async -> [RepairAction] {
        let index = try? await ownership.index()
        let ours = apply ? ((try? await runKeys.created(by: runId)) ?? []) : []
        /// A legacy record's key: the one tagged for the user, leaving out keys this run made.
        @Sendable func taggedKey(_ userId: String) -> String? {
            let owned = (index?.keysByOwner[userId] ?? []).filter { !ours.contains(KeyReference.bareKeyId($0)) }
            return owned.count == 1 ? owned.first : nil
        }
        let (table, keys, days) = (self.table, self.keys, self.pendingDays)
        let results = await concurrentMap(users) { user -> RepairAction? in
            guard case .binary(let ciphertext)? = user.credentials, !CredentialVerifier.looksLikePlaintext(ciphertext) else {
                return .init(userId: user.id, action: Self.action, outcome: .skipped,
                             detail: "no ciphertext (missing or plaintext credentials): run backfill encrypt-plaintext")
            }
            let legacy = user.credentialsKeyId == nil
            guard let oldKey = user.credentialsKeyId ?? taggedKey(user.id) else {
                return .init(userId: user.id, action: Self.action, outcome: .skipped,
                             detail: "the record names no key and not exactly one CMK is tagged CreatedBy=\(user.id): run the audit")
            }
            guard apply else {
                return .init(userId: user.id, action: Self.action, keyId: oldKey, outcome: .planned,
                             detail: "would move the credentials to a new CMK and schedule this one for deletion in \(days) days")
            }
            if ours.contains(KeyReference.bareKeyId(oldKey)) {
                return .init(userId: user.id, action: Self.action, keyId: oldKey, outcome: .done,
                             detail: "moved to a new CMK earlier in this run (before it was resumed)")
            }
            let context = UserService.encryptionContext(userId: user.id)
            let key: KeyMetadata
            if let unused = (index?.keysByOwner[user.id] ?? []).first(where: { ours.contains(KeyReference.bareKeyId($0)) }) {
                key = try await keys.describeKey(keyId: unused)  // made for this user before the kill, never written
            } else {
                key = try await keys.createKey(description: "UserVault credentials key for user \(user.id) (rekey)",
                                               tags: ["CreatedBy": user.id, Self.runTag: runId])
            }
            func abandon(_ reason: String) async -> RepairAction {
                let scheduled = (try? await Task { try await keys.scheduleKeyDeletion(keyId: key.keyId, pendingWindowDays: 7) }.value) != nil
                return .init(userId: user.id, action: Self.action, keyId: oldKey, outcome: .failed,
                             detail: reason + (scheduled ? "; the new key is scheduled for deletion" : "; the new key could not be scheduled for deletion"))
            }
            let moved: ReEncryptResult
            do {
                try await keys.enableKeyRotation(keyId: key.keyId)
                moved = try await keys.reEncrypt(ReEncryptRequest(
                    ciphertext: ciphertext, sourceKeyId: oldKey, sourceContext: legacy ? [:] : context,
                    destinationKeyId: key.keyId, destinationContext: context))
                guard try await table.replaceCredentials(userId: user.id, expected: .binary(ciphertext), expectedKeyId: user.credentialsKeyId,
                                                         ciphertext: moved.ciphertext, keyId: key.arn, createdAt: nil) else {
                    return await abandon("the record changed since it was read: not overwritten")
                }
            } catch {
                return await abandon("could not move the credentials: \(UserService.safeDescription(error))")
            }
            do {
                try await keys.scheduleKeyDeletion(keyId: KeyReference.bareKeyId(oldKey), pendingWindowDays: days)
            } catch {
                return .init(userId: user.id, action: Self.action, keyId: key.arn, outcome: .failed,
                             detail: "moved to the new key, but the old key could not be scheduled for deletion: \(UserService.safeDescription(error))")
            }
            return .init(userId: user.id, action: Self.action, keyId: key.arn, outcome: .done,
                         detail: "moved to a new CMK; the old one is scheduled for deletion in \(days) days")
        }
        return zip(users, results).compactMap { user, result in
            switch result {
            case .success(let action): return action
            case .failure(let error):
                return .init(userId: user.id, action: Self.action, outcome: .failed,
                             detail: "could not create the new key: \(UserService.safeDescription(error))")
            }
        }
    }
}
