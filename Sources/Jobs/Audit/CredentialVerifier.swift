import Foundation
import UserVaultCore

/// The per-user checks of the standard audit: at most two key-service requests per user
/// (DescribeKey for the key's state, then ReEncrypt to the same key as the proof), never Decrypt.
///
/// Which verification applies is read from the item itself: records written by UserVault carry
/// `credentialsKeyId` and are bound to `{"userId": id}`; legacy records (the original service)
/// have neither, and their key is the one tagged `CreatedBy=<id>` (`keyOwner`).
public struct CredentialVerifier: Sendable {
    /// The outcome for one user.
    public struct Verdict: Sendable, Hashable {
        public var findings: [Finding] = []
        /// The key the credentials are (proven or claimed to be) sealed under: shared keys are
        /// found across the whole scan from these.
        public var keyId: String?
        /// `true` when ReEncrypt proved the ciphertext under the user's own, enabled key.
        public var verified = false
        public var keyRequests = 0
    }

    let keys: any KeyService
    /// The CMK tagged `CreatedBy=<user id>`, for legacy records without `credentialsKeyId`.
    let keyOwner: @Sendable (String) async throws -> String?

    public init(keys: any KeyService, keyOwner: @escaping @Sendable (String) async throws -> String?) {
        self.keys = keys
        self.keyOwner = keyOwner
    }

    public func verify(_ item: StoredItem) async -> Verdict {
        var verdict = Verdict()
        let userId = item.id
        func finding(_ code: FindingCode, keyId: String? = nil, _ detail: String) -> Verdict {
            verdict.findings.append(Finding(code, userId: userId, keyId: keyId, detail: detail))
            return verdict
        }
        let ciphertext: Data
        switch item.credentials {
        case nil:
            return finding(.credentialsMissing, "no credentials attribute")
        case .string(let value)?:
            return finding(.credentialsPlaintext, "credentials stored as a string (\(value.utf8.count) bytes)")
        case .other(let typeName)?:
            return finding(.invalidRecord, "credentials stored as type \(typeName), expected binary")
        case .binary(let data)?:
            ciphertext = data
        }
        if Self.looksLikePlaintext(ciphertext) {
            return finding(.credentialsPlaintext, "credentials are \(ciphertext.count) printable bytes, not ciphertext")
        }
        let legacy = item.credentialsKeyId == nil
        let keyId: String
        if let recorded = item.credentialsKeyId {
            keyId = recorded
        } else {
            do {
                guard let owned = try await keyOwner(userId) else {
                    return finding(.keyNotFound, "no credentialsKeyId and no CMK tagged CreatedBy=\(userId)")
                }
                keyId = owned
            } catch {
                return finding(.unverifiable, "could not look up the key tagged CreatedBy=\(userId): \(UserService.safeDescription(error))")
            }
        }
        verdict.keyId = keyId
        // 1. The key's state, from DescribeKey (emulators still encrypt with disabled keys).
        let metadata: KeyMetadata
        do {
            verdict.keyRequests += 1
            metadata = try await keys.describeKey(keyId: keyId)
        } catch let error as KeyServiceError where error == .notFound {
            return finding(.keyNotFound, keyId: keyId, "the CMK does not exist")
        } catch {
            return finding(.unverifiable, keyId: keyId, "DescribeKey failed: \(UserService.safeDescription(error))")
        }
        switch metadata.state {
        case .enabled: break
        case .disabled: return finding(.keyDisabled, keyId: keyId, "the CMK is disabled")
        case .pendingDeletion: return finding(.keyPendingDeletion, keyId: keyId, "the CMK is scheduled for deletion")
        default: return finding(.unverifiable, keyId: keyId, "the CMK is in state \(metadata.state.rawValue)")
        }
        if metadata.keyManager != "CUSTOMER" {
            verdict.findings.append(Finding(.keyNotCustomerManaged, userId: userId, keyId: keyId,
                                            detail: "the key is managed by \(metadata.keyManager)"))
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
                return finding(.keyOwnerMismatch, keyId: result.sourceKeyId,
                               "the ciphertext is sealed under another CMK than the user's")
            }
            verdict.verified = verdict.findings.isEmpty
            return verdict
        } catch let error as KeyServiceError {
            switch error {
            case .invalidCiphertext:
                return finding(.notKMSCiphertext, keyId: keyId, legacy
                    ? "not a ciphertext of the user's CMK"
                    : "not a ciphertext of the user's CMK with encryption context {userId}")
            case .incorrectKey:
                return finding(.keyOwnerMismatch, keyId: keyId, "the ciphertext is sealed under another CMK than the user's")
            case .disabled:
                return finding(.keyDisabled, keyId: keyId, "the CMK is disabled")
            case .invalidState:
                return finding(.keyPendingDeletion, keyId: keyId, "the CMK is not usable: \(error.detail)")
            case .notFound:
                return finding(.keyNotFound, keyId: keyId, "the CMK does not exist")
            default:
                return finding(.unverifiable, keyId: keyId, "ReEncrypt failed: \(error.detail)")
            }
        } catch {
            return finding(.unverifiable, keyId: keyId, "ReEncrypt failed: \(UserService.safeDescription(error))")
        }
    }

    /// Printable ASCII only, and short: a password, not ciphertext (KMS ciphertext starts with
    /// non-printable header bytes; the embedded store's with its version byte 0x01).
    static func looksLikePlaintext(_ data: Data) -> Bool {
        !data.isEmpty && data.count <= 1024 && data.allSatisfy { (0x20...0x7E).contains($0) }
    }
}
