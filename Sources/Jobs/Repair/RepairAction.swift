import Foundation
import UserVaultCore

/// One repair for one user, planned (a dry run) or carried out (`--apply`): the `actions[]` of a
/// `rotate-keys` or `backfill` report. Never holds a password, a ciphertext byte or a secret.
public struct RepairAction: Sendable, Codable, Hashable {
    public enum Outcome: String, Sendable, Codable {
        /// A dry run: what `--apply` would do.
        case planned
        case done
        /// `--apply` could not do it (the reason is in `detail`); nothing was changed for this user.
        case failed
        /// Left as is on purpose and reported, e.g. an email two users hold: for people to resolve.
        case skipped
    }

    public var userId: String
    /// SCREAMING_SNAKE, e.g. `ENABLE_ROTATION`.
    public var action: String
    public var keyId: String?
    public var outcome: Outcome
    public var detail: String

    public init(userId: String, action: String, keyId: String? = nil, outcome: Outcome, detail: String) {
        self.userId = userId
        self.action = action
        self.keyId = keyId
        self.outcome = outcome
        self.detail = detail
    }

    /// The report summary's key: `ENABLE_ROTATION_DONE`.
    var summaryKey: String { "\(action)_\(outcome.rawValue.uppercased())" }
}

/// What a repair does to a page of users: the actions it plans, and carries out when `apply`.
/// Every write it makes must be conditional on what it read, so that a page done twice (a resumed
/// run) changes nothing the second time.
public protocol RepairPlanner: Sendable {
    /// `rotate-keys` or `backfill`.
    var job: String { get }
    /// For the report and the checkpoint's fingerprint (`mode`, `name`, ...).
    var parameters: [String: String] { get }
    /// - Parameter runId: the run (a resumed run keeps its id): repairs that create keys tag them
    ///   with it, so that a page done again after a kill finds them instead of creating more.
    func repair(_ users: [StoredItem], apply: Bool, runId: String) async -> [RepairAction]
}
