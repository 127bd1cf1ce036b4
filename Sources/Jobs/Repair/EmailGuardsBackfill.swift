import Foundation
import UserVaultCore

/// `backfill email-guards`: write the email-uniqueness guard of every user created before guards
/// existed (the original service wrote none), so that a new user with the same email in other
/// letter case is refused (409). The guard is written only where none holds the email (a
/// conditional write); an email another user already holds is reported (`DUPLICATE_EMAIL`,
/// skipped), never resolved.
public struct EmailGuardsBackfill: RepairPlanner {
    public let job = "backfill"
    public var parameters: [String: String] { ["name": "email-guards"] }
    let table: any UserTable

    public init(table: any UserTable) {
        self.table = table
    }

    static let write = "WRITE_EMAIL_GUARD"
    static let duplicate = "DUPLICATE_EMAIL"

    public func repair(_ users: [StoredItem], apply: Bool, runId: String) async throws -> [RepairAction] {
        let table = self.table
        let candidates = users.compactMap { user in user.email.flatMap { $0.isEmpty ? nil : (id: user.id, email: $0) } }
        let results = try ServiceFailure.check(await concurrentMap(candidates) { user -> RepairAction? in
            let holder = try await table.emailGuardHolder(email: user.email)
            if holder == user.id { return nil }
            if let other = holder { return Self.duplicateAction(user.id, holder: other) }
            guard apply else {
                return RepairAction(userId: user.id, action: Self.write, outcome: .planned, detail: "no email guard: would write one")
            }
            let claimed = try await table.claimEmailGuard(email: user.email, userId: user.id)
            return claimed == user.id
                ? RepairAction(userId: user.id, action: Self.write, outcome: .done, detail: "email guard written")
                : Self.duplicateAction(user.id, holder: claimed)
        })
        return zip(candidates, results).compactMap { user, result in
            switch result {
            case .success(let action): return action
            case .failure(let error):
                return RepairAction(userId: user.id, action: Self.write, outcome: .failed,
                                    detail: "could not read or write the guard: \(UserService.safeDescription(error))")
            }
        }
    }

    static func duplicateAction(_ userId: String, holder: String) -> RepairAction {
        .skipped(userId, duplicate, .duplicateEmail,
                 "user \(holder) holds this email (compared case-insensitively): left as is, to be resolved by people")
    }
}
