import Foundation
import JobExecution
import Jobs
import LambdaRuntime
import Logging
import UserVaultCore

/// `_HANDLER=key-events`: KMS changes from EventBridge (``KMSKeyEvent``). The key's owner comes
/// from its owner tag (``ContinuousProof/owner(ofKey:)``); that user is read again and proven
/// against the key's live state — DescribeKey now, never the event's payload (events come late,
/// twice, out of order). A key with no owner tag is not a per-user key: one debug line, nothing
/// else. A key that cannot be read (deleted, its tags with it) proves the users whose open
/// Security Hub findings name it, when findings are published there; else it is one warning
/// line, and the nightly audit finds its user. An event that cannot be parsed is an invocation error with one line,
/// and the loop goes on; a service failure too, so that Lambda's bounded retries try it again.
///
/// Accepted findings as for ``StreamHandler``: the suppressions file is read at each invocation.
struct KeyEventHandler: Sendable {
    var proof: ContinuousProof
    var outlet: ContinuousOutlet
    var table: String
    var suppressions: ContinuousSuppressions

    func handle(_ data: Data, context: LambdaContext) async throws -> Data {
        let event = try KMSKeyEvent.parse(data)
        let acceptance = try await LambdaEntry.acceptance(suppressions, logger: context.logger)
        var metrics = ContinuousMetrics()
        metrics.events = 1
        var result: [String: Any] = ["event": event.name]
        defer { MetricsSettings.writeToStandardOutput([metrics.line(job: "key-events", table: table, invocation: context.requestId, at: Date())]) }
        guard event.handled else {
            context.logger.debug("not a KMS change this function acts on", metadata: ["detailType": "\(event.detailType)", "event": "\(event.name)"])
            result["ignored"] = true
            return try Self.encode(result)
        }
        guard let keyId = event.keyId else {
            context.logger.warning("the event names no key (an alias event without its key's ARN): nothing to prove",
                                   metadata: ["event": "\(event.name)"])
            result["ignored"] = true
            return try Self.encode(result)
        }
        result["key"] = keyId
        let ledger = outlet.ledger()
        var owners: [String] = []
        do {
            guard let tagged = try await proof.owner(ofKey: keyId) else {
                context.logger.debug("the key carries no owner tag: not a per-user key", metadata: ["keyId": "\(keyId)"])
                result["ignored"] = true
                return try Self.encode(result)
            }
            owners = [tagged]
        } catch let error as KeyServiceError where !error.isServiceFailure {
            // Deleted, its tags with it: the users whose open findings name it, when Security Hub keeps them.
            if let hub = ledger as? SecurityHubLedger {
                do {
                    owners = try await hub.users(withFindingsOnKey: keyId)
                } catch {
                    metrics.failures = 1
                    throw LambdaInvocationError("ServiceUnavailable", "the findings on the key could not be read: \(ErrorLine.of(error))")
                }
            }
            guard !owners.isEmpty else {
                context.logger.warning("the key cannot be read (deleted?) and no open finding names it: its owner is unknown, the nightly audit covers its user",
                                       metadata: ["keyId": "\(keyId)", "event": "\(event.name)", "error": "\(error.detail)"])
                result["ignored"] = true
                return try Self.encode(result)
            }
        } catch {
            metrics.failures = 1
            throw LambdaInvocationError("ServiceUnavailable", "reading the key's tags failed: \(ErrorLine.of(error))")
        }
        result["users"] = owners
        let round = await proof.prove(owners)
        if let failure = round.failure {
            metrics.failures = 1
            throw LambdaInvocationError("ServiceUnavailable", "the user could not be proven: \(failure)")
        }
        let changes: FindingChanges
        do {
            changes = FindingChanges(open: try await ledger.openFindings(of: owners), proven: round.proven,
                                     coverage: ReproofCoverage(depth: proof.configuration.depth, keyState: proof.configuration.keyState),
                                     acceptance: acceptance)
        } catch {
            metrics.failures = 1
            throw LambdaInvocationError("ServiceUnavailable", "the open findings could not be read: \(ErrorLine.of(error))")
        }
        metrics.add(round, changes)
        MetricsSettings.writeToStandardOutput(outlet.ocsfLines(changes, runId: context.requestId, job: "key-events"))
        _ = await outlet.publish(changes, ledger: ledger, runId: context.requestId, logger: context.logger)
        context.logger.info("key event", metadata: [
            "event": "\(event.name)", "keyId": "\(keyId)", "users": "\(owners.joined(separator: ","))", "opened": "\(changes.opened.count)",
            "resolved": "\(changes.resolved.count)",
        ])
        result["opened"] = changes.opened.map(\.code.rawValue)
        result["resolved"] = changes.resolved.map(\.code.rawValue)
        return try Self.encode(result)
    }

    static func encode(_ result: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    }
}
