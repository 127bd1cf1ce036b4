import UserVaultCore

/// What the audit can find, with a severity and what to do about it.
public enum FindingCode: String, Sendable, Codable, CaseIterable {
    case credentialsMissing = "CREDENTIALS_MISSING"
    case credentialsPlaintext = "CREDENTIALS_PLAINTEXT"
    case notKMSCiphertext = "NOT_KMS_CIPHERTEXT"
    case keyNotFound = "KEY_NOT_FOUND"
    case keyDisabled = "KEY_DISABLED"
    case keyPendingDeletion = "KEY_PENDING_DELETION"
    case keyNotCustomerManaged = "KEY_NOT_CUSTOMER_MANAGED"
    case keySpecUnexpected = "KEY_SPEC_UNEXPECTED"
    case keyShared = "KEY_SHARED"
    case keyOwnerMismatch = "KEY_OWNER_MISMATCH"
    case keyRotationDisabled = "KEY_ROTATION_DISABLED"
    case orphanKey = "ORPHAN_KEY"
    case duplicateEmail = "DUPLICATE_EMAIL"
    case invalidRecord = "INVALID_RECORD"
    case unverifiable = "UNVERIFIABLE"

    /// The finding a key service's answer about one user's key or ciphertext amounts to (as the
    /// audit reads a failed proof); `nil` for errors that say nothing about the key.
    init?(answer error: KeyServiceError) {
        switch error {
        case .invalidCiphertext: self = .notKMSCiphertext
        case .incorrectKey: self = .keyOwnerMismatch
        case .disabled: self = .keyDisabled
        case .invalidState: self = .keyPendingDeletion
        case .notFound: self = .keyNotFound
        default: return nil
        }
    }

    public var severity: Severity {
        switch self {
        case .credentialsMissing, .credentialsPlaintext, .notKMSCiphertext, .keyNotFound, .keyDisabled,
             .keyPendingDeletion, .keyNotCustomerManaged, .keyShared, .keyOwnerMismatch, .unverifiable:
            return .high
        case .keyRotationDisabled, .keySpecUnexpected, .duplicateEmail, .invalidRecord:
            return .medium
        case .orphanKey:
            return .low
        }
    }

    /// What to do about it, for `report.md`.
    public var remedy: String {
        switch self {
        case .credentialsMissing: "The user cannot sign in; reset the password through the create path."
        case .credentialsPlaintext: "A password is stored readable: run `uservault backfill encrypt-plaintext --apply`, then force a reset."
        case .notKMSCiphertext: "The value is not ciphertext under the user's key (random or truncated bytes, or a wrong encryption context): reset the password."
        case .keyNotFound: "The CMK is gone or never existed: the password cannot be recovered; reset it under a new key."
        case .keyDisabled: "Re-enable the CMK if the disablement was a mistake, or re-key the user (`rotate-keys --mode rekey`)."
        case .keyPendingDeletion: "Cancel the key deletion now (`aws kms cancel-key-deletion`), or the password is lost for good."
        case .keyNotCustomerManaged: "Credentials must be sealed under a customer managed per-user key: re-key the user."
        case .keySpecUnexpected: "Per-user CMKs are symmetric (SYMMETRIC_DEFAULT): re-key the user onto one."
        case .keyShared: "Several users share one CMK: re-key each of them onto a key of its own (`rotate-keys --mode rekey`)."
        case .keyOwnerMismatch: "The CMK belongs to someone else (tag or proof): re-key the user."
        case .keyRotationDisabled: "Turn on automatic rotation (`rotate-keys --mode enable-rotation --apply`)."
        case .orphanKey: "A per-user CMK no user references: schedule it for deletion to stop paying for it."
        case .duplicateEmail: "Two users share one email (case-insensitive): merge or correct them, then run `backfill email-guards`."
        case .invalidRecord: "The item does not have the users shape: inspect and repair it by hand."
        case .unverifiable: "The check could not run (access denied, retries exhausted): fix access and run the audit again."
        }
    }
}

/// How bad a finding is; `--fail-on` compares against it.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case low, medium, high

    private var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// One finding about one user (or one key). `detail` never holds a password, a ciphertext
/// byte or a secret.
public struct Finding: Sendable, Hashable, Codable {
    public var code: FindingCode
    public var severity: Severity
    public var userId: String?
    public var keyId: String?
    public var detail: String
    /// Set when a suppressions rule accepts the finding (review part of issue #24).
    public var suppressed: Suppression?

    public init(_ code: FindingCode, userId: String?, keyId: String? = nil, detail: String) {
        self.code = code
        self.severity = code.severity
        self.userId = userId
        self.keyId = keyId
        self.detail = detail
    }
}
