import Foundation
import Logging
import UserVaultCore

/// One repair for one user, planned (a dry run) or carried out (`--apply`): the `actions[]` of a
/// `rotate-keys` or `backfill` report. Never holds a password, a ciphertext byte or a secret.
public struct RepairAction: Sendable, Codable, Hashable {
    public enum Outcome: String, Sendable, Codable {
        /// A dry run: what `--apply` would do.
        case planned
        case done
        /// An attempted action failed (the reason is in `detail`); nothing was changed for this
        /// user. The only outcome that makes a repair exit 1.
        case failed
        /// A record this repair cannot act on (no key, no ciphertext, not ciphertext of the
        /// user's key, an email another user holds), left as is and reported with the audit
        /// finding code that explains it (``RepairAction/code``).
        case skipped
    }

    public var userId: String
    /// SCREAMING_SNAKE, e.g. `ENABLE_ROTATION`.
    public var action: String
    public var keyId: String?
    public var outcome: Outcome
    /// For `skipped`: the audit finding code that explains it (`KEY_NOT_FOUND`, `NOT_KMS_CIPHERTEXT`, ...).
    public var code: String?
    public var detail: String

    public init(userId: String, action: String, keyId: String? = nil, outcome: Outcome, detail: String) {
        self.userId = userId
        self.action = action
        self.keyId = keyId
        self.outcome = outcome
        self.detail = detail
    }

    /// A record this repair cannot act on, with the finding code that explains it.
    static func skipped(_ userId: String, _ action: String, keyId: String? = nil, _ code: FindingCode,
                        _ detail: String) -> RepairAction {
        var skipped = RepairAction(userId: userId, action: action, keyId: keyId, outcome: .skipped, detail: detail)
        skipped.code = code.rawValue
        return skipped
    }

    /// What an attempted step that threw `error` makes of this user, by one rule for every repair:
    /// KMS's answer about the user's key or ciphertext (not found, disabled, pending deletion,
    /// another key's or no ciphertext) is a record it cannot act on, `skipped` with the finding
    /// code; a ``ServiceFailure`` is rethrown (no outcome: the page is tried again); anything
    /// else is `failed`.
    ///
    /// - Parameter doing: what was attempted, for the detail (`ReEncrypt under the user's key`).
    static func outcome(of error: any Error, userId: String, action: String, keyId: String?,
                        doing: String) throws -> RepairAction {
        if let failure = ServiceFailure(error) { throw failure }
        let detail = "\(doing) failed: \(UserService.safeDescription(error))"
        if let error = error as? KeyServiceError, let code = FindingCode(answer: error) {
            return skipped(userId, action, keyId: keyId, code, detail)
        }
        return RepairAction(userId: userId, action: action, keyId: keyId, outcome: .failed, detail: detail)
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
    ///
    /// - Throws: ``ServiceFailure`` when a service failed under the page (throttling, 5xx, the
    ///   network, after the retries): the page is not committed and is tried again.
    func repair(_ users: [StoredItem], apply: Bool, runId: String) async throws -> [RepairAction]

    /// After a complete scan (every page of the run done): what can only be decided once every
    /// user has been seen (rekey's old keys), its actions committed to `state` as it goes so that
    /// a resumed run does not do them twice. Returns `false` when stopped before its end (the run
    /// is then partial). The default does nothing.
    func finish(table: any UserTable, state: RunState, apply: Bool, runId: String, logger: Logger) async throws -> Bool
}

extension RepairPlanner {
    public func finish(table: any UserTable, state: RunState, apply: Bool, runId: String, logger: Logger) async throws -> Bool {
        true
    }
}
