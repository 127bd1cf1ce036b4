import Foundation
import Logging

/// What the publisher needs of Security Hub (implemented over the AWS client by the composition root).
public protocol FindingsHub: Sendable {
    /// The findings of `scope` that Security Hub holds as ACTIVE (every page).
    func activeFindings(in scope: SecurityHubFindings.Scope) async throws -> [ASFFFinding]
    /// Imports `findings` (at most 100); returns those refused: `Id` → `ErrorCode`.
    func importFindings(_ findings: [ASFFFinding]) async throws -> [String: String]
    /// Sets the workflow status and note of findings of `scope` it holds (at most 100, by `Id`);
    /// returns those refused: `Id` → `ErrorCode`.
    func updateWorkflow(of ids: [String], in scope: SecurityHubFindings.Scope,
                        to change: SecurityHubFindings.WorkflowChange) async throws -> [String: String]
    /// The ACTIVE findings of `scope` about these users (their ids' prefixes).
    func activeFindings(in scope: SecurityHubFindings.Scope, userIds: [String]) async throws -> [ASFFFinding]
    /// The ACTIVE findings of `scope` that name the key `keyArn` as a resource.
    func activeFindings(in scope: SecurityHubFindings.Scope, keyArn: String) async throws -> [ASFFFinding]
}

extension FindingsHub {
    /// Every ACTIVE finding of the scope, kept for these users: for hubs that cannot filter by id prefix.
    public func activeFindings(in scope: SecurityHubFindings.Scope, userIds: [String]) async throws -> [ASFFFinding] {
        let prefixes = userIds.map { scope.idPrefix + $0 + "/" }
        return try await activeFindings(in: scope).filter { finding in prefixes.contains { finding.Id.hasPrefix($0) } }
    }

    /// Every ACTIVE finding of the scope, kept when it names the key.
    public func activeFindings(in scope: SecurityHubFindings.Scope, keyArn: String) async throws -> [ASFFFinding] {
        try await activeFindings(in: scope).filter { finding in finding.Resources.contains { $0.Id == keyArn } }
    }
}

/// Publishes an audit's findings to Security Hub so that each (user, code) is one finding,
/// updated run after run: this run's findings are sent ACTIVE; on a complete run over every
/// segment, those Security Hub held ACTIVE that the run no longer found are sent once more
/// ARCHIVED (workflow RESOLVED). A partial or `--worker` run archives nothing: users it never
/// scanned would look fixed.
///
/// Accepted findings (a suppressions rule's) get workflow SUPPRESSED with the rule's reason as
/// a note; a finding this project had suppressed that no rule accepts any more gets NEW again.
/// The import carries them (a new finding is created so), but an import cannot change the
/// workflow or note of a finding Security Hub already holds: where what it holds afterwards
/// (read back) differs, `BatchUpdateFindings` sets it. A night whose acceptances did not change
/// sends no update and reads nothing back.
///
/// Batches of at most 100; findings Security Hub refuses (`FailedFindings`) are sent again,
/// after `backoff(attempt)`, up to `maxAttempts` times in all. Publishing never throws: what it
/// could not send is in the returned ``FindingsPublication``.
public struct SecurityHubPublisher: Sendable {
    public var hub: any FindingsHub
    public var scope: SecurityHubFindings.Scope
    public var maxAttempts = 3
    public var batchSize = 100
    public var backoff: @Sendable (_ attempt: Int) -> Duration
    public var now: @Sendable () -> Date

    public init(hub: any FindingsHub, scope: SecurityHubFindings.Scope, maxAttempts: Int = 3,
                backoff: @escaping @Sendable (_ attempt: Int) -> Duration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.hub = hub
        self.scope = scope
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.now = now
    }

    /// Whether `report` may archive what it did not find: complete, over every segment.
    public static func mayArchive(_ report: JobReport) -> Bool {
        report.isCompleteOverEverySegment
    }

    public func publish(_ report: JobReport, logger: Logger) async -> FindingsPublication {
        var result = FindingsPublication(target: "securityhub")
        result.archiving = Self.mayArchive(report)
        let date = now()
        var outgoing: [ASFFFinding] = []
        do {
            let active = try await hub.activeFindings(in: scope).filter { SecurityHubFindings.isActive($0, in: scope) }
            let existing = Dictionary(active.map { ($0.Id, $0) }, uniquingKeysWith: { first, _ in first })
            outgoing = SecurityHubFindings.findings(for: report, scope: scope, now: date, existing: existing)
            if result.archiving {
                let current = Set(outgoing.map(\.Id))
                let gone = existing.values.filter { !current.contains($0.Id) }.sorted { $0.Id < $1.Id }
                    .map { SecurityHubFindings.archived($0, now: date) }
                outgoing += gone
            }
            let refused = try await send(outgoing, into: &result)
            try await settleWorkflows(of: report.findings, existing: existing, skipping: refused,
                                      readBack: { try await hub.activeFindings(in: scope) }, into: &result)
        } catch {
            result.error = Self.oneLine(error)
            // Everything not taken failed: this run's findings when none could be built.
            result.failed = max(result.failed, (outgoing.isEmpty ? Set(report.findings.map(scope.id)).count : outgoing.count) - result.sent)
        }
        var metadata: Logger.Metadata = ["sent": "\(result.sent)", "failed": "\(result.failed)", "archived": "\(result.archived)",
                                         "archiving": "\(result.archiving)", "suppressed": "\(result.suppressed)",
                                         "reopened": "\(result.reopened)"]
        if !result.archiving { metadata["why"] = "not a complete run over every segment: nothing archived" }
        if let error = result.error { metadata["error"] = "\(error)" }
        if result.succeeded {
            logger.info("findings published to Security Hub", metadata: metadata)
        } else {
            logger.error("findings not all published to Security Hub", metadata: metadata)
        }
        return result
    }

    /// Sends `findings` in batches, each refused one again up to ``maxAttempts`` times; throws
    /// when a request fails (the AWS client has retried it already).
    /// - Returns: the ids still refused.
    @discardableResult
    func send(_ findings: [ASFFFinding], into result: inout FindingsPublication) async throws -> Set<String> {
        var failed: Set<String> = []
        for start in stride(from: 0, to: findings.count, by: batchSize) {
            let batch = Array(findings[start..<min(start + batchSize, findings.count)])
            let refused = try await retrying(batch.map(\.Id), into: &result) { ids in
                let wanted = Set(ids)
                return try await hub.importFindings(batch.filter { wanted.contains($0.Id) })
            }
            let taken = batch.filter { refused[$0.Id] == nil }
            result.sent += taken.count
            result.archived += taken.filter { $0.RecordState == "ARCHIVED" }.count
            failed.formUnion(refused.keys)
        }
        return failed
    }

    /// Gives these findings (a run's, or a re-proof's) the workflow their acceptance asks for
    /// (``SecurityHubFindings/workflow(of:existing:)``) where Security Hub does not hold it:
    /// findings it held before with another status or note, and new ones, read back once after
    /// the import (`readBack`: the ACTIVE findings that may hold them); those still without it are
    /// updated with `BatchUpdateFindings`, by change, in batches. Findings whose import was
    /// refused (`skipping`) are left out.
    func settleWorkflows(of findings: [Finding], existing: [String: ASFFFinding], skipping refused: Set<String>,
                         readBack: () async throws -> [ASFFFinding], into result: inout FindingsPublication) async throws {
        var changes: [(id: String, change: SecurityHubFindings.WorkflowChange)] = []
        var seen: Set<String> = refused
        for finding in findings {
            let id = scope.id(of: finding)
            guard seen.insert(id).inserted, let change = SecurityHubFindings.workflow(of: finding, existing: existing[id]) else { continue }
            changes.append((id, change))
        }
        guard !changes.isEmpty else { return }
        var pending = changes.filter { !$0.change.isHeld(by: existing[$0.id]) }
        if !pending.isEmpty {
            let held = try await readBack().filter { SecurityHubFindings.isActive($0, in: scope) }
            let byId = Dictionary(held.map { ($0.Id, $0) }, uniquingKeysWith: { first, _ in first })
            pending = pending.filter { !$0.change.isHeld(by: byId[$0.id]) }
        }
        var failed: Set<String> = []
        for (change, group) in Dictionary(grouping: pending, by: { $0.change }).sorted(by: { $0.key.updatedBy < $1.key.updatedBy }) {
            let ids = group.map { $0.id }.sorted()
            for start in stride(from: 0, to: ids.count, by: batchSize) {
                let refused = try await retrying(Array(ids[start..<min(start + batchSize, ids.count)]), into: &result) { batch in
                    try await hub.updateWorkflow(of: batch, in: scope, to: change)
                }
                result.workflowUpdates += min(batchSize, ids.count - start) - refused.count
                failed.formUnion(refused.keys)
            }
        }
        for (id, change) in changes where !failed.contains(id) {
            if change.status == "SUPPRESSED" { result.suppressed += 1 } else { result.reopened += 1 }
        }
    }

    /// Calls `request` with `ids`, then again with those it refused, up to ``maxAttempts`` times
    /// in all; what is still refused is counted as failed (with its error code) and returned.
    private func retrying(_ ids: [String], into result: inout FindingsPublication,
                          _ request: ([String]) async throws -> [String: String]) async throws -> [String: String] {
        var pending = ids
        var attempt = 0
        while true {
            attempt += 1
            let refused = try await request(pending)
            pending = pending.filter { refused[$0] != nil }
            guard !pending.isEmpty else { return [:] }
            guard attempt < maxAttempts else {
                result.failed += pending.count
                var codes = result.errorCodes ?? [:]
                for id in pending { codes[refused[id] ?? "Unknown", default: 0] += 1 }
                result.errorCodes = codes
                return refused.filter { pending.contains($0.key) }
            }
            try await Task.sleep(for: backoff(attempt - 1))
        }
    }

    static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
