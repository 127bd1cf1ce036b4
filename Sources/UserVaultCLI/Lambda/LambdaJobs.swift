import ArgumentParser
import Foundation
import LambdaRuntime
import Logging

/// `_HANDLER=job`: an EventBridge scheduled event runs the job its input names (the target input
/// is a job file's content; without input, the nightly audit); a Step Functions input
/// `{job, params, worker, checkpoint}` runs that job. The job runs as its command line would.
///
/// A job that would outlive the invocation is stopped `USERVAULT_DEADLINE_MARGIN_SECONDS`
/// (default 15) before the deadline, between pages, with its checkpoint saved; the result then
/// says `complete: false` and gives the checkpoint, so a state machine invokes again with it.
///
/// The result: `{"job", "complete", "exitCode", "checkpoint"?, "report"?: {...report.json's
/// counts and summary}, "output"?}`. An unknown job or a malformed input is an invocation error.
struct LambdaJobs: Sendable {
    var environment: [String: String]

    var margin: TimeInterval { environment["USERVAULT_DEADLINE_MARGIN_SECONDS"].flatMap(Double.init) ?? 15 }
    /// Where reports and exports go when the job does not say: `USERVAULT_REPORT_DIR` and
    /// `USERVAULT_EXPORT_DIR` (the template sets both to the bucket, `s3://...`), else under /tmp,
    /// the only place Lambda may write.
    var defaultReportDir: String { environment["USERVAULT_REPORT_DIR"] ?? "/tmp/reports" }

    func run(_ event: Data, context: LambdaContext) async throws -> Data {
        var definition = try Self.definition(from: event)
        if definition.reportDir == nil, definition.job != "export" { definition.reportDir = defaultReportDir }
        if definition.output == nil, definition.job == "export" {
            definition.output = (environment["USERVAULT_EXPORT_DIR"] ?? "/tmp/exports") + "/users-{date}.tar.zst"
        }
        let line: [String]
        do {
            line = try definition.commandLine()
            if try UserVaultCommand.parseAsRoot(line) is any PendingCommand {
                throw LambdaInvocationError("UnavailableJob", "`uservault \(definition.job)` is not yet available in this build")
            }
        } catch let error as JobDefinition.Invalid {
            throw LambdaInvocationError(error.description.hasPrefix("no such job") ? "UnknownJob" : "InvalidJob", error.description)
        } catch let error as LambdaInvocationError {
            throw error
        } catch {
            let message = UserVaultCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid"
            throw LambdaInvocationError("InvalidJob", message)
        }
        context.logger.info("job", metadata: ["job": "\(definition.job)", "worker": "\(definition.worker ?? "whole")",
                                              "resume": "\(line.contains("--resume"))"])
        let started = Date()
        let budget = context.remaining - margin
        let (code, stopped) = await Self.run(line, within: budget)
        var result: [String: Any] = ["job": definition.job, "exitCode": Int(code), "complete": !stopped && code != 2]
        if let checkpoint = definition.checkpoint, stopped { result["checkpoint"] = checkpoint }
        if let reportDir = definition.reportDir, let report = Self.newestReport(in: reportDir, job: definition.job, since: started) {
            result["report"] = report
        }
        if let output = line.firstIndex(of: "--output").map({ line[$0 + 1] }) { result["output"] = output }
        context.logger.info("job ended", metadata: ["job": "\(definition.job)", "exitCode": "\(code)", "stoppedAtDeadline": "\(stopped)"])
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

    /// The counts and summary of the report this run wrote, with its path.
    static func newestReport(in directory: String, job: String, since: Date) -> [String: Any]? {
        let folder = URL(fileURLWithPath: directory).appendingPathComponent(job)
        let runs = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.contentModificationDateKey])) ?? []
        let newest = runs.compactMap { run -> (URL, Date)? in
            let report = run.appendingPathComponent("report.json")
            guard let date = (try? report.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate,
                  date >= since.addingTimeInterval(-1) else { return nil }
            return (report, date)
        }.max { $0.1 < $1.1 }
        guard let (path, _) = newest, let data = try? Data(contentsOf: path),
              let report = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        var summary: [String: Any] = ["path": path.path]
        for key in ["runId", "complete", "users", "verified", "scanned", "summary"] { summary[key] = report[key] }
        summary["findings"] = (report["findings"] as? [Any])?.count
        return summary
    }
}
