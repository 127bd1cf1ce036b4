import AWSClients
import Foundation
import UserVaultCore

/// The core's ``KeyService`` over AWS KMS (and the Resource Groups Tagging API, to find keys by
/// tag without a KMS request per key).
public struct KMSKeyService: KeyService {
    public let backendName = "aws"
    let kms: KMSClient
    let tagging: ResourceGroupsTaggingClient?

    /// - Parameter tagging: without it, ``keysTagged(_:)`` falls back to ListKeys and one
    ///   ListResourceTags per key.
    public init(kms: KMSClient, tagging: ResourceGroupsTaggingClient? = nil) {
        self.kms = kms
        self.tagging = tagging
    }

    public func createKey(description: String, tags: [String: String]) async throws -> KeyMetadata {
        try await mapping { Self.metadata(try await kms.createKey(description: description, tags: tags)) }
    }

    public func enableKeyRotation(keyId: String) async throws {
        try await mapping { try await kms.enableKeyRotation(keyId: Self.managed(keyId)) }
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
        try await mapping { try await kms.scheduleKeyDeletion(keyId: Self.managed(keyId), pendingWindowDays: pendingWindowDays) }
    }

    public func disableKey(keyId: String) async throws {
        try await mapping { try await kms.disableKey(keyId: Self.managed(keyId)) }
    }

    public func keyRotationEnabled(keyId: String) async throws -> Bool {
        try await mapping { try await kms.getKeyRotationStatus(keyId: Self.managed(keyId)) }
    }

    public func rotateNow(keyId: String) async throws {
        try await mapping { try await kms.rotateKeyOnDemand(keyId: Self.managed(keyId)) }
    }

    public func materialDate(keyId: String) async throws -> Date? {
        try await mapping {
            if let rotated = try await kms.latestRotation(keyId: Self.managed(keyId)) { return rotated }
            return try await kms.describeKey(keyId: keyId).CreationDate.map(Date.init(timeIntervalSince1970:))
        }
    }

    public func tags(keyId: String) async throws -> [String: String] {
        try await mapping { try await kms.listResourceTags(keyId: Self.managed(keyId)) }
    }

    public func listKeyIds() async throws -> [String] {
        try await mapping {
            var ids: [String] = []
            for try await page in kms.listKeysPages() { ids += (page.Keys ?? []).map(\.KeyId) }
            return ids
        }
    }

    public func tagKey(keyId: String, tags: [String: String]) async throws {
        try await mapping { try await kms.tagResource(keyId: Self.managed(keyId), tags: tags) }
    }

    public func keysTagged(_ tagKey: String) async throws -> [TaggedKey] {
        try await listTagged(tagKey, values: nil)
    }

    /// The tagging API filtered by value, ``ResourceGroupsTaggingClient/maxFilterValues`` values a listing.
    public func keysTagged(_ tagKey: String, values: [String]) async throws -> [TaggedKey] {
        guard !values.isEmpty else { return [] }
        var found: [TaggedKey] = []
        let unique = Array(Set(values)).sorted()
        for start in stride(from: 0, to: unique.count, by: ResourceGroupsTaggingClient.maxFilterValues) {
            let end = min(unique.count, start + ResourceGroupsTaggingClient.maxFilterValues)
            found += try await listTagged(tagKey, values: Array(unique[start..<end]))
        }
        return found
    }

    private func listTagged(_ tagKey: String, values: [String]?) async throws -> [TaggedKey] {
        guard let tagging else {
            var found: [TaggedKey] = []
            for keyId in try await listKeyIds() {
                if let value = try await tags(keyId: keyId)[tagKey], values.map({ $0.contains(value) }) ?? true {
                    found.append(TaggedKey(keyId: keyId, value: value))
                }
            }
            return found
        }
        return try await mapping {
            var found: [TaggedKey] = []
            for try await page in tagging.resourcesPages(type: "kms:key", tagKey: tagKey, values: values) {
                for resource in page.ResourceTagMappingList ?? [] {
                    // Checked again: an emulator may ignore the filter's values.
                    guard let tag = resource.Tags?.first(where: { $0.Key == tagKey }),
                          values.map({ $0.contains(tag.Value) }) ?? true else { continue }
                    found.append(TaggedKey(keyId: resource.ResourceARN, value: tag.Value))
                }
            }
            return found
        }
    }

    /// The key id for key-management calls. Per-user CMKs live in the caller's own account and
    /// region, where KMS takes the bare id as readily as the ARN; some emulators (moto) take only
    /// the id for these operations.
    static func managed(_ keyId: String) -> String {
        KeyReference.bareKeyId(keyId)
    }

    static func metadata(_ key: KMS.KeyMetadata) -> KeyMetadata {
        KeyMetadata(
            keyId: key.KeyId, arn: key.Arn ?? key.KeyId,
            state: key.KeyState.flatMap(KeyState.init(rawValue:)) ?? (key.Enabled == false ? .disabled : .enabled),
            keyManager: key.KeyManager ?? "CUSTOMER", keySpec: key.KeySpec ?? key.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT",
            creationDate: key.CreationDate.map { Date(timeIntervalSince1970: $0) }, description: key.Description ?? "")
    }

    /// KMS error codes become the core's ``KeyServiceError`` (keeping the service's own words);
    /// throttling and transient failures become service failures (``ServiceFailure``), never verdicts.
    private func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AWSError {
            throw Self.mapped(error)
        }
    }

    static func mapped(_ error: AWSError) -> any Error {
        // The whole description: it names the service that failed (KMS, or the tagging API).
        let detail = error.description
        if error.isThrottling { return KeyServiceError.throttled(detail) }
        // 5xx, the network, timeouts after the retries: the service, not the key (ServiceFailure);
        // final when nothing has ever answered at the endpoint.
        if error.isUnreachable { return KeyServiceError.unreachable(detail) }
        if error.isTransient { return KeyServiceError.unavailable(detail) }
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
