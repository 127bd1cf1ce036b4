import Foundation
import Logging

extension UserService {
    /// Sets an existing user's password: the remedy of `CREDENTIALS_MISSING`, `NOT_KMS_CIPHERTEXT`
    /// and `KEY_NOT_FOUND` (`uservault set-password`).
    ///
    /// The password is validated by the create path's rule (``UserValidation/validatePassword(_:)``)
    /// and sealed as the create path seals it (``seal(_:userId:under:)``, context `{"userId": id}`):
    /// under the user's own key when it can take it — the key the record names (a legacy record:
    /// the one CMK tagged `CreatedBy=<id>`), enabled, customer managed, symmetric and tagged for
    /// the user — else under a new per-user CMK made as the create path makes one
    /// (``withNewUserKey(for:logger:_:)``: tagged, rotation on). One conditional write stores it
    /// and the key's ARN, only if the record still holds the credentials and key that were read.
    /// Only after that write does ``KeyRetirement`` decide about the key the user moved off
    /// (scheduled for deletion in ``Configuration/replacedKeyPendingDays`` only if it is tagged for
    /// the user and no other record names it). If the write loses, nothing is written, a new key
    /// is scheduled for deletion, and the old key is untouched.
    ///
    /// ```swift
    /// let change = try await service.setPassword(userId: id, password: newPassword)
    /// print(change.summary)   // names the keys, never the password
    /// ```
    ///
    /// - Throws: ``ValidationFailure`` (the password), ``PasswordChangeError/noSuchUser(_:)``,
    ///   ``PasswordChangeError/changedMeanwhile(_:)``, or the backend's error.
    public func setPassword(userId: String, password: String?,
                            logger: Logger = Logger(label: "uservault.core")) async throws -> PasswordChange {
        let password = try UserValidation.validatePassword(password).get()
        guard Self.isPlausibleId(userId), let item = try await table.item(id: userId), item.isUser else {
            throw PasswordChangeError.noSuchUser(userId)
        }
        /// Seals under `keyId` and writes, conditionally on what was read.
        func sealAndWrite(under keyId: String, recording arn: String) async throws {
            let ciphertext = try await seal(password, userId: userId, under: keyId)
            guard try await table.replaceCredentials(userId: userId, expected: item.credentials, expectedKeyId: item.credentialsKeyId,
                                                     ciphertext: ciphertext, keyId: arn, createdAt: nil) else {
                throw PasswordChangeError.changedMeanwhile(userId)
            }
        }
        switch try await PasswordKey.choose(for: item, keys: keys) {
        case .own(let key):
            try await sealAndWrite(under: key.keyId, recording: key.arn)
            logger.info("password set", metadata: ["userId": "\(userId)", "keyId": "\(key.arn)"])
            return PasswordChange(userId: userId, keyId: key.arn)
        case .replace(let reason, let previous):
            let key = try await withNewUserKey(for: userId, logger: logger) { key in
                try await sealAndWrite(under: key.keyId, recording: key.arn)
                return key
            }
            // The write is done: only now may the key the user moved off be retired.
            var retirement: KeyRetirement.Outcome?
            if let previous {
                retirement = await KeyRetirement(table: table, keys: keys, pendingDays: configuration.replacedKeyPendingDays)
                    .retire(previous, movedOffBy: userId)
            }
            logger.info("password set under a new key", metadata: [
                "userId": "\(userId)", "keyId": "\(key.arn)", "previousKey": "\(previous ?? "")",
                "previousKeyOutcome": "\(retirement.map(String.init(describing:)) ?? "")",
            ])
            return PasswordChange(userId: userId, keyId: key.arn, newKeyReason: reason, previousKey: previous, retirement: retirement)
        }
    }
}
