import Foundation
import Jobs
import Logging
import UserVaultCore

/// Where the results of the continuous proofs go — the `stream` and `key-events` handlers and
/// `uservault watch` alike — exactly where the nightly audit's go, with the same finding
/// identity: one OCSF Detection Finding line per finding opened or resolved (for a log
/// subscription), and Security Hub (imported ACTIVE under the nightly `Id`, archived when a
/// re-proof passes) when findings are published there.
struct ContinuousOutlet: Sendable {
    var backend: String
    var table: String
    /// Security Hub, when findings are published there: it is then also what is open.
    var publisher: SecurityHubPublisher?

    /// What is open before a re-proof: Security Hub's ACTIVE findings when publishing (one
    /// ledger per invocation: it keeps what it read, to update or archive it), else nothing.
    func ledger() -> any FindingLedger {
        publisher.map { SecurityHubLedger(publisher: $0) } ?? NoFindingLedger()
    }

    /// The OCSF lines of `changes`: the opened findings, then the resolved ones.
    func ocsfLines(_ changes: FindingChanges, runId: String, job: String, at date: Date = Date()) -> [String] {
        changes.opened.map { OCSFFindings.line($0, backend: backend, table: table, runId: runId, job: job, at: date) }
            + changes.resolved.map { OCSFFindings.line($0, resolved: true, backend: backend, table: table, runId: runId, job: job, at: date) }
    }

    /// Sends `changes` to Security Hub when publishing (the ledger must be this outlet's); `nil` otherwise.
    func publish(_ changes: FindingChanges, ledger: any FindingLedger, runId: String, logger: Logger) async -> FindingsPublication? {
        guard let ledger = ledger as? SecurityHubLedger, !(changes.current.isEmpty && changes.resolved.isEmpty) else { return nil }
        return await ledger.publish(changes, runId: runId, logger: logger)
    }

    /// One line for people per finding opened or resolved (`uservault watch`).
    static func textLines(_ changes: FindingChanges) -> [String] {
        func line(_ verb: String, _ finding: Finding) -> String {
            var text = "\(verb) \(finding.severity.rawValue.uppercased()) \(finding.code.rawValue) user \(finding.userId ?? "-")"
            if let keyId = finding.keyId { text += " key \(keyId)" }
            return text + (verb == "opened" ? ": \(finding.detail)" : "")
        }
        return changes.opened.map { line("opened", $0) } + changes.resolved.map { line("resolved", $0) }
    }
}

/// How the continuous proofs prove, from the environment (the handlers) or the options (`watch`).
struct ContinuousProofSettings: Sendable {
    var depth: AuditDepth
    var keyState: KeyStateChoice

    /// `USERVAULT_PROOF_DEPTH` (standard or deep), else `depth`; `USERVAULT_KEY_STATE` (proof,
    /// describe or auto, as `audit --key-state`), else auto.
    static func fromEnvironment(_ environment: [String: String], depth: AuditDepth) throws -> Self {
        var settings = Self(depth: depth, keyState: .auto)
        if let text = environment["USERVAULT_PROOF_DEPTH"], !text.isEmpty {
            guard let value = AuditDepth(rawValue: text) else {
                throw CLIExit.usage("USERVAULT_PROOF_DEPTH must be standard or deep (got '\(text)')")
            }
            settings.depth = value
        }
        if let text = environment["USERVAULT_KEY_STATE"], !text.isEmpty {
            guard let value = KeyStateChoice(rawValue: text) else {
                throw CLIExit.usage("USERVAULT_KEY_STATE must be proof, describe or auto (got '\(text)')")
            }
            settings.keyState = value
        }
        return settings
    }

    func proof(on backend: Backend, keyState: KeyStateSource? = nil) -> ContinuousProof {
        ContinuousProof(table: backend.table, keys: backend.keys,
                        configuration: .init(depth: depth, keyState: keyState ?? self.keyState.resolved(for: backend)))
    }
}
