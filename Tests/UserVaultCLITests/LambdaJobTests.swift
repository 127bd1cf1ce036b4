import AWSClients
import EmbeddedStore
import Foundation
import Testing
import TestSupport
import UserVaultCore

/// The binary as the job function (`_HANDLER=job`) against the Runtime API stand-in.
@Suite("uservault on Lambda: jobs")
struct LambdaJobTests {
    static func result(_ outcome: LambdaRuntimeStandIn.Outcome) throws -> [String: Any] {
        let data = try #require(outcome.response, "an invocation error: \(outcome)")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("a scheduled event runs the nightly audit and returns its summary; an unknown job is an invocation error")
    func scheduled() async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda-job")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "40", "--defects", "5", "--log-level", "warning"], in: directory).exitCode == 0)
        let store = directory.appendingPathComponent(".uservault/store.sqlite").path
        let standIn = try await LambdaRuntimeStandIn.start()
        let reports = directory.appendingPathComponent("lambda-reports").path
        _ = try await withLambdaFunction(handler: "job", store: store, standIn: standIn, in: directory,
                                         environment: ["USERVAULT_REPORT_DIR": reports]) {
            let event = #"{"version":"0","id":"e1","detail-type":"Scheduled Event","source":"aws.events","detail":{}}"#
            let audit = try Self.result(try await standIn.invoke(Data(event.utf8)))
            #expect(audit["job"] as? String == "audit" && audit["complete"] as? Bool == true)
            #expect(audit["exitCode"] as? Int == 1, "planted defects are findings")
            let report = try #require(audit["report"] as? [String: Any])
            #expect(report["users"] as? Int == 40 && (report["findings"] as? Int ?? 0) >= 5)
            #expect((report["report"] as? String)?.hasPrefix(reports) == true, "\(report)")

            let unknown = try await standIn.invoke(Data(#"{"job":"no-such-job"}"#.utf8))
            #expect(unknown.errorType == "UnknownJob")
            let notAJob = try await standIn.invoke(Data(#"{"httpMethod":"GET","path":"/users"}"#.utf8))
            #expect(notAJob.errorType == "InvalidEvent")
            let again = try Self.result(try await standIn.invoke(Data(#"{"job":"audit","params":{"progress":"never"}}"#.utf8)))
            #expect(again["complete"] as? Bool == true, "the loop goes on after errors")
        }
        await standIn.stop()
    }

    @Test("a misspelt key is an InvalidJob naming it and the nearest known key; the envelopes the handler takes still run")
    func unknownKeys() async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda-job-keys")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "5", "--log-level", "warning"], in: directory).exitCode == 0)
        let store = directory.appendingPathComponent(".uservault/store.sqlite").path
        let standIn = try await LambdaRuntimeStandIn.start()
        _ = try await withLambdaFunction(handler: "job", store: store, standIn: standIn, in: directory,
                                         environment: ["USERVAULT_REPORT_DIR": directory.appendingPathComponent("r").path]) {
            for (key, nearest) in [("reportdir", "reportDir"), ("chekpoint", "checkpoint")] {
                let event = #"{"job":"audit","params":{"progress":"never"},"\#(key)":"x"}"#
                let outcome = try await standIn.invoke(Data(event.utf8))
                #expect(outcome.errorType == "InvalidJob", "\(outcome)")
                guard case .error(_, let body) = outcome else { continue }
                let message = (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["errorMessage"] as? String ?? ""
                #expect(message.contains("'\(key)'") && message.contains("'\(nearest)'"), "\(message)")
            }
            // A scheduled event's whole envelope (no job in it): the nightly audit.
            let scheduled = #"{"version":"0","id":"e2","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","#
                + #""time":"2026-11-29T02:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/n"],"detail":{}}"#
            #expect(try Self.result(try await standIn.invoke(Data(scheduled.utf8)))["complete"] as? Bool == true)
            // The state machine's worker input: job, params, worker, checkpoint, reportDir.
            let checkpoint = directory.appendingPathComponent("w.ckpt").path
            let worker = #"{"job":"audit","params":{"segments":4,"progress":"never"},"worker":"0/2","checkpoint":"\#(checkpoint)","#
                + #""reportDir":"\#(directory.path)/w"}"#
            #expect(try Self.result(try await standIn.invoke(Data(worker.utf8)))["complete"] as? Bool == true)
        }
        await standIn.stop()
    }

    @Test("the repair function with a shipped job file: a dry run that changes nothing; with apply true, the repair")
    func repairJobFile() async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda-repair")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "40", "--defects", "8", "--seed", "3", "--log-level", "warning"],
                                       in: directory).exitCode == 0)
        let store = directory.appendingPathComponent(".uservault/store.sqlite").path
        let shipped = try Data(contentsOf: repositoryRoot.appendingPathComponent("jobs/backfill-encrypt-plaintext.json"))
        var applied = try #require(try JSONSerialization.jsonObject(with: shipped) as? [String: Any])
        applied["params"] = ["progress": "never", "apply": true]
        let reports = directory.appendingPathComponent("repair-reports").path
        let standIn = try await LambdaRuntimeStandIn.start()
        _ = try await withLambdaFunction(handler: "job", store: store, standIn: standIn, in: directory,
                                         environment: ["USERVAULT_REPORT_DIR": reports]) {
            let before = try storeSHA256(store)
            let dry = try Self.result(try await standIn.invoke(shipped))
            #expect(dry["job"] as? String == "backfill" && dry["complete"] as? Bool == true, "\(dry)")
            let planned = (dry["report"] as? [String: Any])?["summary"] as? [String: Any]
            let count = try #require(planned?["ENCRYPT_PLAINTEXT_PLANNED"] as? Int, "\(dry)")
            #expect(count > 0)
            #expect(try storeSHA256(store) == before, "a dry run changes nothing")
            // The job file says "reports": on Lambda (a read-only working directory) that is the function's folder.
            let location = try #require((dry["report"] as? [String: Any])?["report"] as? String, "\(dry)")
            #expect(location.hasPrefix(reports), "\(location)")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("reports").path))

            let done = try Self.result(try await standIn.invoke(try JSONSerialization.data(withJSONObject: applied)))
            #expect(done["complete"] as? Bool == true && done["exitCode"] as? Int == 0, "\(done)")
            #expect(((done["report"] as? [String: Any])?["summary"] as? [String: Any])?["ENCRYPT_PLAINTEXT_DONE"] as? Int == count)
            let again = try Self.result(try await standIn.invoke(shipped))
            #expect(((again["report"] as? [String: Any])?["summary"] as? [String: Any])?.isEmpty == true, "nothing left: \(again)")
        }
        await standIn.stop()
    }

    @Test("every log line of a job carries the invocation's requestId and the report's runId: the scan's progress and a retried request's lines too",
          .disabled(if: sanitizerRun != nil, "it needs the job faster than the account's KMS quota, to be throttled"))
    func logContext() async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda-logs")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The job may use 44 ReEncrypts/s; the account allows 30/s: throttled answers, retried, then a slower pace.
        let fixture = try await LatencyFixtureProcess.start(["300", "20", "100", "--quota", "Cryptographic=30"])
        defer { fixture.stop() }
        let standIn = try await LambdaRuntimeStandIn.start()
        let environment = [
            "USERVAULT_BACKEND": "aws", "AWS_ENDPOINT_URL": fixture.endpoint.absoluteString, "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIDLAMBDA", "AWS_SECRET_ACCESS_KEY": "fixture", "AWS_EC2_METADATA_DISABLED": "true",
            "USERVAULT_LOG_LEVEL": "debug", "USERVAULT_REPORT_DIR": directory.appendingPathComponent("r").path,
        ]
        let (result, stderr) = try await withLambdaFunction(handler: "job", store: "unused.sqlite", standIn: standIn,
                                                            in: directory, environment: environment) {
            try Self.result(try await standIn.invoke(Data(#"{"job":"audit","params":{"key-state":"proof","segments":2,"kms-share":0.008}}"#.utf8)))
        }
        await standIn.stop()
        #expect(result["complete"] as? Bool == true, "\(result) \(stderr.suffix(3000))")
        let runId = try #require((result["report"] as? [String: Any])?["runId"] as? String)
        let lines = stderr.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        let start = try #require(lines.firstIndex { $0["message"] as? String == "job" }, "\(stderr)")
        let end = try #require(lines.firstIndex { $0["message"] as? String == "job ended" }, "\(stderr)")
        let requestId = try #require(lines[start]["requestId"] as? String)
        let job = lines[(start + 1)..<end]
        #expect(!job.isEmpty)
        for line in job {
            #expect(line["requestId"] as? String == requestId, "\(line)")
            #expect(line["runId"] as? String == runId, "\(line)")
        }
        #expect(job.contains { $0["message"] as? String == "progress" }, "a progress line")
        #expect(job.contains { $0["message"] as? String == "retrying" }, "a retried request's line")
        #expect(lines[end]["runId"] as? String == runId, "the handler's own last line names the run")
    }

    @Test("a deadline shorter than the work: complete false and a checkpoint; invoked again, the result of one long run",
          arguments: ["local", "s3"])
    func deadline(checkpointKind: String) async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda-deadline")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent(".uservault/store.sqlite").path
        let embedded = try EmbeddedStore(path: store)
        let ids = try await embedded.bulkLoadSyntheticUsers(count: 20_000, seed: 8)
        var generator = SeededGenerator(seed: 4)
        let planter = DefectPlanter(table: embedded.table, keys: embedded.keys)
        _ = try await planter.plant(.plaintextString, userId: ids[17], password: "a-password", using: &generator)
        _ = try await planter.plant(.disabledKey, userId: ids[19_000], password: "a-password", using: &generator)

        let params = #""params":{"segments":64,"concurrency":1,"progress":"never"}"#
        let whole = try await runUserVault(["audit", "--segments", "64", "--concurrency", "1", "--progress", "never",
                                            "--report-dir", "whole", "--log-level", "warning"], in: directory)
        #expect(whole.exitCode == 1, "\(whole.stderr)")
        let expected = try latestReport(in: directory.appendingPathComponent("whole"))

        // The checkpoint: a local file (one execution environment), or an S3 object (any).
        let moto: MotoServer? = checkpointKind == "s3" ? try await MotoServer.start() : nil
        func withS3<T: Sendable>(_ body: (S3Client) async throws -> T) async throws -> T? {
            guard let moto else { return nil }
            return try await HTTP1Transport.withTransport { try await body(moto.s3Client($0)) }
        }
        _ = try await withS3 { try await $0.createBucket("state") }
        let checkpoint = moto == nil ? directory.appendingPathComponent("sfn.checkpoint").path : "s3://state/audit/worker-0.sqlite"
        func checkpointExists() async -> Bool {
            guard moto != nil else { return FileManager.default.fileExists(atPath: checkpoint) }
            return (try? await withS3 { try await $0.headObject(bucket: "state", key: "audit/worker-0.sqlite") }) != nil
        }
        let standIn = try await LambdaRuntimeStandIn.start()
        let input = #"{"job":"audit",\#(params),"checkpoint":"\#(checkpoint)","reportDir":"\#(directory.path)/sfn"}"#
        _ = try await withLambdaFunction(handler: "job", store: store, standIn: standIn, in: directory,
                                         environment: ["USERVAULT_DEADLINE_MARGIN_SECONDS": "1"]
                                                      .merging(moto?.environment ?? [:]) { $1 }) {
            let first = try Self.result(try await standIn.invoke(Data(input.utf8), deadline: .seconds(2)))
            #expect(first["complete"] as? Bool == false, "\(first)")
            #expect(first["checkpoint"] as? String == checkpoint)
            #expect(await checkpointExists())
            var last = first
            for _ in 0..<5 where last["complete"] as? Bool != true {
                last = try Self.result(try await standIn.invoke(Data(input.utf8), deadline: .seconds(300)))
            }
            #expect(last["complete"] as? Bool == true && last["exitCode"] as? Int == 1, "\(last)")
            #expect(await !checkpointExists(), "a completed job leaves no checkpoint")
        }
        await standIn.stop()
        await moto?.stop()
        let resumed = try latestReport(in: directory.appendingPathComponent("sfn"))
        #expect(resumed.int("users") == expected.int("users") && resumed.int("verified") == expected.int("verified"))
        #expect(resumed.findingsJSON == expected.findingsJSON)
        #expect(resumed.flaggedUsers == [ids[17], ids[19_000]])
    }

    @Test("the state machine's fan-out: two workers to S3, then merge-reports over their report folders = one run's report")
    func fanOut() async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda-fanout")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "60", "--defects", "8", "--seed", "5", "--log-level", "warning"],
                                       in: directory).exitCode == 0)
        let whole = try await runUserVault(["audit", "--segments", "8", "--progress", "never", "--report-dir", "whole"], in: directory)
        #expect(whole.exitCode == 1, "\(whole.stderr)")
        let expected = try latestReport(in: directory.appendingPathComponent("whole"))
        let store = directory.appendingPathComponent(".uservault/store.sqlite").path
        try await withMotoServer { moto in
            try await HTTP1Transport.withTransport { try await moto.s3Client($0).createBucket("state") }
            let standIn = try await LambdaRuntimeStandIn.start()
            _ = try await withLambdaFunction(handler: "job", store: store, standIn: standIn, in: directory,
                                             environment: moto.environment.merging(["USERVAULT_REPORT_DIR": "s3://state/reports"]) { $1 }) {
                var reports: [String] = []
                for worker in 0..<2 {
                    let input = #"{"job":"audit","params":{"segments":8,"progress":"never"},"worker":"\#(worker)/2","#
                        + #""checkpoint":"s3://state/checkpoints/x/worker-\#(worker).sqlite","reportDir":"s3://state/reports/workers/x"}"#
                    let result = try Self.result(try await standIn.invoke(Data(input.utf8)))
                    #expect(result["complete"] as? Bool == true, "\(result)")
                    let report = try #require((result["report"] as? [String: Any])?["report"] as? String)
                    #expect(report.hasPrefix("s3://state/reports/workers/x/audit/") && report.hasSuffix("/report.json"))
                    reports.append(report)
                }
                let arguments = String(decoding: try JSONSerialization.data(withJSONObject: reports), as: UTF8.self)
                let merged = try Self.result(try await standIn.invoke(Data(#"{"job":"merge-reports","arguments":\#(arguments)}"#.utf8)))
                #expect(merged["complete"] as? Bool == true && merged["exitCode"] as? Int == 1, "\(merged)")
                let report = try #require(merged["report"] as? [String: Any])
                #expect((report["report"] as? String)?.hasPrefix("s3://state/reports/audit/") == true)
                #expect(report["users"] as? Int == expected.int("users") && report["verified"] as? Int == expected.int("verified"))
                #expect(report["findings"] as? Int == expected.findings.count)
                #expect((report["summary"] as? [String: Int]) == (expected.object["summary"] as? [String: Int]))
            }
            await standIn.stop()
        }
    }
}
