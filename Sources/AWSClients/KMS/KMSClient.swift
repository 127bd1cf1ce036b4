import Foundation

/// AWS KMS over its JSON 1.1 protocol.
///
/// - Warning: `Plaintext` and `CiphertextBlob` never reach a log or an error: errors carry
///   KMS's code and message only.
public struct KMSClient: Sendable {
    public let client: AWSServiceClient
    static let targetPrefix = "TrentService"
    static let contentType = "application/x-amz-json-1.1"

    public init(_ client: AWSServiceClient) {
        self.client = client
    }

    private func call<Output: Decodable>(_ operation: String, _ input: some Encodable) async throws -> Output {
        try await client.jsonCall(operation, targetPrefix: Self.targetPrefix, contentType: Self.contentType, input: input)
    }

    /// [CreateKey](https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html): a symmetric key.
    public func createKey(description: String, tags: [String: String]) async throws -> KMS.KeyMetadata {
        let input = KMS.CreateKeyInput(Description: description,
                                       Tags: tags.sorted { $0.key < $1.key }.map { KMS.Tag($0.key, $0.value) })
        let output: KMS.KeyMetadataOutput = try await call("CreateKey", input)
        return output.KeyMetadata
    }

    /// [DescribeKey](https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html)
    public func describeKey(keyId: String) async throws -> KMS.KeyMetadata {
        let output: KMS.KeyMetadataOutput = try await call("DescribeKey", KMS.KeyIdInput(KeyId: keyId))
        return output.KeyMetadata
    }

    /// [Encrypt](https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html)
    public func encrypt(keyId: String, plaintext: Data, context: [String: String]?) async throws -> (ciphertext: Data, keyId: String?) {
        let output: KMS.CiphertextOutput = try await call(
            "Encrypt", KMS.EncryptInput(KeyId: keyId, Plaintext: plaintext, EncryptionContext: context.nilIfEmpty))
        return (output.CiphertextBlob, output.KeyId)
    }

    /// [Decrypt](https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html). Only tests
    /// and tools that must prove a round trip use it; the product's jobs never decrypt.
    public func decrypt(ciphertext: Data, keyId: String? = nil, context: [String: String]?) async throws -> Data {
        let output: KMS.DecryptOutput = try await call(
            "Decrypt", KMS.DecryptInput(CiphertextBlob: ciphertext, KeyId: keyId, EncryptionContext: context.nilIfEmpty))
        return output.Plaintext
    }

    /// [ReEncrypt](https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html)
    public func reEncrypt(ciphertext: Data, sourceKeyId: String?, sourceContext: [String: String]?,
                          destinationKeyId: String, destinationContext: [String: String]?) async throws
        -> (ciphertext: Data, sourceKeyId: String?, keyId: String?) {
        // One per audited user: written and read without Codable (JSONObjectWriter, JSONReader).
        var body = JSONObjectWriter()
        body.member("CiphertextBlob", base64: ciphertext)
        body.member("SourceKeyId", sourceKeyId)
        body.member("SourceEncryptionContext", sourceContext)
        body.member("DestinationKeyId", destinationKeyId)
        body.member("DestinationEncryptionContext", destinationContext)
        let output = try await client.jsonCall("ReEncrypt", targetPrefix: Self.targetPrefix, contentType: Self.contentType,
                                               body: body.finished(), reading: KMS.ReEncryptOutput.self)
        return (output.CiphertextBlob, output.SourceKeyId, output.KeyId)
    }

    /// [EnableKeyRotation](https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html)
    public func enableKeyRotation(keyId: String) async throws {
        let _: KMS.Empty = try await call("EnableKeyRotation", KMS.KeyIdInput(KeyId: keyId))
    }

    /// [GetKeyRotationStatus](https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyRotationStatus.html)
    /// The latest rotation date of the key
    /// ([ListKeyRotations](https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeyRotations.html),
    /// every page), or `nil` when it was never rotated.
    public func latestRotation(keyId: String) async throws -> Date? {
        var latest: Double?
        var marker: String?
        repeat {
            let output: KMS.ListKeyRotationsOutput = try await call(
                "ListKeyRotations", KMS.ListKeyRotationsInput(KeyId: keyId, Marker: marker, Limit: 1000))
            for rotation in output.Rotations ?? [] {
                if let date = rotation.RotationDate { latest = max(latest ?? date, date) }
            }
            marker = output.Truncated == true ? output.NextMarker : nil
        } while marker != nil
        return latest.map(Date.init(timeIntervalSince1970:))
    }

    public func getKeyRotationStatus(keyId: String) async throws -> Bool {
        let output: KMS.RotationStatusOutput = try await call("GetKeyRotationStatus", KMS.KeyIdInput(KeyId: keyId))
        return output.KeyRotationEnabled
    }

    /// [RotateKeyOnDemand](https://docs.aws.amazon.com/kms/latest/APIReference/API_RotateKeyOnDemand.html)
    public func rotateKeyOnDemand(keyId: String) async throws {
        let _: KMS.Empty = try await call("RotateKeyOnDemand", KMS.KeyIdInput(KeyId: keyId))
    }

    /// [ScheduleKeyDeletion](https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html)
    public func scheduleKeyDeletion(keyId: String, pendingWindowDays: Int) async throws {
        let _: KMS.Empty = try await call(
            "ScheduleKeyDeletion", KMS.ScheduleKeyDeletionInput(KeyId: keyId, PendingWindowInDays: pendingWindowDays))
    }

    /// [DisableKey](https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKey.html)
    public func disableKey(keyId: String) async throws {
        let _: KMS.Empty = try await call("DisableKey", KMS.KeyIdInput(KeyId: keyId))
    }

    /// [TagResource](https://docs.aws.amazon.com/kms/latest/APIReference/API_TagResource.html)
    public func tagResource(keyId: String, tags: [String: String]) async throws {
        let _: KMS.Empty = try await call(
            "TagResource", KMS.TagResourceInput(KeyId: keyId, Tags: tags.sorted { $0.key < $1.key }.map { KMS.Tag($0.key, $0.value) }))
    }

    /// [ListKeys](https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeys.html), every page.
    public func listKeysPages(limit: Int = 1000) -> Pages<KMS.ListKeysOutput, String> {
        Pages(first: nil) { marker in
            let output: KMS.ListKeysOutput = try await call("ListKeys", KMS.ListInput(Limit: limit, Marker: marker))
            return (output, output.Truncated == true ? output.NextMarker : nil)
        }
    }

    /// [ListResourceTags](https://docs.aws.amazon.com/kms/latest/APIReference/API_ListResourceTags.html), all tags.
    public func listResourceTags(keyId: String) async throws -> [String: String] {
        var tags: [String: String] = [:]
        var marker: String?
        repeat {
            let output: KMS.ListResourceTagsOutput = try await call(
                "ListResourceTags", KMS.ListInput(KeyId: keyId, Limit: 50, Marker: marker))
            for tag in output.Tags ?? [] { tags[tag.TagKey] = tag.TagValue }
            marker = output.Truncated == true ? output.NextMarker : nil
        } while marker != nil
        return tags
    }
}

extension Optional where Wrapped == [String: String] {
    var nilIfEmpty: [String: String]? {
        guard let self, !self.isEmpty else { return nil }
        return self
    }
}
