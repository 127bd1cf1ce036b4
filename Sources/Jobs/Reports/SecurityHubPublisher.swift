import Foundation
import Logging

/// What the publisher needs of Security Hub (implemented over the AWS client by the composition root).
public protocol FindingsHub: Sendable {
    /// The findings of `scope` that Security Hub holds as ACTIVE (every page).
    func activeFindings(in scope: SecurityHubFindings.Scope) async throws -> [ASFFFinding]
    /// Imports `findings` (at most 100); returns those refused: `Id` → `ErrorCode`.
    func importFindings(_ findings: [ASFFFinding]) async throws -> [String: String]
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
        report.complete && report.segments.assigned == report.segments.total && report.segments.finished == report.segments.total
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
            try await send(outgoing, into: &result)
        } catch {
            result.error = Self.oneLine(error)
            // Everything not taken failed: this run's findings when none could be built.
            result.failed = (outgoing.isEmpty ? Set(report.findings.map(scope.id)).count : outgoing.count) - result.sent
        }
        var metadata: Logger.Metadata = ["sent": "\(result.sent)", "failed": "\(result.failed)", "archived": "\(result.archived)",
                                         "archiving": "\(result.archiving)"]
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
    func send(_ findings: [ASFFFinding], into result: inout FindingsPublication) async throws {
        var codes: [String: Int] = [:]
        for start in stride(from: 0, to: findings.count, by: batchSize) {
            var pending = Array(findings[start..<min(start + batchSize, findings.count)])
            var attempt = 0
            while !pending.isEmpty {
                attempt += 1
                let refused = try await hub.importFindings(pending)
                let taken = pending.filter { refused[$0.Id] == nil }
                result.sent += taken.count
                result.archived += taken.filter { $0.RecordState == "ARCHIVED" }.count
                pending = pending.filter { refused[$0.Id] != nil }
                guard !pending.isEmpty else { break }
                guard attempt < maxAttempts else {
                    result.failed += pending.count
                    for finding in pending { codes[refused[finding.Id] ?? "Unknown", default: 0] += 1 }
                    break
                }
                try await Task.sleep(for: backoff(attempt - 1))
            }
        }
        result.errorCodes = codes.isEmpty ? nil : codes
    }

    static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
