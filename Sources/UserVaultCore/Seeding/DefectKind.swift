import Foundation

/// The faults `seed --defects` plants, for demos and tests of the audit.
public enum DefectKind: String, CaseIterable, Sendable, Codable {
    /// `credentials` stored as a plaintext string (`S`).
    case plaintextString = "plaintext-string"
    /// The password's UTF-8 bytes stored as binary.
    case plaintextBytes = "plaintext-bytes"
    /// Random bytes that are not ciphertext.
    case randomBytes = "random-bytes"
    /// Genuine ciphertext cut short.
    case truncatedCiphertext = "truncated-ciphertext"
    /// No `credentials` attribute at all.
    case missingCredentials = "missing-credentials"
    /// The user's CMK is disabled.
    case disabledKey = "disabled-key"
    /// The user's CMK is scheduled for deletion.
    case pendingDeletionKey = "pending-deletion-key"
    /// The user's credentials sealed under another user's CMK (both users are then on a shared key).
    case sharedKey = "shared-key"
    /// The user's CMK is tagged `CreatedBy` someone else (only `audit --depth deep` checks owner tags).
    case foreignOwnerTag = "foreign-owner-tag"

    /// Whether only a deep audit finds it.
    public var needsDeepAudit: Bool { self == .foreignOwnerTag }
}

/// One planted defect: which user, what kind. Never the password or the ciphertext.
public struct PlantedDefect: Sendable, Codable, Hashable {
    public var kind: DefectKind
    public var userId: String
    /// For ``DefectKind/sharedKey``: the other user on the same key.
    public var otherUserId: String?
}
