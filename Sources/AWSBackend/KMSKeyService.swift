import AWSClients
import Foundation
import UserVaultCore

/// The core's ``KeyService`` over AWS KMS.
public struct KMSKeyService: KeyService {
    public let backendName = "aws"
    let kms: KMSClient

    public init(kms: KMSClient) {
        self.kms = kms
    }

    public func createKey(description: String, tags: [String: String]) async throws -> KeyMetadata {
        try await mapping { Self.metadata(try await kms.createKey(description: description, tags: tags)) }
    }

    public func enableKeyRotation(keyId: String) async throws {
        try await mapping { try await kms.enableKeyRotation(keyId: keyId) }
    }

    public func encrypt(keyId: String, plaintext: Data, context: [String: String]) async throws -> Data {
        try await mapping { try await kms.encrypt(keyId: keyId, plaintext: plaintext, context: context).ciphertext }
    }

    public func reEncrypt(_ request: ReEncryptRequest) async throws -> ReEncryptResult {
        try await mapping {
            let output = try await kms.reEncrypt(
                ciphertext: request.ciphertext, sourceKeyId: request.sourceKeyId, sourceContext: request.sourceContext,
                destinationKeyId: request.destinationKeyId, destinationContext: request.destinationContext)
            return ReEncryptResult(sourceKeyId: output.sourceKeyId ?? request.sourceKeyId ?? "",
                                   destinationKeyId: output.keyId ?? request.destinationKeyId,
                                   ciphertext: output.ciphertext)
        }
    }

    public func describeKey(keyId: String) async throws -> KeyMetadata {
        try await mapping { Self.metadata(try await kms.describeKey(keyId: keyId)) }
    }

    public func scheduleKeyDeletion(keyId: String, pendingWindowDays: Int) async throws {
        try await mapping { try await kms.scheduleKeyDeletion(keyId: keyId, pendingWindowDays: pendingWindowDays) }
    }

    public func disableKey(keyId: String) async throws {
        try await mapping { try await kms.disableKey(keyId: keyId) }
    }

    public func keyRotationEnabled(keyId: String) async throws -> Bool {
        try await mapping { try await kms.getKeyRotationStatus(keyId: keyId) }
    }

    public func tags(keyId: String) async throws -> [String: String] {
        try await mapping { try await kms.listResourceTags(keyId: keyId) }
    }

    public func listKeyIds() async throws -> [String] {
        try await mapping {
            var ids: [String] = []
            for try await page in kms.listKeysPages() { ids += (page.Keys ?? []).map(\.KeyId) }
            return ids
        }
    }

    static func metadata(_ key: KMS.KeyMetadata) -> KeyMetadata {
        KeyMetadata(
            keyId: key.KeyId, arn: key.Arn ?? key.KeyId,
            state: key.KeyState.flatMap(KeyState.init(rawValue:)) ?? (key.Enabled == false ? .disabled : .enabled),
            keyManager: key.KeyManager ?? "CUSTOMER", keySpec: key.KeySpec ?? key.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT",
            creationDate: key.CreationDate.map { Date(timeIntervalSince1970: $0) }, description: key.Description ?? "")
    }

    /// KMS error codes become the core's ``KeyServiceError`` (keeping KMS's own words).
    private func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AWSError {
            throw Self.mapped(error)
        }
    }

    static func mapped(_ error: AWSError) -> any Error {
        if error.isThrottling { return KeyServiceError.throttled("KMS is throttling (\(error.code ?? "throttled"))") }
        let detail = error.description
        switch error.code {
        case "NotFoundException": return KeyServiceError.notFound(detail)
        case "DisabledException": return KeyServiceError.disabled(detail)
        case "KMSInvalidStateException": return KeyServiceError.invalidState(detail)
        case "InvalidCiphertextException": return KeyServiceError.invalidCiphertext(detail)
        case "IncorrectKeyException": return KeyServiceError.incorrectKey(detail)
        case "AccessDeniedException", "AccessDenied": return KeyServiceError.accessDenied(detail)
        default: return error
        }
    }
}
