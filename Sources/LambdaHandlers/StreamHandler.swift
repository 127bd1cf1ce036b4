import AWSClients
import Foundation
import JobExecution
import Jobs
import LambdaRuntime
import Logging
import UserVaultCore

/// `_HANDLER=stream`: the table's DynamoDB stream (view type `KEYS_ONLY`: no credential leaves
/// the table through it), in batches from a Lambda event source mapping.
///
/// For each INSERT or MODIFY of an item that is not an email guard, the user is read again with
/// a consistent read and proven with the nightly audit's verdicts (``ContinuousProof``): an
/// event's order and count prove nothing, the item as it is now does. REMOVE needs no proof (the
/// deep audit's orphan-key check covers the key left behind).
///
/// The answer is Lambda's partial-batch contract (`FunctionResponseTypes: [ReportBatchItemFailures]`):
/// `{"batchItemFailures": [{"itemIdentifier": "<SequenceNumber>"}]}` naming the first record that
/// could not be proven for a service reason (throttled, KMS unavailable); Lambda retries from it.
/// Findings are not failures. Results go where the nightly audit's go (``ContinuousOutlet``); one
/// EMF line per invocation (``ContinuousMetrics``). Accepted findings: see ``ContinuousSuppressions``
/// (read at each invocation; a bad file is the invocation's error, and Lambda retries the batch).
struct StreamHandler: Sendable {
    var proof: ContinuousProof
    var outlet: ContinuousOutlet
    var table: String
    var suppressions: ContinuousSuppressions

    /// A Lambda DynamoDB Streams event.
    struct Event: Decodable {
        var Records: [DynamoDBStreams.Record]
    }

    func handle(_ event: Data, context: LambdaContext) async throws -> Data {
        let records: [DynamoDBStreams.Record]
        do {
            records = try JSONDecoder().decode(Event.self, from: event).Records
        } catch {
            throw LambdaInvocationError("InvalidEvent", "not a DynamoDB Streams event: expected {\"Records\": [...]}")
        }
        let acceptance = try await LambdaEntry.acceptance(suppressions, logger: context.logger)
        var metrics = ContinuousMetrics()
        metrics.events = records.count
        let now = Date()
        if let oldest = records.compactMap({ $0.dynamodb?.ApproximateCreationDateTime }).min() {
            metrics.oldestRecordAge = now.timeIntervalSince1970 - oldest
        }
        // The users to prove, once each, in order, with the first record that names each.
        var userIds: [String] = []
        var firstRecord: [String: Int] = [:]
        for (index, record) in records.enumerated() {
            guard record.eventName == "INSERT" || record.eventName == "MODIFY",
                  let id = record.dynamodb?.Keys?["id"]?.stringValue, !id.hasPrefix(EmailGuard.idPrefix),
                  firstRecord[id] == nil
            else { continue }
            firstRecord[id] = index
            userIds.append(id)
        }
        var round = await proof.prove(userIds)
        var failedRecord = round.failedAt.flatMap { firstRecord[userIds[$0]] }
        let ledger = outlet.ledger()
        var changes = FindingChanges()
        let provenIds = round.proven.map(\.userId)
        do {
            let open = try await ledger.openFindings(of: provenIds)
            changes = FindingChanges(open: open, proven: round.proven,
                                     coverage: ReproofCoverage(depth: proof.configuration.depth, keyState: proof.configuration.keyState),
                                     acceptance: acceptance)
        } catch {
            // Without what is open, nothing can be said: the whole batch again.
            round.proven = []
            round.failure = "the open findings could not be read: \(ErrorLine.of(error))"
            failedRecord = firstRecord.values.min()
        }
        if let failure = round.failure, let failedRecord {
            context.logger.warning("a record could not be proven: Lambda retries from it", metadata: [
                "sequenceNumber": "\(records[failedRecord].dynamodb?.SequenceNumber ?? "")", "error": "\(failure)",
            ])
        }
        metrics.add(round, changes)
        MetricsSettings.writeToStandardOutput(outlet.ocsfLines(changes, runId: context.requestId, job: "stream", at: now))
        _ = await outlet.publish(changes, ledger: ledger, runId: context.requestId, logger: context.logger)
        var failures: [[String: String]] = []
        if let failedRecord, let sequence = records[failedRecord].dynamodb?.SequenceNumber {
            failures.append(["itemIdentifier": sequence])
            metrics.failures = userIds.count - round.proven.count
        }
        context.logger.info("stream batch", metadata: [
            "records": "\(records.count)", "reproven": "\(metrics.reproven)", "opened": "\(changes.opened.count)",
            "resolved": "\(changes.resolved.count)", "failed": "\(failures.count)",
        ])
        MetricsSettings.writeToStandardOutput([metrics.line(job: "stream", table: table, invocation: context.requestId, at: now)])
        return try JSONSerialization.data(withJSONObject: ["batchItemFailures": failures], options: [.sortedKeys])
    }
}
