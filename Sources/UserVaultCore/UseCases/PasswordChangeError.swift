import Foundation

/// Why a new password was not set. Descriptions name the user, never the password.
public struct PasswordChangeError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case noSuchUser, changedMeanwhile
    }

    private var code: Code
    public var description: String

    private init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    /// No users item has this id.
    public static func noSuchUser(_ userId: String) -> Self { .init(.noSuchUser, "no user with id \(userId)") }

    /// The record changed between its read and the conditional write: nothing was written.
    public static func changedMeanwhile(_ userId: String) -> Self {
        .init(.changedMeanwhile, "user \(userId) changed while its password was being set: nothing was written; set it again")
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
