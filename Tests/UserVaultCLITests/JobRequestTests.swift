import Foundation
import Jobs
import Testing
@testable import JobExecution
@testable import LambdaHandlers
@testable import UserVaultCLI

/// A job definition becomes a typed job without a command line in between; its command line
/// (what `run --dry-run` prints) parses to the very same job.
@Suite("Job definitions as typed jobs")
struct JobRequestTests {
    static let jobs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("jobs")

    /// The job the command line would run: the parsed command's own settings.
    static func parsed(_ line: [String]) throws -> JobRequest {
        switch try UserVaultCommand.parseAsRoot(line) {
        case let command as AuditCommand: return .audit(command.settings)
        case let command as ExportCommand: return .export(command.settings)
        case let command as RotateKeysCommand: return .repair(try command.settings())
        case let command as BackfillCommand: return .repair(command.settings)
        case let command as MergeReportsCommand: return .mergeReports(command.settings)
        case let command: throw InvalidSetting(description: "not a job: \(command)")
        }
    }

    static func definition(_ json: String) throws -> JobDefinition {
        try JobDefinition.decode(Data(json.utf8), source: "test")
    }

    @Test("on Lambda every shipped job file writes under the function's folders: a relative reportDir or output never reaches the read-only working directory")
    func shippedOnLambda() throws {
        let environment = ["USERVAULT_REPORT_DIR": "s3://bucket/reports", "USERVAULT_EXPORT_DIR": "/tmp/exports"]
        let lambda = LambdaJobs(environment: environment, settings: try Settings(try GlobalOptions.parse([]), environment: [:]))
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.jobs.path).filter { $0.hasSuffix(".json") }
        for file in files {
            var definition = try JobDefinition.load(Self.jobs.appendingPathComponent(file).path)
            lambda.placeOutputs(&definition)
            if definition.job == "export" {
                #expect(definition.output == "/tmp/exports/users-{date}.tar.zst", "\(file)")
            } else {
                #expect(definition.reportDir == "s3://bucket/reports", "\(file)")
            }
        }
        var absolute = try Self.definition(#"{"job": "audit", "reportDir": "/tmp/nightly/{date}"}"#)
        lambda.placeOutputs(&absolute)
        #expect(absolute.reportDir == "/tmp/nightly/{date}", "an absolute folder or an s3:// prefix is the job's own choice")
    }

    @Test("every shipped job file: the typed job equals what its command line parses to")
    func shipped() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.jobs.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 6)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for file in files {
            let definition = try JobDefinition.load(Self.jobs.appendingPathComponent(file).path)
            let typed = try definition.request(now: now, resume: false)
            #expect(typed == (try Self.parsed(definition.commandLine(now: now, resume: false))), "\(file)")
        }
    }

    @Test("params of every kind, and the definition's own fields winning over the same params")
    func kinds() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let definition = try Self.definition("""
            {"job": "audit", "params": {"segments": 32, "worker": "0/9", "kms-rate": ["DescribeKey=100", "Cryptographic=500"],
             "kms-share": 0.25, "depth": "deep", "fail-on": "medium", "resume": true, "checkpoint": "ignored", "report-dir": "ignored",
             "suppressions": "s3://config/accepted.yaml", "baseline": "reports/audit/20261205T020000-night", "fail-when": "new"},
             "worker": "1/4", "checkpoint": "ck-{date}.sqlite", "reportDir": "out/{date}"}
            """)
        guard case .audit(let audit) = try definition.request(now: now, resume: false) else { Issue.record("not an audit"); return }
        let stamp = JobDefinition.stamp(now)
        #expect(audit.scan.segments == 32 && audit.scan.worker == WorkerShare(index: 1, count: 4))
        #expect(audit.scan.checkpoint == "ck-{date}.sqlite" && audit.scan.resume)
        #expect(audit.reportDir == "out/\(stamp)")
        #expect(audit.budgets.rates == ["DescribeKey=100", "Cryptographic=500"] && audit.budgets.share == 0.25)
        #expect(audit.depth == .deep && audit.failOn == .medium)
        #expect(audit.review == ReviewSettings(suppressions: "s3://config/accepted.yaml",
                                               baseline: .report("reports/audit/20261205T020000-night"), failWhen: .new))
        // The same as its command line, lists and all.
        #expect(try definition.request(now: now, resume: false) == (try Self.parsed(definition.commandLine(now: now, resume: false))))
    }

    @Test("prune-orphans from a job file: mode, grace, pending-days and apply, as its command line parses them")
    func pruneOrphans() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let definition = try Self.definition("""
            {"job": "rotate-keys", "params": {"mode": "prune-orphans", "grace": "36h", "pending-days": 21, "apply": true}}
            """)
        let typed = try definition.request(now: now, resume: false)
        guard case .repair(let settings) = typed else { Issue.record("not a repair"); return }
        #expect(settings.repair == .rotateKeys(mode: .pruneOrphans, olderThanDays: 365, pendingDays: 21, grace: .seconds(36 * 3_600)))
        #expect(settings.apply)
        #expect(typed == (try Self.parsed(definition.commandLine(now: now, resume: false))))
    }

    @Test("a bad param is an error naming the option, the values allowed or the nearest parameter", arguments: [
        (#"{"job": "audit", "params": {"depth": "shallow"}}"#, ["--depth", "standard, deep", "'shallow'"]),
        (#"{"job": "audit", "params": {"segmnts": 4}}"#, ["'segmnts'", "'segments'"]),
        (#"{"job": "audit", "params": {"apply": true}}"#, ["'apply' is not a parameter of audit"]),
        (#"{"job": "audit", "params": {"segments": 0}}"#, ["--segments must be 1–1,000,000"]),
        (#"{"job": "audit", "params": {"segments": "many"}}"#, ["--segments takes a whole number"]),
        (#"{"job": "rotate-keys", "params": {"apply": "yes"}}"#, ["--apply is a flag"]),
        (#"{"job": "rotate-keys", "params": {"mode": "rotate"}}"#, ["--mode", "enable-rotation, rotate-now, rekey"]),
        (#"{"job": "rotate-keys", "params": {"mode": "prune-orphans", "grace": "soon"}}"#, ["--grace", "24h"]),
        (#"{"job": "rotate-keys", "params": {"mode": "prune-orphans", "worker": "0/2"}}"#, ["prune-orphans", "--worker"]),
        (#"{"job": "backfill", "arguments": ["everything"]}"#, ["encrypt-plaintext, email-guards, key-metadata"]),
        (#"{"job": "export", "params": {"format": "rar"}}"#, ["--format", "tar.gz"]),
        (#"{"job": "export"}"#, ["export needs an output"]),
        (#"{"job": "audit", "arguments": ["x"]}"#, ["audit takes no arguments"]),
        (#"{"job": "frobnicate"}"#, ["no such job 'frobnicate'"]),
        (#"{"job": "audit", "params": {"fail-when": "sometimes"}}"#, ["--fail-when must be one of any, new", "'sometimes'"]),
        (#"{"job": "merge-reports", "arguments": ["a"], "params": {"baseline": "none", "fail-when": "new"}}"#,
         ["--fail-when new counts what is new since a baseline: not with --baseline none"]),
        (#"{"job": "audit", "params": {"suppresions": "a.yaml"}}"#, ["'suppresions'", "'suppressions'"]),
        (#"{"job": "export", "params": {"as-of": "yesterday", "staging": "s3://b/s"}, "output": "u.tar.gz"}"#,
         ["--as-of takes an RFC 3339 instant", "'yesterday'"]),
        (#"{"job": "export", "params": {"as-of": "now"}, "output": "u.tar.gz"}"#, ["--as-of needs --staging"]),
        (#"{"job": "audit", "params": {"from-export": "s3://b/p/AWSDynamoDB/x/", "segments": 4}}"#, ["--segments does not apply"]),
        (#"{"job": "audit", "params": {"from-export": "https://b/p"}}"#, ["--from-export takes s3://"]),
        (#"{"job": "audit", "params": {"as-of": "now", "staging": "s3://b/s", "from-export": "s3://b/p/"}}"#, ["exclude each other"]),
        (#"{"job": "audit", "params": {"wait": "5m"}}"#, ["--wait goes with --as-of or --from-export"]),
        (#"{"job": "audit", "params": {"from-export": "s3://b/p/", "wait": "soon"}}"#, ["--wait takes a duration"]),
        (#"{"job": "audit", "params": {"staging": "s3://b/s"}}"#, ["--staging goes with --as-of"]),
    ])
    func refusals(json: String, mentions: [String]) throws {
        let error = #expect(throws: JobDefinition.Invalid.self) { try Self.definition(json).request(resume: false) }
        for text in mentions { #expect(error?.description.contains(text) == true, "\(text): \(error?.description ?? "")") }
    }

    @Test("a point-in-time export as a job file (the template's weekly one): the typed job equals its command line; midnight is the last 00:00 UTC")
    func pointInTime() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z
        let definition = try Self.definition("""
            {"job": "export", "params": {"format": "tar.zst", "as-of": "midnight", "staging": "s3://bucket/staging",
             "staging-kms-key": "alias/exports", "wait": "2h", "progress": "never"}, "output": "users-{date}.tar.zst"}
            """)
        guard case .export(let export) = try definition.request(now: now, resume: false) else { Issue.record("not an export"); return }
        #expect(export.snapshot == SnapshotSettings(asOf: "midnight", staging: "s3://bucket/staging", stagingKMSKey: "alias/exports",
                                                    wait: "2h"))
        #expect(try definition.request(now: now, resume: false) == (try Self.parsed(definition.commandLine(now: now, resume: false))))
        #expect(try SnapshotSettings.instant("midnight", now: now) == Date(timeIntervalSince1970: 1_800_000_000 - 8 * 3600))
        #expect(try SnapshotSettings.instant("now") == nil)
        #expect(try SnapshotSettings.instant("2026-11-30T00:00:00.250Z") == Date(timeIntervalSince1970: 1_795_996_800.25))
        #expect(try SnapshotSettings.duration("2h") == .seconds(7200) && SnapshotSettings.duration("90") == .seconds(90))
        let existing = SnapshotSettings(fromExport: "s3://b/p/AWSDynamoDB/0170-ab").existingExport
        #expect(existing == .folder(bucket: "b", folder: "p/AWSDynamoDB/0170-ab/"))
        #expect(SnapshotSettings(fromExport: "arn:aws:dynamodb:eu-west-1:1:table/users/export/0170-ab").existingExport
            == .arn("arn:aws:dynamodb:eu-west-1:1:table/users/export/0170-ab"))
    }
}
