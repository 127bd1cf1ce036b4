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
        _ = try await LambdaAPITests.withFunction(handler: "job", store: store, standIn: standIn, in: directory,
                                                  environment: ["USERVAULT_REPORT_DIR": reports]) {
            let event = #"{"version":"0","id":"e1","detail-type":"Scheduled Event","source":"aws.events","detail":{}}"#
            let audit = try Self.result(try await standIn.invoke(Data(event.utf8)))
            #expect(audit["job"] as? String == "audit" && audit["complete"] as? Bool == true)
            #expect(audit["exitCode"] as? Int == 1, "planted defects are findings")
            let report = try #require(audit["report"] as? [String: Any])
            #expect(report["users"] as? Int == 40 && (report["findings"] as? Int ?? 0) >= 5)
            #expect((report["path"] as? String)?.hasPrefix(reports) == true)

            let unknown = try await standIn.invoke(Data(#"{"job":"no-such-job"}"#.utf8))
            #expect(unknown.errorType == "UnknownJob")
            let notAJob = try await standIn.invoke(Data(#"{"httpMethod":"GET","path":"/users"}"#.utf8))
            #expect(notAJob.errorType == "InvalidEvent")
            let again = try Self.result(try await standIn.invoke(Data(#"{"job":"audit","params":{"progress":"never"}}"#.utf8)))
            #expect(again["complete"] as? Bool == true, "the loop goes on after errors")
        }
        await standIn.stop()
    }

    @Test("a deadline shorter than the work: complete false and a checkpoint; invoked again, the result of one long run")
    func deadline() async throws {
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

        let standIn = try await LambdaRuntimeStandIn.start()
        let checkpoint = directory.appendingPathComponent("sfn.checkpoint").path
        let input = #"{"job":"audit",\#(params),"checkpoint":"\#(checkpoint)","reportDir":"\#(directory.path)/sfn"}"#
        _ = try await LambdaAPITests.withFunction(handler: "job", store: store, standIn: standIn, in: directory,
                                                  environment: ["USERVAULT_DEADLINE_MARGIN_SECONDS": "1"]) {
            let first = try Self.result(try await standIn.invoke(Data(input.utf8), deadline: .seconds(2)))
            #expect(first["complete"] as? Bool == false, "\(first)")
            #expect(first["checkpoint"] as? String == checkpoint)
            #expect(FileManager.default.fileExists(atPath: checkpoint))
            var last = first
            for _ in 0..<5 where last["complete"] as? Bool != true {
                last = try Self.result(try await standIn.invoke(Data(input.utf8), deadline: .seconds(300)))
            }
            #expect(last["complete"] as? Bool == true && last["exitCode"] as? Int == 1, "\(last)")
        }
        await standIn.stop()
        let resumed = try latestReport(in: directory.appendingPathComponent("sfn"))
        #expect(resumed.int("users") == expected.int("users") && resumed.int("verified") == expected.int("verified"))
        #expect(resumed.findingsJSON == expected.findingsJSON)
        #expect(resumed.flaggedUsers == [ids[17], ids[19_000]])
    }
}
