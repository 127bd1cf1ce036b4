import Foundation
import UserVaultCore

/// `backfill encrypt-plaintext`: credentials found as plaintext (a string, or printable bytes)
/// are encrypted with context `{"userId": id}` under the user's own CMK when the record names one
/// that can take it (``PasswordKey``, `set-password`'s rule: enabled, customer managed, tagged for
/// the user), else under a new per-user CMK (tagged `CreatedBy=<id>`, rotation on), and written by
/// one conditional write — only if the record still holds the plaintext that was read (and the
/// key it named). If that write loses, a new key is scheduled for deletion and the user is
/// reported, not overwritten. A key the user moves off (unusable) is left as it is and named in
/// the action's detail. The plaintext is never logged or reported; a dry run creates no key.
///
/// Sealing under the user's own key keeps the one key a user has: before, every repaired user
/// left its old key behind, and the next deep audit reported it as an ORPHAN_KEY.
///
/// New keys are also tagged `BackfillRun=<runId>:<userId>`: a page done again after a kill
/// (`--resume`) reuses the key made for a user whose write the kill prevented (``RunKeys``).
public struct EncryptPlaintextBackfill: RepairPlanner {
    public let job = "backfill"
    public var parameters: [String: String] { ["name": "encrypt-plaintext"] }
    let table: any UserTable
    let keys: any KeyService
    let runKeys: RunKeys

    public init(table: any UserTable, keys: any KeyService) {
        self.table = table
        self.keys = keys
        runKeys = RunKeys(keys: keys, tag: Self.runTag)
    }

    static let action = "ENCRYPT_PLAINTEXT"
    static let runTag = "BackfillRun"

    /// The password a plaintext credential holds, or `nil` for anything else.
    static func plaintext(_ credentials: StoredCredentials?) -> Data? {
        switch credentials {
        case .string(let text)?: return Data(text.utf8)
        case .binary(let data)? where UserKeys.looksLikePlaintext(data): return data
        default: return nil
        }
    }

    public func repair(_ users: [StoredItem], apply: Bool, runId: String) async throws -> [RepairAction] {
        let plain = users.filter { Self.plaintext($0.credentials) != nil }
        guard apply else {
            return plain.map { .init(userId: $0.id, action: Self.action, outcome: .planned,
                                     detail: "credentials are plaintext: would encrypt them under the user's own CMK, or a new one when it has none that can take them") }
        }
        let (table, keys, runKeys) = (self.table, self.keys, self.runKeys)
        let results = try ServiceFailure.check(await concurrentMap(plain) { user -> RepairAction in
            guard let credentials = user.credentials, let password = Self.plaintext(credentials) else {
                return .init(userId: user.id, action: Self.action, outcome: .skipped, detail: "no longer plaintext")
            }
            let choice: PasswordKey
            do {
                choice = try await PasswordKey.choose(for: user, keys: keys, findsLegacyKeys: false)
            } catch {
                return try RepairAction.outcome(of: error, userId: user.id, action: Self.action, keyId: user.credentialsKeyId,
                                                doing: "reading the user's key")
            }
            if case .own(let own) = choice {
                do {
                    let ciphertext = try await keys.encrypt(keyId: own.keyId, plaintext: password,
                                                            context: UserKeys.encryptionContext(userId: user.id))
                    guard try await table.replaceCredentials(userId: user.id, expected: credentials, expectedKeyId: user.credentialsKeyId,
                                                             ciphertext: ciphertext, keyId: own.arn, createdAt: nil) else {
                        return .init(userId: user.id, action: Self.action, keyId: own.arn, outcome: .failed,
                                     detail: "the record changed since it was read: not overwritten")
                    }
                } catch {
                    return try RepairAction.outcome(of: error, userId: user.id, action: Self.action, keyId: own.arn,
                                                    doing: "encrypting and writing")
                }
                return .init(userId: user.id, action: Self.action, keyId: own.arn, outcome: .done,
                             detail: "encrypted under the user's own CMK")
            }
            var moved = ""
            if case .replace(let reason, let previous) = choice {
                moved = " (\(reason)" + (previous.map { "; \($0) is left as it is" } ?? "") + ")"
            }
            let key: KeyMetadata
            if let unused = try await runKeys.reusable(for: user.id, in: runId) {
                key = unused  // made for this user before a kill, never written
            } else {
                key = try await keys.createKey(description: UserKeys.keyDescription(userId: user.id, purpose: "backfill encrypt-plaintext"),
                                               tags: UserKeys.ownerTags(userId: user.id,
                                                                        with: [Self.runTag: RunKeys.value(runId: runId, userId: user.id)]))
            }
            func abandon(_ reason: String) async -> RepairAction {
                .init(userId: user.id, action: Self.action, keyId: key.arn, outcome: .failed,
                      detail: reason + (await keys.discardUnusedKey(key.keyId)))
            }
            do {
                try await keys.enableKeyRotation(keyId: key.keyId)
                let ciphertext = try await keys.encrypt(keyId: key.keyId, plaintext: password,
                                                        context: UserKeys.encryptionContext(userId: user.id))
                guard try await table.replaceCredentials(userId: user.id, expected: credentials, expectedKeyId: user.credentialsKeyId,
                                                         ciphertext: ciphertext, keyId: key.arn, createdAt: nil) else {
                    return await abandon("the record changed since it was read: not overwritten")
                }
            } catch {
                let discarded = await keys.discardUnusedKey(key.keyId)
                var outcome = try RepairAction.outcome(of: error, userId: user.id, action: Self.action, keyId: key.arn,
                                                       doing: "encrypting and writing")
                outcome.detail += discarded
                return outcome
            }
            return .init(userId: user.id, action: Self.action, keyId: key.arn, outcome: .done,
                         detail: "encrypted under a new CMK tagged \(UserKeys.ownerLabel(userId: user.id)), rotation on" + moved)
        })
        return try zip(plain, results).map { user, result in
            switch result {
            case .success(let action): return action
            case .failure(let error):
                return try .outcome(of: error, userId: user.id, action: Self.action, keyId: nil, doing: "creating the new key")
            }
        }
    }
}
