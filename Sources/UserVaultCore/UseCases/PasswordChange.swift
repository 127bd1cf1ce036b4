import Foundation

/// What ``UserService/setPassword(userId:password:logger:)`` did. Names keys and users, never a
/// password or a ciphertext byte.
public struct PasswordChange: Sendable, Hashable {
    public var userId: String
    /// The key the new credentials are sealed under (its ARN).
    public var keyId: String
    /// Why the user's key could not be used and a new one was made; `nil` when the user's own
    /// key was used.
    public var newKeyReason: String?
    /// The key the user moved off (a new key was made and the record named or was tagged with
    /// this one); `nil` when there was none.
    public var previousKey: String?
    /// What became of ``previousKey`` (``KeyRetirement``), decided after the write.
    public var retirement: KeyRetirement.Outcome?

    public init(userId: String, keyId: String, newKeyReason: String? = nil, previousKey: String? = nil,
                retirement: KeyRetirement.Outcome? = nil) {
        self.userId = userId
        self.keyId = keyId
        self.newKeyReason = newKeyReason
        self.previousKey = previousKey
        self.retirement = retirement
    }

    /// One line for people.
    public var summary: String {
        guard let newKeyReason else { return "password set for user \(userId), sealed under its own key \(keyId)" }
        var line = "password set for user \(userId) under a new CMK \(keyId) (tagged \(UserKeys.ownerLabel(userId: userId)), "
            + "rotation on) because \(newKeyReason)"
        if let previousKey, let retirement { line += "; the old key \(previousKey) is \(retirement)" }
        return line
    }
}
