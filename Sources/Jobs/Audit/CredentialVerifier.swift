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

/// Where the audit reads a key's state from.
public enum KeyStateSource: String, Sendable, Codable, CaseIterable {
    /// The proof's own answer: KMS refuses ReEncrypt under a disabled key (`DisabledException`),
    /// a key pending deletion (`KMSInvalidStateException`), a missing one (`NotFoundException`),
    /// another key's ciphertext (`IncorrectKeyException`) and garbage
    /// (`InvalidCiphertextException`). One KMS request per user; DescribeKey only where an answer
    /// needs more (an invalid state: pending deletion or another). Deep depth describes anyway.
    ///
    /// - Warning: Without DescribeKey a record naming an AWS managed key by its ARN is not found
    ///   at standard depth (`KEY_NOT_CUSTOMER_MANAGED`); deep depth finds it.
    case proof
    /// DescribeKey first, then ReEncrypt for enabled keys: for emulators (moto) that ignore key
    /// state in crypto calls. Two KMS requests per user.
    case describe
}

/// The per-user checks of the audit: ReEncrypt to the same key as the proof — never Decrypt —
/// with the key's state from DescribeKey first (``KeyStateSource/describe``) or from the proof's
/// own answer (``KeyStateSource/proof``); at deep depth also GetKeyRotationStatus.
///
/// Which verification applies is read from the item itself: records written by UserVault carry
/// `credentialsKeyId` and are bound to `{"userId": id}`; legacy records (the original service)
/// have neither, and their key is the one tagged `CreatedBy=<id>` (``UserKeys``, listed once per
/// run by ``KeyOwnership``). No call is ever made just to find out which case applies.
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
    let keyState: KeyStateSource

    public init(keys: any KeyService, depth: AuditDepth = .standard, ownership: KeyOwnership,
                keyState: KeyStateSource = .describe) {
        self.keys = keys
        self.depth = depth
        self.ownership = ownership
        // Deep depth needs each key's metadata (spec, manager): it describes every key anyway.
        self.keyState = depth == .deep ? .describe : keyState
    }

    public func verify(_ item: StoredItem) async throws -> Verdict {
        try await verify([item])[0]
    }

    /// The verdicts of a page of users, in order. The key service gets each step as one batch
    /// (DescribeKey for all, then ReEncrypt for those whose key is enabled, then, deep, the
    /// rotation status): still one request per user per step on KMS, one read on the embedded store.
    ///
    /// - Throws: ``ServiceFailure`` when KMS or the tagging API failed as a service (throttling,
    ///   5xx, the network, after the retries): that says nothing about these users, so the page
    ///   gets no verdict and is tried again. Any error listing the `CreatedBy` keys when the page
    ///   needs them: without it, legacy users cannot be evaluated.
    public func verify(_ items: [StoredItem]) async throws -> [Verdict] {
        var verdicts = [Verdict](repeating: Verdict(), count: items.count)
        func add(_ index: Int, _ code: FindingCode, keyId: String? = nil, _ detail: String) {
            verdicts[index].findings.append(Finding(code, userId: items[index].id, keyId: keyId, detail: detail))
        }
        // 0. What the item itself says: no request.
        var pending: [(index: Int, keyId: String, ciphertext: Data, legacy: Bool)] = []
        var index: UserKeys.Owners?
        if depth == .deep || items.contains(where: { $0.credentialsKeyId == nil }) {
            index = try await ownership.indexForPage()
        }
        for (position, item) in items.enumerated() {
            let ciphertext: Data
            switch item.credentials {
            case nil:
                add(position, .credentialsMissing, "no credentials attribute")
                continue
            case .string(let value)?:
                add(position, .credentialsPlaintext, "credentials stored as a string (\(value.utf8.count) bytes)")
                continue
            case .other(let typeName)?:
                add(position, .invalidRecord, "credentials stored as type \(typeName), expected binary")
                continue
            case .binary(let data)?:
                ciphertext = data
            }
            if UserKeys.looksLikePlaintext(ciphertext) {
                add(position, .credentialsPlaintext, "credentials are \(ciphertext.count) printable bytes, not ciphertext")
                continue
            }
            switch UserKeys.key(of: item, owners: index) {
            case .found(let keyId):
                pending.append((position, keyId, ciphertext, item.credentialsKeyId == nil))
            case .notFound:
                add(position, .keyNotFound,
                    "the record names no key (no credentialsKeyId) and no CMK is tagged \(UserKeys.ownerLabel(userId: item.id))")
            case .ambiguous(let count):
                add(position, .unverifiable, "the record names no key and \(count) CMKs are tagged \(UserKeys.ownerLabel(userId: item.id)): "
                    + "record the right one (`uservault backfill key-metadata`)")
            }
        }
        for entry in pending { verdicts[entry.index].keyId = entry.keyId }

        // 1. The keys' states, from DescribeKey (emulators still encrypt with disabled keys), or,
        //    proof mode, from the proof itself below.
        let described = keyState == .describe ? try ServiceFailure.check(await keys.describeKeys(pending.map(\.keyId))) : []
        var enabled: [(entry: (index: Int, keyId: String, ciphertext: Data, legacy: Bool), metadata: KeyMetadata?)] =
            keyState == .describe ? [] : pending.map { ($0, nil) }
        for (entry, result) in zip(pending, described) {
            verdicts[entry.index].keyRequests += 1
            switch result {
            case .failure(let error as KeyServiceError) where error == .notFound:
                add(entry.index, .keyNotFound, keyId: entry.keyId, "the CMK does not exist")
            case .failure(let error):
                add(entry.index, .unverifiable, keyId: entry.keyId, "DescribeKey failed: \(UserService.safeDescription(error))")
            case .success(let metadata):
                switch metadata.state {
                case .enabled:
                    if metadata.keyManager != "CUSTOMER" {
                        add(entry.index, .keyNotCustomerManaged, keyId: entry.keyId, "the key is managed by \(metadata.keyManager)")
                    }
                    enabled.append((entry, metadata))
                case .disabled:
                    add(entry.index, .keyDisabled, keyId: entry.keyId, "the CMK is disabled")
                case .pendingDeletion:
                    add(entry.index, .keyPendingDeletion, keyId: entry.keyId, "the CMK is scheduled for deletion")
                default:
                    add(entry.index, .unverifiable, keyId: entry.keyId, "the CMK is in state \(metadata.state.rawValue)")
                }
            }
        }

        // 2. The proof: re-encrypt to the same key, with the context the record must have.
        let proofs = try ServiceFailure.check(await keys.reEncrypt(all: enabled.map { entry, _ in
            let context = UserKeys.encryptionContext(of: items[entry.index])
            return ReEncryptRequest(ciphertext: entry.ciphertext, sourceKeyId: entry.keyId, sourceContext: context,
                                    destinationKeyId: entry.keyId, destinationContext: context)
        }))
        for ((entry, _), result) in zip(enabled, proofs) {
            let (position, keyId) = (entry.index, entry.keyId)
            verdicts[position].keyRequests += 1
            switch result {
            case .success(let proof):
                if !KeyReference.sameKey(proof.sourceKeyId, keyId) {
                    // An emulator may ignore SourceKeyId and report the real key instead of refusing.
                    verdicts[position].keyId = proof.sourceKeyId
                    add(position, .keyOwnerMismatch, keyId: proof.sourceKeyId, "the ciphertext is sealed under another CMK than the user's")
                }
            case .failure(let error as KeyServiceError):
                switch error {
                case .invalidCiphertext:
                    add(position, .notKMSCiphertext, keyId: keyId, entry.legacy
                        ? "not a ciphertext of the user's CMK"
                        : "not a ciphertext of the user's CMK with encryption context {userId}")
                case .incorrectKey:
                    add(position, .keyOwnerMismatch, keyId: keyId, "the ciphertext is sealed under another CMK than the user's")
                case .disabled:
                    add(position, .keyDisabled, keyId: keyId, "the CMK is disabled")
                case .invalidState:
                    // Pending deletion, or another state: only DescribeKey tells which.
                    let state = try ServiceFailure.check(await keys.describeKeys([keyId]))[0]
                    verdicts[position].keyRequests += 1
                    switch state {
                    case .success(let metadata) where metadata.state == .pendingDeletion:
                        add(position, .keyPendingDeletion, keyId: keyId, "the CMK is scheduled for deletion")
                    case .success(let metadata) where metadata.state == .disabled:
                        add(position, .keyDisabled, keyId: keyId, "the CMK is disabled")
                    case .success(let metadata):
                        add(position, .unverifiable, keyId: keyId, "the CMK is in state \(metadata.state.rawValue)")
                    case .failure:
                        add(position, .keyPendingDeletion, keyId: keyId, "the CMK is not usable: \(error.detail)")
                    }
                case .notFound:
                    add(position, .keyNotFound, keyId: keyId, "the CMK does not exist")
                default:
                    add(position, .unverifiable, keyId: keyId, "ReEncrypt failed: \(error.detail)")
                }
            case .failure(let error):
                add(position, .unverifiable, keyId: keyId, "ReEncrypt failed: \(UserService.safeDescription(error))")
            }
        }

        // 3. Deep: the key's own metadata, its owner tag and its rotation.
        if depth == .deep, let index {
            for (entry, metadata) in enabled {
                if let metadata, metadata.keySpec != "SYMMETRIC_DEFAULT" {
                    add(entry.index, .keySpecUnexpected, keyId: entry.keyId, "the key spec is \(metadata.keySpec), expected SYMMETRIC_DEFAULT")
                }
                switch index.owner(ofKey: entry.keyId) {
                case nil:
                    add(entry.index, .keyOwnerMismatch, keyId: entry.keyId, "the CMK carries no \(UserKeys.ownerTag) tag")
                case let owner? where owner != items[entry.index].id:
                    add(entry.index, .keyOwnerMismatch, keyId: entry.keyId,
                        "the CMK is tagged \(UserKeys.ownerLabel(userId: owner)), another user")
                default:
                    break
                }
            }
            let rotations = try ServiceFailure.check(await keys.keyRotationEnabled(all: enabled.map(\.entry.keyId)))
            for ((entry, _), result) in zip(enabled, rotations) {
                verdicts[entry.index].keyRequests += 1
                switch result {
                case .success(true): break
                case .success(false): add(entry.index, .keyRotationDisabled, keyId: entry.keyId, "automatic rotation is off")
                case .failure(let error):
                    add(entry.index, .unverifiable, keyId: entry.keyId, "GetKeyRotationStatus failed: \(UserService.safeDescription(error))")
                }
            }
        }
        for position in verdicts.indices { verdicts[position].verified = verdicts[position].findings.isEmpty }
        return verdicts
    }
}
