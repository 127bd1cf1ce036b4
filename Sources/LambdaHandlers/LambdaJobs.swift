import AWSClients
import Crypto
import Foundation
import JobExecution
import Jobs
import LambdaRuntime
import Logging
import UserVaultCore

/// `_HANDLER=job`: an EventBridge scheduled event runs the job its input names (the target input
/// is a job file's content; without input, the nightly audit); a Step Functions input
/// `{job, params, worker, checkpoint}` runs that job: the same typed job, run by the same
/// ``JobRequest/execute(_:)``, as its command line.
///
/// A job that would outlive the invocation is stopped `USERVAULT_DEADLINE_MARGIN_SECONDS`
/// (default 15) before the deadline, between pages, with its checkpoint saved; the result then
/// says `complete: false` and gives the checkpoint, so a state machine invokes again with it.
///
/// A checkpoint may be `s3://bucket/key`, so that it outlives the execution environment: it is
/// fetched into /tmp before the run, put back when the run stops early, and deleted when the
/// job completes.
///
/// After the job, its metrics go to stdout as CloudWatch Embedded Metric Format lines
/// (``EMFMetrics``; a job that failed outright: `Complete` 0), whatever its `metrics` params say.
///
/// The result: `{"job", "complete", "exitCode", "checkpoint"?, "report"?: {report (report.json's path), runId,
/// counts, summary}, "export"?: {output, users, parts, sha256}}`. An unknown job or a malformed
/// input is an invocation error.
struct LambdaJobs: Sendable {
    var environment: [String: String]
    var settings: Settings

    var margin: TimeInterval { environment["USERVAULT_DEADLINE_MARGIN_SECONDS"].flatMap(Double.init) ?? 15 }
    /// Where reports and exports go when the job does not say: `USERVAULT_REPORT_DIR` and
    /// `USERVAULT_EXPORT_DIR` (the template sets both to the bucket, `s3://...`), else under /tmp,
    /// the only place Lambda may write.
    var defaultReportDir: String { environment["USERVAULT_REPORT_DIR"] ?? "/tmp/reports" }

    /// Whether the jobs reach AWS whatever their input: the AWS backend, or S3 for the
    /// default report or export folder.
    var needsAWS: Bool {
        settings.backend == .aws
            || [environment["USERVAULT_REPORT_DIR"], environment["USERVAULT_EXPORT_DIR"]].contains { $0?.hasPrefix("s3://") == true }
    }

    var defaultExportDir: String { environment["USERVAULT_EXPORT_DIR"] ?? "/tmp/exports" }

    /// Where the job writes on Lambda. A job without a folder or output gets the function's own;
    /// a relative one — the shipped job files say `"reportDir": "reports"`, written for cron and
    /// the command line — is taken as the function's too (an export keeps its file name): the
    /// working directory of a Lambda function is read-only.
    func placeOutputs(_ definition: inout JobDefinition) {
        func isRelative(_ path: String) -> Bool { !path.hasPrefix("/") && !path.hasPrefix("s3://") }
        if definition.job != "export", definition.reportDir.map(isRelative) ?? true { definition.reportDir = defaultReportDir }
        if definition.job == "export" {
            // An empty output is none: the function's own folder and the default name.
            let output = definition.output.flatMap { $0.isEmpty ? nil : $0 }
            let name = output.flatMap { isRelative($0) ? $0.split(separator: "/").last.map(String.init) : nil }
            if output == nil || name != nil { definition.output = defaultExportDir + "/" + (name ?? "users-{date}.tar.zst") }
        }
    }

    func run(_ event: Data, context: LambdaContext) async throws -> Data {
        var definition = try Self.definition(from: event)
        placeOutputs(&definition)
        // A checkpoint in S3 is worked on locally: read as a job here, resumed once fetched.
        let remote = definition.checkpoint.flatMap { S3Output.parse($0) }
        // Checked before anything is fetched: a bad input is the invocation's error.
        var request: JobRequest
        do {
            request = try definition.request(resume: remote == nil ? nil : false)
        } catch let error as JobDefinition.Invalid {
            throw LambdaInvocationError(error.description.hasPrefix("no such job") ? "UnknownJob" : "InvalidJob", error.description)
        }
        if let remote { request.useCheckpoint(try await fetch(remote, logger: context.logger)) }
        context.logger.info("job", metadata: ["job": "\(definition.job)", "worker": "\(definition.worker ?? "whole")",
                                              "resume": "\(request.resumes)"])
        var invocation: Logger.Metadata = ["requestId": "\(context.requestId)"]
        if let traceId = context.traceId { invocation["traceId"] = "\(traceId)" }
        // The job stops cleanly between pages `margin` seconds before the invocation's deadline.
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, context.remaining - margin) * 1000))
        let jobContext = JobContext(settings: settings, logger: Logger(label: "uservault.\(request.name)"), stopsOnSignals: false,
                                    deadline: deadline)
        let outcome: JobOutcome?
        do {
            outcome = try await JobLogContext.with(invocation) { try await request.execute(jobContext) }
        } catch {
            outcome = nil
            context.logger.error("job failed", metadata: ["job": "\(definition.job)", "error": "\(ErrorLine.of(error))"])
        }
        let code = outcome?.exitCode ?? 2
        let stopped = outcome?.complete != true && ContinuousClock.now >= deadline
        if let remote { try await store(remote, logger: context.logger) }
        // Complete: the run finished (a failed publishing of its findings is in exitCode, not here).
        var result: [String: Any] = ["job": definition.job, "exitCode": Int(code), "complete": outcome?.complete == true]
        if let checkpoint = definition.checkpoint, stopped { result["checkpoint"] = checkpoint }
        var ended: Logger.Metadata = ["job": "\(definition.job)", "exitCode": "\(code)", "stoppedAtDeadline": "\(stopped)"]
        if let outcome {
            let record = outcome.record
            result[record.key] = record.value
            ended["runId"] = "\(outcome.runId)"
        }
        context.logger.info("job ended", metadata: ended)
        // CloudWatch Logs makes metrics of these lines (alarms and dashboards need no API call).
        MetricsSettings.writeToStandardOutput(JobOutcome.emfLines(outcome, job: request.name, table: settings.tableName))
        return try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    }

    /// The job file content, a Step Functions input, or (a scheduled event without input) the nightly audit.
    static func definition(from event: Data) throws -> JobDefinition {
        guard let object = (try? JSONSerialization.jsonObject(with: event)) as? [String: Any] else {
            throw LambdaInvocationError("InvalidEvent", "the event is not a JSON object")
        }
        if object["job"] != nil {
            do {
                return try JobDefinition.decode(event, source: "the event")
            } catch let error as JobDefinition.Invalid {
                throw LambdaInvocationError("InvalidJob", error.description)
            }
        }
        if object["detail-type"] as? String == "Scheduled Event" {
            return .nightlyAudit
        }
        throw LambdaInvocationError("InvalidEvent", "not a job event: expected a job definition or a scheduled event")
    }

    /// Where an S3 checkpoint is worked on: /tmp (Lambda's only writable place), by its URI's digest.
    func localPath(of remote: S3Output.Location) -> URL {
        let digest = Hex.lowercase(SHA256.hash(data: Data(remote.uri.utf8)).prefix(12))
        return FileManager.default.temporaryDirectory.appendingPathComponent("uservault-checkpoint-\(digest).sqlite")
    }

    /// Fetches the checkpoint (the S3 copy wins over a local one); none there: a fresh run.
    func fetch(_ remote: S3Output.Location, logger: Logger) async throws -> String {
        let path = localPath(of: remote)
        try? FileManager.default.removeItem(at: path)
        do {
            try await Backend.withS3(settings, logger: logger) { client in
                _ = try await client.downloadObject(bucket: remote.bucket, key: remote.key, to: path)
            }
            logger.info("checkpoint fetched", metadata: ["checkpoint": "\(remote.uri)"])
        } catch let error as AWSError where error.code == "NotFound" || error.code == "NoSuchKey" {
            logger.info("no checkpoint yet: a fresh run", metadata: ["checkpoint": "\(remote.uri)"])
        } catch {
            throw LambdaInvocationError("CheckpointUnavailable", "cannot fetch \(remote.uri): \(ErrorLine.of(error))")
        }
        return path.path
    }

    /// Puts the checkpoint back when the run left one (it stopped early), else deletes it.
    func store(_ remote: S3Output.Location, logger: Logger) async throws {
        let path = localPath(of: remote)
        do {
            if FileManager.default.fileExists(atPath: path.path) {
                try await S3Output.upload([(path, remote)], settings: settings, logger: logger)
                try? FileManager.default.removeItem(at: path)
            } else {
                try await Backend.withS3(settings, logger: logger) { client in
                    try await client.deleteObject(bucket: remote.bucket, key: remote.key)
                }
            }
        } catch {
            throw LambdaInvocationError("CheckpointUnavailable", "cannot store \(remote.uri): \(ErrorLine.of(error))")
        }
    }
}
