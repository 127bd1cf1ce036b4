import Foundation

/// Which finding codes a re-proof of one user decides: a code it can find, and so, when it does
/// not find it, may call resolved.
public struct ReproofCoverage: Sendable, Hashable {
    public var depth: AuditDepth
    public var keyState: KeyStateSource

    public init(depth: AuditDepth, keyState: KeyStateSource) {
        self.depth = depth
        // Deep depth describes every key anyway (``CredentialVerifier``).
        self.keyState = depth == .deep ? .describe : keyState
    }

    public func decides(_ code: FindingCode) -> Bool {
        switch code {
        case .credentialsMissing, .credentialsPlaintext, .notKMSCiphertext, .keyNotFound, .keyDisabled, .keyPendingDeletion,
             .invalidRecord, .unverifiable:
            return true
        case .keyNotCustomerManaged:
            return keyState == .describe
        case .keyOwnerMismatch, .keyRotationDisabled, .keySpecUnexpected:
            // Standard depth finds a mismatch by the proof only, not by the owner tag.
            return depth == .deep
        case .keyShared, .duplicateEmail, .orphanKey:
            // Across users: only a scan of the whole table finds or clears them.
            return false
        }
    }
}
