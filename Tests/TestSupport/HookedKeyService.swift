import Foundation
import UserVaultCore

/// A real ``KeyService`` with hooks around some of its calls (see ``HookedUserTable``): to
/// journal the order of calls that change keys, or to make another process's change land right
/// after a call. Every call goes to `base`.
public struct HookedKeyService: KeyService {
    public let base: any KeyService
    /// Runs after a key is created, with it.
    public var afterCreateKey: @Sendable (KeyMetadata) -> Void
    /// Runs after each ReEncrypt, with its request.
    public var afterReEncrypt: @Sendable (ReEncryptRequest) async throws -> Void
    /// Runs before a deletion is scheduled, with the key as given.
    public var beforeScheduleKeyDeletion: @Sendable (String) -> Void

    public init(_ base: any KeyService, afterCreateKey: @escaping @Sendable (KeyMetadata) -> Void = { _ in },
                afterReEncrypt: @escaping @Sendable (ReEncryptRequest) async throws -> Void = { _ in },
                beforeScheduleKeyDeletion: @escaping @Sendable (String) -> Void = { _ in }) {
        self.base = base
        self.afterCreateKey = afterCreateKey
        self.afterReEncrypt = afterReEncrypt
        self.beforeScheduleKeyDeletion = beforeScheduleKeyDeletion
    }

    public var backendName: String { base.backendName }
    public func createKey(description: String, tags: [String: String]) async throws -> KeyMetadata {
        let key = try await base.createKey(description: description, tags: tags)
        afterCreateKey(key)
        return key
    }
    public func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult {
        let result = try await base.reEncrypt(request)
        try await afterReEncrypt(request)
        return result
    }
    public func scheduleKeyDeletion(keyId: String, pendingWindowDays: Int) async throws {
        beforeScheduleKeyDeletion(keyId)
        try await base.scheduleKeyDeletion(keyId: keyId, pendingWindowDays: pendingWindowDays)
    }
    public func enableKeyRotation(keyId: String) async throws { try await base.enableKeyRotation(keyId: keyId) }
    public func encrypt(keyId: String, plaintext: Data, context: [String: String]) async throws -> Data {
        try await base.encrypt(keyId: keyId, plaintext: plaintext, context: context)
    }
    public func describeKey(keyId: String) async throws -> KeyMetadata { try await base.describeKey(keyId: keyId) }
    public func disableKey(keyId: String) async throws { try await base.disableKey(keyId: keyId) }
    public func keyRotationEnabled(keyId: String) async throws -> Bool { try await base.keyRotationEnabled(keyId: keyId) }
    public func rotateNow(keyId: String) async throws { try await base.rotateNow(keyId: keyId) }
    public func materialDate(keyId: String) async throws -> Date? { try await base.materialDate(keyId: keyId) }
    public func tags(keyId: String) async throws -> [String: String] { try await base.tags(keyId: keyId) }
    public func listKeyIds() async throws -> [String] { try await base.listKeyIds() }
    public func tagKey(keyId: String, tags: [String: String]) async throws { try await base.tagKey(keyId: keyId, tags: tags) }
    public func keysTagged(_ tagKey: String) async throws -> [TaggedKey] { try await base.keysTagged(tagKey) }
}
