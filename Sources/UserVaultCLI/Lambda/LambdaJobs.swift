import ArgumentParser
import AWSClients
import Crypto
import Foundation
import Jobs
import LambdaRuntime
import Logging
import UserVaultCore

/// `_HANDLER=job`: an EventBridge scheduled event runs the job its input names (the target input
/// is a job file's content; without input, the nightly audit); a Step Functions input
/// `{job, params, worker, checkpoint}` runs that job. The job runs as its command line would.
///
/// A job that would outlive the invocation is stopped `USERVAULT_DEADLINE_MARGIN_SECONDS`
/// (default 15) before the deadline, between pages, with its checkpoint saved; the result then
/// says `complete: false` and gives the checkpoint, so a state machine invokes again with it.
///
/// A checkpoint may be `s3://bucket/key`, so that it outlives the execution environment: it is
/// fetched into /tmp before the run, put back when the run stops early, and deleted when the
/// job completes.
///
/// The result: `{"job", "complete", "exitCode", "checkpoint"?, "report"?: {location, runId,
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

    func run(_ event: Data, context: LambdaContext) async throws -> Data {
        var definition = try Self.definition(from: event)
        if definition.reportDir == nil, definition.job != "export" { definition.reportDir = defaultReportDir }
        if definition.output == nil, definition.job == "export" {
            definition.output = (environment["USERVAULT_EXPORT_DIR"] ?? "/tmp/exports") + "/users-{date}.tar.zst"
        }
        let line: [String]
        do {
            line = try definition.commandLine()
            _ = try UserVaultCommand.parseAsRoot(line)
        } catch let error as JobDefinition.Invalid {
            throw LambdaInvocationError(error.description.hasPrefix("no such job") ? "UnknownJob" : "InvalidJob", error.description)
        } catch {
            let message = UserVaultCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid"
            throw LambdaInvocationError("InvalidJob", message)
        }
        // A checkpoint in S3 is worked on locally.
        let remote = definition.checkpoint.flatMap { S3Output.parse($0) }
        var local = line
        if let remote {
            let path = try await fetch(remote, logger: context.logger)
            local = try JobDefinition(job: definition.job, arguments: definition.arguments, params: definition.params,
                                      reportDir: definition.reportDir, output: definition.output, worker: definition.worker,
                                      checkpoint: path).commandLine()
        }
        context.logger.info("job", metadata: ["job": "\(definition.job)", "worker": "\(definition.worker ?? "whole")",
                                              "resume": "\(local.contains("--resume"))"])
        _ = RunRecord.shared.take()
        var invocation: Logger.Metadata = ["requestId": "\(context.requestId)"]
        if let traceId = context.traceId { invocation["traceId"] = "\(traceId)" }
        let (code, stopped) = await JobLogContext.with(invocation) { await Self.run(local, within: context.remaining - margin) }
        if let remote { try await store(remote, logger: context.logger) }
        var result: [String: Any] = ["job": definition.job, "exitCode": Int(code), "complete": !stopped && code != 2]
        if let checkpoint = definition.checkpoint, stopped { result["checkpoint"] = checkpoint }
        var ended: Logger.Metadata = ["job": "\(definition.job)", "exitCode": "\(code)", "stoppedAtDeadline": "\(stopped)"]
        if let record = RunRecord.shared.take() {
            result[definition.job == "export" ? "export" : "report"] = record
            if let runId = record["runId"] as? String { ended["runId"] = "\(runId)" }
        }
        context.logger.info("job ended", metadata: ended)
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

    /// Runs the command line; past `budget` seconds it is cancelled (a clean stop between pages).
    static func run(_ line: [String], within budget: TimeInterval) async -> (code: Int32, stopped: Bool) {
        await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await UserVaultCLI.main(line) }
            group.addTask {
                try? await Task.sleep(for: .seconds(max(0, budget)))
                return nil
            }
            let first = await group.next() ?? nil
            if let code = first {
                group.cancelAll()
                return (code, false)
            }
            group.cancelAll()  // the deadline: stop the job, and wait for it to save its state
            var code: Int32 = 2
            while let next = await group.next() { if let next { code = next } }
            return (code, true)
        }
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
            throw LambdaInvocationError("CheckpointUnavailable", "cannot fetch \(remote.uri): \(UserVaultCLI.oneLine(error))")
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
            throw LambdaInvocationError("CheckpointUnavailable", "cannot store \(remote.uri): \(UserVaultCLI.oneLine(error))")
        }
    }
}
