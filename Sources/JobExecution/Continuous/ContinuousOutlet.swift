import Foundation
import Jobs
import Logging
import UserVaultCore

/// Where the results of the continuous proofs go — the `stream` and `key-events` handlers and
/// `uservault watch` alike — exactly where the nightly audit's go, with the same finding
/// identity: one OCSF Detection Finding line per finding opened or resolved (for a log
/// subscription), and Security Hub (imported ACTIVE under the nightly `Id`, archived when a
/// re-proof passes) when findings are published there.
public struct ContinuousOutlet: Sendable {
    var backend: String
    var table: String
    /// Security Hub, when findings are published there: it is then also what is open.
    var publisher: SecurityHubPublisher?

    public init(backend: String, table: String, publisher: SecurityHubPublisher?) {
        self.backend = backend
        self.table = table
        self.publisher = publisher
    }

    /// What is open before a re-proof: Security Hub's ACTIVE findings when publishing (one
    /// ledger per invocation: it keeps what it read, to update or archive it), else nothing.
    public func ledger() -> any FindingLedger {
        publisher.map { SecurityHubLedger(publisher: $0) } ?? NoFindingLedger()
    }

    /// The OCSF lines of `changes`: the opened findings (an accepted one with status Suppressed,
    /// as in an audit's findings.ocsf.json), then the resolved ones (status Resolved, whatever
    /// accepted them while they were open).
    public func ocsfLines(_ changes: FindingChanges, runId: String, job: String, at date: Date = Date()) -> [String] {
        changes.opened.map { OCSFFindings.line($0, backend: backend, table: table, runId: runId, job: job, at: date) }
            + changes.resolved.map { finding in
                var finding = finding
                finding.suppressed = nil
                return OCSFFindings.line(finding, resolved: true, backend: backend, table: table, runId: runId, job: job, at: date)
            }
    }

    /// Sends `changes` to Security Hub when publishing (the ledger must be this outlet's); `nil` otherwise.
    public func publish(_ changes: FindingChanges, ledger: any FindingLedger, runId: String, logger: Logger) async -> FindingsPublication? {
        guard let ledger = ledger as? SecurityHubLedger, !(changes.current.isEmpty && changes.resolved.isEmpty) else { return nil }
        return await ledger.publish(changes, runId: runId, logger: logger)
    }

    /// One line for people per finding opened or resolved (`uservault watch`); an accepted
    /// finding's line ends with its acceptance: `; accepted (rule R, owner O, until D)`.
    static func textLines(_ changes: FindingChanges) -> [String] {
        func line(_ verb: String, _ finding: Finding) -> String {
            var text = "\(verb) \(finding.severity.rawValue.uppercased()) \(finding.code.rawValue) user \(finding.userId ?? "-")"
            if let keyId = finding.keyId { text += " key \(keyId)" }
            guard verb == "opened" else { return text }
            text += ": \(finding.detail)"
            if let mark = finding.suppressed { text += "; accepted (rule \(mark.rule), owner \(mark.owner), until \(mark.expires))" }
            return text
        }
        return changes.opened.map { line("opened", $0) } + changes.resolved.map { line("resolved", $0) }
    }
}
