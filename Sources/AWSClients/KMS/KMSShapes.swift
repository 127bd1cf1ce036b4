import Foundation

// Wire shapes of the KMS JSON 1.1 protocol; names mirror the API reference
// (https://docs.aws.amazon.com/kms/latest/APIReference/). Blobs are base64 `Data`.

public enum KMS {
    public struct Tag: Codable, Sendable, Hashable {
        public var TagKey: String
        public var TagValue: String
        public init(_ key: String, _ value: String) { TagKey = key; TagValue = value }
    }

    struct CreateKeyInput: Codable, Sendable {
        var Description: String?
        var KeyUsage: String? = "ENCRYPT_DECRYPT"
        var KeySpec: String? = "SYMMETRIC_DEFAULT"
        var Tags: [Tag]?
    }

    public struct KeyMetadata: Codable, Sendable, Hashable {
        public var KeyId: String
        public var Arn: String?
        public var KeyState: String?
        public var Enabled: Bool?
        public var KeyManager: String?
        public var KeySpec: String?
        public var CustomerMasterKeySpec: String?
        public var KeyUsage: String?
        public var Description: String?
        public var CreationDate: Double?
        public var DeletionDate: Double?
    }

    struct KeyMetadataOutput: Codable, Sendable {
        var KeyMetadata: KeyMetadata
    }

    struct KeyIdInput: Codable, Sendable {
        var KeyId: String
    }

    struct EncryptInput: Codable, Sendable {
        var KeyId: String
        var Plaintext: Data
        var EncryptionContext: [String: String]?
    }

    struct CiphertextOutput: Codable, Sendable {
        var CiphertextBlob: Data
        var KeyId: String?
    }

    struct DecryptInput: Codable, Sendable {
        var CiphertextBlob: Data
        var KeyId: String?
        var EncryptionContext: [String: String]?
    }

    struct DecryptOutput: Codable, Sendable {
        var Plaintext: Data
        var KeyId: String?
    }

    struct ReEncryptOutput: Codable, Sendable, JSONReadable {
        var CiphertextBlob: Data
        var SourceKeyId: String?
        var KeyId: String?

        /// Read as the `Decodable` conformance decodes it (one per audited user; see ``JSONReader``).
        init(reading json: inout JSONReader) throws {
            var blob: Data?, sourceKeyId: String?, keyId: String?
            try json.object { json, field in
                switch field {
                case "CiphertextBlob": blob = try Data(base64Encoded: json.string())
                case "SourceKeyId": sourceKeyId = try json.null() ? nil : json.string()
                case "KeyId": keyId = try json.null() ? nil : json.string()
                default: try json.skip()
                }
            }
            guard let blob else { throw JSONReader.Failure(offset: 0, expected: "a base64 CiphertextBlob") }
            (CiphertextBlob, SourceKeyId, KeyId) = (blob, sourceKeyId, keyId)
        }
    }

    struct ScheduleKeyDeletionInput: Codable, Sendable {
        var KeyId: String
        var PendingWindowInDays: Int
    }

    struct RotationStatusOutput: Codable, Sendable {
        var KeyRotationEnabled: Bool
    }

    struct ListKeyRotationsInput: Codable, Sendable {
        var KeyId: String
        var Marker: String?
        var Limit: Int?
    }

    struct ListKeyRotationsOutput: Codable, Sendable {
        struct Rotation: Codable, Sendable {
            var RotationDate: Double?
        }
        var Rotations: [Rotation]?
        var NextMarker: String?
        var Truncated: Bool?
    }

    struct ListInput: Codable, Sendable {
        var KeyId: String?
        var Limit: Int?
        var Marker: String?
    }

    public struct KeyListEntry: Codable, Sendable, Hashable {
        public var KeyId: String
        public var KeyArn: String?
    }

    public struct ListKeysOutput: Codable, Sendable {
        public var Keys: [KeyListEntry]?
        public var NextMarker: String?
        public var Truncated: Bool?
    }

    public struct ListResourceTagsOutput: Codable, Sendable {
        public var Tags: [Tag]?
        public var NextMarker: String?
        public var Truncated: Bool?
    }

    struct TagResourceInput: Codable, Sendable {
        var KeyId: String
        var Tags: [Tag]
    }

    struct Empty: Codable, Sendable {}
}
