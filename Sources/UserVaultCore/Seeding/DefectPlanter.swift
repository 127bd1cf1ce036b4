import Foundation

/// Rewrites a freshly created user so that it carries one known fault.
public struct DefectPlanter: Sendable {
    /// A ciphertext cut in half, and longer while the cut is all printable: moto's ciphertexts
    /// begin with the key id in ASCII, and a cut that reads as text would be a plaintext defect.
    static func truncated(_ ciphertext: Data) -> Data {
        let bytes = [UInt8](ciphertext)
        let half = bytes.count / 2
        guard let binary = bytes.firstIndex(where: { !(0x20...0x7E).contains($0) }) else { return Data(bytes.prefix(half)) }
        return Data(bytes.prefix(min(bytes.count - 1, max(half, binary + 1))))
    }

    let table: any UserTable
    let keys: any KeyService

    public init(table: any UserTable, keys: any KeyService) {
        self.table = table
        self.keys = keys
    }

    public func plant(_ kind: DefectKind, userId: String, password: String,
                      using generator: inout SeededGenerator) async throws -> PlantedDefect {
        guard var item = try await table.item(id: userId) else { throw UserTableError.invalidItem("user \(userId) vanished") }
        switch kind {
        case .plaintextString:
            item.credentials = .string(password)
        case .plaintextBytes:
            item.credentials = .binary(Data(password.utf8))
        case .randomBytes:
            let count = 64 + Int(generator.next() % 128)
            item.credentials = .binary(Data((0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }))
        case .truncatedCiphertext:
            guard case .binary(let ciphertext)? = item.credentials else { break }
            item.credentials = .binary(Self.truncated(ciphertext))
        case .missingCredentials:
            item.credentials = nil
        case .disabledKey:
            if let keyId = item.credentialsKeyId { try await keys.disableKey(keyId: keyId) }
            return PlantedDefect(kind: kind, userId: userId)
        case .pendingDeletionKey:
            if let keyId = item.credentialsKeyId { try await keys.scheduleKeyDeletion(keyId: keyId, pendingWindowDays: 30) }
            return PlantedDefect(kind: kind, userId: userId)
        case .foreignOwnerTag:
            if let keyId = item.credentialsKeyId {
                let stranger = UUID().uuidString.lowercased()
                try await keys.tagKey(keyId: keyId, tags: UserKeys.ownerTags(userId: stranger))
            }
            return PlantedDefect(kind: kind, userId: userId)
        case .sharedKey:
            preconditionFailure("use plantSharedKey(owner:borrower:password:)")
        }
        try await table.unconditionalPut(item)
        return PlantedDefect(kind: kind, userId: userId)
    }

    /// Seals `borrower`'s password under `owner`'s CMK (with the borrower's own context), so two
    /// users share one key; the borrower's own key is scheduled for deletion.
    public func plantSharedKey(owner: String, borrower: String, password: String) async throws -> PlantedDefect {
        guard let ownerItem = try await table.item(id: owner), let ownerKey = ownerItem.credentialsKeyId,
              var borrowerItem = try await table.item(id: borrower)
        else { throw UserTableError.invalidItem("users for the shared-key defect vanished") }
        let ciphertext = try await keys.encrypt(keyId: ownerKey, plaintext: Data(password.utf8),
                                                context: UserKeys.encryptionContext(userId: borrower))
        let abandoned = borrowerItem.credentialsKeyId
        borrowerItem.credentials = .binary(ciphertext)
        borrowerItem.credentialsKeyId = ownerKey
        try await table.unconditionalPut(borrowerItem)
        if let abandoned { try await keys.scheduleKeyDeletion(keyId: abandoned, pendingWindowDays: 7) }
        return PlantedDefect(kind: .sharedKey, userId: borrower, otherUserId: owner)
    }
}
