import Foundation
import Testing
import TestSupport

/// The job function's CloudWatch Embedded Metric Format lines on stdout.
@Suite("uservault on Lambda: job metrics (EMF)")
struct LambdaMetricsTests {
    static let totals = ["Scanned", "Users", "Verified", "Findings", "FindingsHigh", "FindingsMedium", "FindingsLow",
                         "Suppressed", "NewFindings", "ResolvedFindings", "DynamoDBRequests", "KMSRequests", "TaggingRequests", "Retries", "Throttles", "Duration", "Complete"]

    @Test("the nightly audit writes EMF lines: the specification's required fields, every metric a member, totals and findings by code as in the report; a job that fails outright writes Complete 0")
    func nightlyAudit() async throws {
        let directory = try makeTemporaryDirectory("uservault-lambda-emf")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "30", "--defects", "5", "--seed", "2", "--log-level", "warning"],
                                       in: directory).exitCode == 0)
        let store = directory.appendingPathComponent(".uservault/store.sqlite").path
        let reports = directory.appendingPathComponent("reports")
        let standIn = try await LambdaRuntimeStandIn.start()
        let (results, output) = try await withLambdaFunction(
            handler: "job", store: store, standIn: standIn, in: directory,
            environment: ["USERVAULT_REPORT_DIR": reports.path, "USERVAULT_TABLE": "vault-users"]
        ) {
            let event = #"{"version":"0","id":"e1","detail-type":"Scheduled Event","source":"aws.events","detail":{}}"#
            let audit = try await standIn.invoke(Data(event.utf8))
            let failed = try await standIn.invoke(Data(#"{"job":"merge-reports","arguments":["no-such-folder"]}"#.utf8))
            return (audit, failed)
        }
        await standIn.stop()
        #expect(results.0.response != nil && results.1.response != nil, "\(results)")
        let report = try latestReport(in: reports)
        let documents = EMFDocument.all(in: output)
        for document in documents {
            #expect(document.problems.isEmpty, "\(document.problems) in \(document.object)")
            #expect(document.string("Table") == "vault-users")
            #expect(document.object.keys.allSatisfy { !$0.lowercased().contains("user") || $0 == "Users" }, "no user ids")
        }
        let audit = documents.filter { $0.string("Job") == "audit" }
        let total = try #require(audit.first { $0.dimensionSets == [["Table", "Job"]] }, "\(output)")
        #expect(total.metricNames == Self.totals)
        #expect(total.string("RunId") == report.object["runId"] as? String)
        #expect(total.number("Users") == 30 && total.number("Complete") == 1)
        #expect(total.number("Findings") == Double(report.findings.count) && report.findings.count >= 5)
        let high = report.findings.filter { $0["severity"] as? String == "high" }.count
        #expect(total.number("FindingsHigh") == Double(high))
        // The first night in this folder: nothing to compare with, every finding is new.
        #expect(total.number("NewFindings") == Double(report.findings.count) && total.number("ResolvedFindings") == 0)
        #expect(total.number("Suppressed") == 0)
        #expect(total.number("Verified") == Double(report.int("verified") ?? -1))

        let byCode = audit.filter { $0.dimensionSets == [["Table", "Job", "Code"]] }
        #expect(byCode.count == 15, "one line per finding code")
        let summary = report.object["summary"] as? [String: Int] ?? [:]
        for line in byCode {
            #expect(line.metricNames == ["Findings"])
            #expect(line.number("Findings") == Double(summary[line.string("Code") ?? ""] ?? 0), "\(line.object)")
        }
        #expect(documents.allSatisfy { $0.object["_aws"].flatMap { ($0 as? [String: Any])?["CloudWatchMetrics"] as? [[String: Any]] }?
                    .allSatisfy { $0["Namespace"] as? String == "UserVault" } == true })

        let failure = try #require(documents.first { $0.string("Job") == "merge-reports" }, "\(output)")
        #expect(failure.metricNames == ["Complete"] && failure.number("Complete") == 0)
    }
}
