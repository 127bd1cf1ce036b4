import Foundation
import UserVaultCore

/// `backfill key-metadata`: give legacy records (written by the original service: no
/// `credentialsKeyId`, no encryption context) what records written by this project carry. The
/// user's key is the one CMK tagged `CreatedBy=<id>`; ReEncrypt **to that same key** binds the
/// ciphertext to its user (context `{"userId": id}`) and proves it is under that key (no
/// Decrypt, no plaintext); then one conditional write stores the new ciphertext, the key's ARN,
/// and `createdAt` from the key's creation date when the record has none — only if the record
/// still holds the ciphertext that was read. Afterwards the audit verifies these users the way it
/// verifies new ones.
public struct KeyMetadataBackfill: RepairPlanner {
    public let job = "backfill"
    public var parameters: [String: String] { ["name": "key-metadata"] }
    let table: any UserTable
    let keys: any KeyService
    let ownership: KeyOwnership

    public init(table: any UserTable, keys: any KeyService) {
        self.table = table
        self.keys = keys
        ownership = KeyOwnership(keys: keys)
    }

    static let action = "RECORD_KEY_ID"

    public func repair(_ users: [StoredItem], apply: Bool, runId: String) async throws -> [RepairAction] {
        let legacy = users.filter { $0.credentialsKeyId == nil }
        guard !legacy.isEmpty else { return [] }
        let index = try await ownership.indexForPage()
        let (table, keys) = (self.table, self.keys)
        let results = try ServiceFailure.check(await concurrentMap(legacy) { user -> RepairAction in
            let ciphertext: Data
            switch user.credentials {
            case nil:
                return .skipped(user.id, Self.action, .credentialsMissing, "no credentials to bind")
            case .binary(let data)? where !UserKeys.looksLikePlaintext(data):
                ciphertext = data
            case .binary?, .string?:
                return .skipped(user.id, Self.action, .credentialsPlaintext,
                                "plaintext credentials, no ciphertext to bind: run backfill encrypt-plaintext")
            case .other?:
                return .skipped(user.id, Self.action, .invalidRecord, "credentials are not binary: no ciphertext to bind")
            }
            let keyId: String
            switch UserKeys.key(of: user, owners: index) {
            case .found(let key):
                keyId = key
            case .notFound:
                return .skipped(user.id, Self.action, .keyNotFound,
                                "no CMK is tagged \(UserKeys.ownerLabel(userId: user.id)): left as is (the audit reports it)")
            case .ambiguous(let count):
                return .skipped(user.id, Self.action, .unverifiable,
                                "\(count) CMKs are tagged \(UserKeys.ownerLabel(userId: user.id)): left as is, for people to decide")
            }
            guard apply else {
                return .init(userId: user.id, action: Self.action, keyId: keyId, outcome: .planned,
                             detail: "would bind the ciphertext to its user (ReEncrypt, same key) and record the key")
            }
            let proof: ReEncryptResult
            do {
                proof = try await keys.reEncrypt(ReEncryptRequest(
                    ciphertext: ciphertext, sourceKeyId: keyId, sourceContext: UserKeys.encryptionContext(of: user),
                    destinationKeyId: keyId, destinationContext: UserKeys.encryptionContext(userId: user.id)))
            } catch {
                return try .outcome(of: error, userId: user.id, action: Self.action, keyId: keyId,
                                    doing: "ReEncrypt under the user's key")
            }
            let metadata = try await keys.describeKey(keyId: keyId)
            let createdAt = user.createdAt == nil ? metadata.creationDate.map(UserService.timestamp) : nil
            let recorded = metadata.arn.isEmpty ? keyId : metadata.arn
            guard try await table.replaceCredentials(userId: user.id, expected: .binary(ciphertext), expectedKeyId: nil,
                                                     ciphertext: proof.ciphertext,
                                                     keyId: recorded, createdAt: createdAt) else {
                return .init(userId: user.id, action: Self.action, keyId: keyId, outcome: .failed,
                             detail: "the record changed since it was read: not overwritten")
            }
            return .init(userId: user.id, action: Self.action, keyId: recorded, outcome: .done,
                         detail: "ciphertext bound to its user; key recorded" + (createdAt == nil ? "" : "; createdAt from the key's creation"))
        })
        return try zip(legacy, results).map { user, result in
            switch result {
            case .success(let action): return action
            case .failure(let error):
                return try .outcome(of: error, userId: user.id, action: Self.action, keyId: nil, doing: "recording the key")
            }
        }
    }
}
