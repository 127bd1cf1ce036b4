import Foundation
import UserVaultCore

/// A real ``UserTable`` with hooks around some of its calls: how a test makes a race happen
/// exactly where it wants it — another writer between a read and a conditional write, a user
/// written just before a re-read — without a sleep. Every call goes to `base`.
public struct HookedUserTable: UserTable {
    public let base: any UserTable
    /// Runs before ``item(id:)`` reads, with the id.
    public var beforeItem: @Sendable (String) async throws -> Void
    /// Runs before ``replaceCredentials(userId:expected:expectedKeyId:ciphertext:keyId:createdAt:)``, with the user id.
    public var beforeReplaceCredentials: @Sendable (String) async throws -> Void
    /// Runs after it, with the user id and whether it wrote.
    public var afterReplaceCredentials: @Sendable (String, Bool) -> Void

    public init(_ base: any UserTable, beforeItem: @escaping @Sendable (String) async throws -> Void = { _ in },
                beforeReplaceCredentials: @escaping @Sendable (String) async throws -> Void = { _ in },
                afterReplaceCredentials: @escaping @Sendable (String, Bool) -> Void = { _, _ in }) {
        self.base = base
        self.beforeItem = beforeItem
        self.beforeReplaceCredentials = beforeReplaceCredentials
        self.afterReplaceCredentials = afterReplaceCredentials
    }

    public var backendName: String { base.backendName }
    public var tableName: String { base.tableName }
    public func ensureTable() async throws -> Bool { try await base.ensureTable() }
    public func insertUser(_ record: NewUserRecord) async throws { try await base.insertUser(record) }
    public func user(id: String) async throws -> UserSummary? { try await base.user(id: id) }
    public func item(id: String) async throws -> StoredItem? {
        try await beforeItem(id)
        return try await base.item(id: id)
    }
    public func users(withEmails emails: [String]) async throws -> [UserSummary] { try await base.users(withEmails: emails) }
    public func scan(_ request: ScanRequest) async throws -> ScanPage { try await base.scan(request) }
    public func unconditionalPut(_ item: StoredItem) async throws { try await base.unconditionalPut(item) }
    public func approximateItemCount() async throws -> Int? { try await base.approximateItemCount() }
    public func provisionedReadCapacity() async throws -> Double? { try await base.provisionedReadCapacity() }
    public func emailGuardHolder(email: String) async throws -> String? { try await base.emailGuardHolder(email: email) }
    public func claimEmailGuard(email: String, userId: String) async throws -> String {
        try await base.claimEmailGuard(email: email, userId: userId)
    }
    public func replaceCredentials(userId: String, expected: StoredCredentials?, expectedKeyId: String?, ciphertext: Data,
                                   keyId: String, createdAt: String?) async throws -> Bool {
        try await beforeReplaceCredentials(userId)
        let written = try await base.replaceCredentials(userId: userId, expected: expected, expectedKeyId: expectedKeyId,
                                                        ciphertext: ciphertext, keyId: keyId, createdAt: createdAt)
        afterReplaceCredentials(userId, written)
        return written
    }
}
