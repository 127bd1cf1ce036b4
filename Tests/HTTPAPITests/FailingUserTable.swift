import Foundation
import UserVaultCore

/// A narrow stand-in for the one thing the real SQLite store cannot do on demand: fail like a
/// throttled or broken DynamoDB. Every call throws `error`.
struct FailingUserTable: UserTable {
    var error: UserTableError
    var backendName: String { "failing" }
    var tableName: String { "users" }

    func ensureTable() async throws -> Bool { throw error }
    func insertUser(_ record: NewUserRecord) async throws { throw error }
    func user(id: String) async throws -> UserSummary? { throw error }
    func item(id: String) async throws -> StoredItem? { throw error }
    func users(withEmails emails: [String]) async throws -> [UserSummary] { throw error }
    func scan(_ request: ScanRequest) async throws -> ScanPage { throw error }
    func unconditionalPut(_ item: StoredItem) async throws { throw error }
    func approximateItemCount() async throws -> Int? { throw error }
}
