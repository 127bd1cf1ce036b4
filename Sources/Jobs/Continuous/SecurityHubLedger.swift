import Foundation
import Logging

/// Security Hub as the memory of the continuous proofs: what it holds ACTIVE for a user is what
/// is open, and a re-proof's changes go back to it as the nightly audit sends its own — a finding
/// found is imported ACTIVE under the same `Id` (keeping its `CreatedAt` and workflow status), a
/// finding resolved is sent once more ARCHIVED (workflow RESOLVED). An accepted finding is
/// SUPPRESSED with its rule's reason as the nightly run sets it, and one this project had
/// suppressed that no rule accepts any more is NEW again (``SecurityHubFindings/workflow(of:existing:)``).
///
/// ```swift
/// let ledger = SecurityHubLedger(publisher: publisher)
/// let open = try await ledger.openFindings(of: userIds)
/// let changes = FindingChanges(open: open, proven: round.proven, coverage: coverage)
/// let publication = await ledger.publish(changes, runId: requestId, logger: logger)
/// ```
public actor SecurityHubLedger: FindingLedger {
    public let publisher: SecurityHubPublisher
    /// What ``openFindings(of:)`` read, by `Id`: the findings ``publish(_:runId:logger:)`` updates or archives.
    private var known: [String: ASFFFinding] = [:]

    public init(publisher: SecurityHubPublisher) {
        self.publisher = publisher
    }

    public func openFindings(of userIds: [String]) async throws -> [Finding] {
        guard !userIds.isEmpty else { return [] }
        let active = try await publisher.hub.activeFindings(in: publisher.scope, userIds: userIds)
            .filter { SecurityHubFindings.isActive($0, in: publisher.scope) }
        for finding in active { known[finding.Id] = finding }
        return active.compactMap(Self.finding(from:))
    }

    /// The finding an ASFF finding stands for, marked accepted when this project suppressed it
    /// (its note's author `uservault:<rule>`): what ``FindingChanges`` compares acceptance with.
    /// Security Hub keeps the rule and its reason, not its owner or end date.
    static func finding(from asff: ASFFFinding) -> Finding? {
        guard var finding = SecurityHubFindings.finding(from: asff) else { return nil }
        let author = SecurityHubFindings.noteAuthor + ":"
        if asff.Workflow?.Status == "SUPPRESSED", let note = asff.Note, note.UpdatedBy.hasPrefix(author) {
            finding.suppressed = Suppression(rule: String(note.UpdatedBy.dropFirst(author.count)), reason: note.Text, owner: "", expires: "")
        }
        return finding
    }

    /// The users with an open finding that names the key `keyId` (its ARN): who a key that can no
    /// longer be read (deleted, its owner tag with it) belonged to, as far as the findings know.
    public func users(withFindingsOnKey keyId: String) async throws -> [String] {
        let arn = publisher.scope.keyArn(keyId)
        let findings = try await publisher.hub.activeFindings(in: publisher.scope, keyArn: arn)
            .filter { SecurityHubFindings.isActive($0, in: publisher.scope) }
        var users: [String] = []
        for userId in findings.compactMap({ SecurityHubFindings.finding(from: $0)?.userId }) where !users.contains(userId) {
            users.append(userId)
        }
        return users
    }

    /// Sends `changes`: every current finding ACTIVE, every resolved one ARCHIVED, then the
    /// workflow acceptance asks for where Security Hub does not hold it (read back for these
    /// users only). Never throws: what could not be sent is in the result.
    public func publish(_ changes: FindingChanges, runId: String, logger: Logger) async -> FindingsPublication {
        var result = FindingsPublication(target: "securityhub")
        result.archiving = true
        let date = publisher.now()
        let scope = publisher.scope
        var outgoing = SecurityHubFindings.findings(changes.current, runId: runId, scope: scope, now: date, existing: known)
        outgoing += changes.resolved.compactMap { finding in
            known[scope.id(of: finding)].map { SecurityHubFindings.archived($0, now: date) }
        }
        guard !outgoing.isEmpty else { return result }
        do {
            let refused = try await publisher.send(outgoing, into: &result)
            let users = Array(Set(changes.current.compactMap(\.userId))).sorted()
            try await publisher.settleWorkflows(of: changes.current, existing: known, skipping: refused, readBack: { [publisher] in
                try await publisher.hub.activeFindings(in: publisher.scope, userIds: users)
            }, into: &result)
        } catch {
            result.error = SecurityHubPublisher.oneLine(error)
            result.failed = outgoing.count - result.sent
        }
        for finding in outgoing where result.failed == 0 {
            if finding.RecordState == "ARCHIVED" { known[finding.Id] = nil } else { known[finding.Id] = finding }
        }
        if !result.succeeded {
            logger.error("findings not all published to Security Hub", metadata: [
                "sent": "\(result.sent)", "failed": "\(result.failed)", "error": "\(result.error ?? "refused")",
            ])
        }
        return result
    }
}
