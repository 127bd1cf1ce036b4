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

    /// The codes only `--depth deep` finds (rotation status, key spec, orphan keys).
    public static let deepOnly: Set<FindingCode> = [.keyRotationDisabled, .keySpecUnexpected, .orphanKey]

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

    /// What to do about it, for `report.md`: a `uservault` command that exists (in backticks,
    /// `USER_ID` standing for the finding's user), or plainly a fix by hand. A test parses every
    /// `uservault …` command named here.
    public var remedy: String {
        switch self {
        case .credentialsMissing:
            "The user cannot sign in: set a new password (`uservault set-password USER_ID`, the password on standard input)."
        case .credentialsPlaintext:
            "A password is stored readable: encrypt it (`uservault backfill encrypt-plaintext --apply`), then, as it was exposed, "
                + "set a new one (`uservault set-password USER_ID`)."
        case .notKMSCiphertext:
            "The value is not ciphertext under the user's key (random or truncated bytes, or a wrong encryption context): the "
                + "password cannot be recovered; set a new one (`uservault set-password USER_ID`)."
        case .keyNotFound:
            "The CMK is gone or never existed: the password cannot be recovered; set a new one, under a new key "
                + "(`uservault set-password USER_ID`)."
        case .keyDisabled:
            "If the disablement was a mistake, re-enable the CMK by hand (`aws kms enable-key`); otherwise set a new password "
                + "under a new key (`uservault set-password USER_ID`), which schedules the disabled one for deletion."
        case .keyPendingDeletion:
            "Cancel the deletion now, by hand (`aws kms cancel-key-deletion`, then `aws kms enable-key`), or the password is lost "
                + "for good; once the key is gone, set a new password (`uservault set-password USER_ID`)."
        case .keyNotCustomerManaged:
            "Credentials must be sealed under a customer managed per-user key: re-key the user (`uservault rotate-keys --mode rekey --apply`)."
        case .keySpecUnexpected:
            "Per-user CMKs are symmetric (SYMMETRIC_DEFAULT): re-key the user onto one (`uservault rotate-keys --mode rekey --apply`)."
        case .keyShared:
            "Several users share one CMK: re-key each of them onto a key of its own (`uservault rotate-keys --mode rekey --apply`)."
        case .keyOwnerMismatch:
            "The CMK belongs to someone else (tag or proof): re-key the user (`uservault rotate-keys --mode rekey --apply`)."
        case .keyRotationDisabled:
            "Turn on automatic rotation (`uservault rotate-keys --mode enable-rotation --apply`)."
        case .orphanKey:
            "A per-user CMK no user references costs about $1 a month: when its user no longer exists, "
                + "`uservault rotate-keys --mode prune-orphans --apply` schedules its deletion (after a 24 h grace period); a key "
                + "whose user exists is for people to check and schedule by hand (`aws kms schedule-key-deletion`)."
        case .duplicateEmail:
            "Two users share one email (case-insensitive): merge or correct them by hand, then write the guards "
                + "(`uservault backfill email-guards --apply`)."
        case .invalidRecord:
            "The item does not have the users shape: a fix by hand (inspect and repair the item)."
        case .unverifiable:
            "The check could not run (access denied, retries exhausted): fix the access by hand, then audit again (`uservault audit`)."
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
    /// The rule of the suppressions file that accepted it; `nil` when none did. An accepted
    /// finding stays in every output and never counts for `--fail-on` or the exit code.
    public var suppressed: Suppression?

    public init(_ code: FindingCode, userId: String?, keyId: String? = nil, detail: String, suppressed: Suppression? = nil) {
        self.code = code
        self.severity = code.severity
        self.userId = userId
        self.keyId = keyId
        self.detail = detail
        self.suppressed = suppressed
    }
}
