import Foundation
import Testing
import TestSupport

/// The AWS endpoint dies in the middle of an audit: the run stops like on SIGTERM (exit 2, a
/// partial report, the checkpoint kept), with no finding made of the outage; `--resume` against
/// a healthy endpoint then writes the fault-free run's report.
@Suite("uservault audit through an endpoint that dies")
struct AuditOutageTests {
    @Test("an endpoint that dies after N requests, then --resume on a healthy one: the fault-free report, nothing twice",
          arguments: [8, 24])
    func dyingEndpoint(healthyRequests: Int) async throws {
        let directory = try makeTemporaryDirectory("uservault-outage")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withMotoServer { moto in
            // Legacy records (the CreatedBy listing is needed) and UserVault's, with defects.
            #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
            let written = try await runOriginalServiceFixture(["write", "users", "6"], moto: moto)
            #expect(written.status == 0, "\(written.output)")
            let seeded = try await runUserVault(["--backend", "aws", "seed", "--users", "14", "--defects", "5", "--seed", "9",
                                                 "--log-level", "warning"], environment: moto.environment, in: directory)
            #expect(seeded.exitCode == 0, "\(seeded.stderr)")
            let audit = ["--backend", "aws", "audit", "--progress", "never", "--segments", "4", "--concurrency", "2"]

            let faultFree = try await runUserVault(audit + ["--report-dir", "clean"], environment: moto.environment, in: directory)
            #expect(faultFree.exitCode == 1, "\(faultFree.stderr)")
            let expected = try latestReport(in: directory.appendingPathComponent("clean"))

            let proxy = try await PythonHelper.start("dying_proxy.py", label: "dying-proxy") { portFile, _ in
                [portFile.path, String(moto.port), String(healthyRequests)]
            }
            var dying = moto.environment
            dying["AWS_ENDPOINT_URL"] = proxy.endpoint.absoluteString
            dying["AWS_MAX_ATTEMPTS"] = "2"
            let checkpoint = directory.appendingPathComponent("audit.checkpoint").path
            let stopped = try await runUserVault(audit + ["--report-dir", "outage", "--checkpoint", checkpoint],
                                                 environment: dying, in: directory)
            await proxy.stop()
            #expect(stopped.exitCode == 2, "\(stopped.stdout) \(stopped.stderr)")
            #expect(stopped.stderr.split(separator: "\n").count == 1, "one line: \(stopped.stderr)")
            let partial = try latestReport(in: directory.appendingPathComponent("outage"))
            #expect(partial.complete == false)
            #expect(!partial.findings.contains { $0["code"] as? String == "UNVERIFIABLE" },
                    "an outage is no finding: \(partial.findingsJSON)")
            #expect(FileManager.default.fileExists(atPath: checkpoint), "the checkpoint is kept for --resume")

            let resumed = try await runUserVault(audit + ["--report-dir", "resumed", "--checkpoint", checkpoint, "--resume"],
                                                 environment: moto.environment, in: directory)
            #expect(resumed.exitCode == 1, "\(resumed.stderr)")
            let report = try latestReport(in: directory.appendingPathComponent("resumed"))
            #expect(report.complete == true)
            #expect(report.findingsJSON == expected.findingsJSON)
            for counter in ["users", "scanned", "verified"] {
                #expect(report.int(counter) == expected.int(counter), "\(counter)")
            }
            #expect(report.object["summary"] as? [String: Int] == expected.object["summary"] as? [String: Int])
            #expect(!FileManager.default.fileExists(atPath: checkpoint), "a complete run removes its checkpoint")
        }
    }
}
