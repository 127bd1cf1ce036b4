import Foundation
import UserVaultCore

/// How much the audit checks per user.
public enum AuditDepth: String, Sendable, Codable, CaseIterable {
    /// Credentials present, binary, not plaintext, proven by ReEncrypt to the same key; the key
    /// exists, is enabled and customer managed (DescribeKey). At most two KMS requests per user.
    case standard
    /// Also the key's rotation status (GetKeyRotationStatus), its `CreatedBy` owner tag, its key
    /// spec; and, across the scan, orphan per-user CMKs. Three KMS requests per user.
    case deep
}

/// The per-user checks of the audit: DescribeKey for the key's state, then ReEncrypt to the same
/// key as the proof — never Decrypt; at deep depth also GetKeyRotationStatus.
///
/// Which verification applies is read from the item itself: records written by UserVault carry
/// `credentialsKeyId` and are bound to `{"userId": id}`; legacy records (the original service)
/// have neither, and their key is the one tagged `CreatedBy=<id>` (``KeyOwnership``). No call is
/// ever made just to find out which case applies.
public struct CredentialVerifier: Sendable {
    /// The outcome for one user.
    public struct Verdict: Sendable, Hashable {
        public var findings: [Finding] = []
        /// The key the credentials are (proven or claimed to be) sealed under: shared keys are
        /// found across the whole scan from these.
        public var keyId: String?
        /// `true` when the ciphertext was proven under the user's own, enabled key and nothing
        /// else was found.
        public var verified = false
        public var keyRequests = 0
    }

    let keys: any KeyService
    let depth: AuditDepth
    let ownership: KeyOwnership

    public init(keys: any KeyService, depth: AuditDepth = .standard, ownership: KeyOwnership) {
        self.keys = keys
        self.depth = depth
        self.ownership = ownership
    }

    public func verify(_ item: StoredItem) async -> Verdict {
        var verdict = Verdict()
        let userId = item.id
        func add(_ code: FindingCode, keyId: String? = nil, _ detail: String) {
            verdict.findings.append(Finding(code, userId: userId, keyId: keyId, detail: detail))
        }
        let ciphertext: Data
        switch item.credentials {
        case nil:
            add(.credentialsMissing, "no credentials attribute")
            return verdict
        case .string(let value)?:
            add(.credentialsPlaintext, "credentials stored as a string (\(value.utf8.count) bytes)")
            return verdict
        case .other(let typeName)?:
            add(.invalidRecord, "credentials stored as type \(typeName), expected binary")
            return verdict
        case .binary(let data)?:
            ciphertext = data
        }
        if Self.looksLikePlaintext(ciphertext) {
            add(.credentialsPlaintext, "credentials are \(ciphertext.count) printable bytes, not ciphertext")
            return verdict
        }
        let legacy = item.credentialsKeyId == nil
        var index: KeyOwnership.Index?
        if legacy || depth == .deep {
            do {
                index = try await ownership.index()
            } catch {
                add(.unverifiable, "could not list the CMKs by their CreatedBy tag: \(UserService.safeDescription(error))")
                return verdict
            }
        }
        let keyId: String
        if let recorded = item.credentialsKeyId {
            keyId = recorded
        } else {
            let owned = index?.keysByOwner[userId] ?? []
            guard let only = owned.first else {
                add(.keyNotFound, "the record names no key (no credentialsKeyId) and no CMK is tagged CreatedBy=\(userId)")
                return verdict
            }
            guard owned.count == 1 else {
                add(.unverifiable, "the record names no key and \(owned.count) CMKs are tagged CreatedBy=\(userId): "
                    + "record the right one (`uservault backfill key-metadata`)")
                return verdict
            }
            keyId = only
        }
        verdict.keyId = keyId

        // 1. The key's state, from DescribeKey (emulators still encrypt with disabled keys).
        let metadata: KeyMetadata
        do {
            verdict.keyRequests += 1
            metadata = try await keys.describeKey(keyId: keyId)
        } catch let error as KeyServiceError where error == .notFound {
            add(.keyNotFound, keyId: keyId, "the CMK does not exist")
            return verdict
        } catch {
            add(.unverifiable, keyId: keyId, "DescribeKey failed: \(UserService.safeDescription(error))")
            return verdict
        }
        switch metadata.state {
        case .enabled: break
        case .disabled:
            add(.keyDisabled, keyId: keyId, "the CMK is disabled")
            return verdict
        case .pendingDeletion:
            add(.keyPendingDeletion, keyId: keyId, "the CMK is scheduled for deletion")
            return verdict
        default:
            add(.unverifiable, keyId: keyId, "the CMK is in state \(metadata.state.rawValue)")
            return verdict
        }
        if metadata.keyManager != "CUSTOMER" {
            add(.keyNotCustomerManaged, keyId: keyId, "the key is managed by \(metadata.keyManager)")
        }

        // 2. The proof: re-encrypt to the same key, with the context this record must have.
        let context = legacy ? [:] : UserService.encryptionContext(userId: userId)
        do {
            verdict.keyRequests += 1
            let result = try await keys.reEncrypt(ReEncryptRequest(
                ciphertext: ciphertext, sourceKeyId: keyId, sourceContext: context, destinationKeyId: keyId,
                destinationContext: context))
            if KeyReference.bareKeyId(result.sourceKeyId) != KeyReference.bareKeyId(keyId) {
                // An emulator may ignore SourceKeyId and report the real key instead of refusing.
                verdict.keyId = result.sourceKeyId
                add(.keyOwnerMismatch, keyId: result.sourceKeyId, "the ciphertext is sealed under another CMK than the user's")
            }
        } catch let error as KeyServiceError {
            switch error {
            case .invalidCiphertext:
                add(.notKMSCiphertext, keyId: keyId, legacy
                    ? "not a ciphertext of the user's CMK"
                    : "not a ciphertext of the user's CMK with encryption context {userId}")
            case .incorrectKey:
                add(.keyOwnerMismatch, keyId: keyId, "the ciphertext is sealed under another CMK than the user's")
            case .disabled:
                add(.keyDisabled, keyId: keyId, "the CMK is disabled")
            case .invalidState:
                add(.keyPendingDeletion, keyId: keyId, "the CMK is not usable: \(error.detail)")
            case .notFound:
                add(.keyNotFound, keyId: keyId, "the CMK does not exist")
            default:
                add(.unverifiable, keyId: keyId, "ReEncrypt failed: \(error.detail)")
            }
        } catch {
            add(.unverifiable, keyId: keyId, "ReEncrypt failed: \(UserService.safeDescription(error))")
        }

        // 3. Deep: the key's own metadata.
        if depth == .deep, let index {
            if metadata.keySpec != "SYMMETRIC_DEFAULT" {
                add(.keySpecUnexpected, keyId: keyId, "the key spec is \(metadata.keySpec), expected SYMMETRIC_DEFAULT")
            }
            switch index.ownerByKey[KeyReference.bareKeyId(keyId)] {
            case nil:
                add(.keyOwnerMismatch, keyId: keyId, "the CMK carries no CreatedBy tag")
            case let owner? where owner != userId:
                add(.keyOwnerMismatch, keyId: keyId, "the CMK is tagged CreatedBy=\(owner), another user")
            default:
                break
            }
            do {
                verdict.keyRequests += 1
                if try await !keys.keyRotationEnabled(keyId: keyId) {
                    add(.keyRotationDisabled, keyId: keyId, "automatic rotation is off")
                }
            } catch {
                add(.unverifiable, keyId: keyId, "GetKeyRotationStatus failed: \(UserService.safeDescription(error))")
            }
        }
        verdict.verified = verdict.findings.isEmpty
        return verdict
    }

    /// Printable ASCII only, and short: a password, not ciphertext (KMS ciphertext starts with
    /// non-printable header bytes; the embedded store's with its version byte 0x01).
    static func looksLikePlaintext(_ data: Data) -> Bool {
        !data.isEmpty && data.count <= 1024 && data.allSatisfy { (0x20...0x7E).contains($0) }
    }
}
