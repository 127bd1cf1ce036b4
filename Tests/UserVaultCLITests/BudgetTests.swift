import Foundation
import Testing
import TestSupport

/// The budgets belong to the account, not to a process: a share of the default KMS quotas split
/// over the workers, half a provisioned table's read capacity split the same way; every budget in
/// force is in `report.json` `parameters` (checked by the report schema) and in `report.md`.
@Suite("Budgets: a share of the account's quotas, split over the workers")
struct BudgetTests {
    static func parameters(_ report: ReportFile) -> [String: String] {
        report.object["parameters"] as? [String: String] ?? [:]
    }

    @Test("moto: a provisioned table's default read budget is half its capacity over M; KMS budgets are the share over M")
    func aws() async throws {
        let directory = try makeTemporaryDirectory("uservault-budgets")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withMotoServer { moto in
            let create = """
                import boto3
                boto3.client("dynamodb", region_name="us-east-1").create_table(
                    TableName="provisioned", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PROVISIONED",
                    ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 5})
                """
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
            environment.merge(moto.environment) { $1 }
            let created = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", create], environment: environment)
            #expect(created.status == 0, "\(String(decoding: created.stderr, as: UTF8.self))")
            #expect(try await runUserVault(["--backend", "aws", "--table", "ondemand", "init"], environment: moto.environment,
                                           in: directory).exitCode == 0)

            func audit(_ table: String, _ extra: [String], reports: String) async throws -> ReportFile {
                let result = try await runUserVault(["--backend", "aws", "--table", table, "audit", "--progress", "never",
                                                     "--report-dir", reports] + extra, environment: moto.environment, in: directory)
                #expect(result.exitCode == 0, "\(result.stderr)")
                let report = try latestReport(in: directory.appendingPathComponent(reports))
                #expect(try await validateJSONDocuments([report.raw], schema: reportSchemaURL).isEmpty)
                return report
            }
            let worker = try await audit("provisioned", ["--segments", "2", "--worker", "0/2"], reports: "w0")
            #expect(Self.parameters(worker)["readBudget"] == "25", "100 RCU × 0.5 / 2 workers: \(Self.parameters(worker))")
            #expect(Self.parameters(worker)["kmsShare"] == "0.5")
            #expect(Self.parameters(worker)["keyState"] == "describe", "auto, with an endpoint override (moto): DescribeKey first")
            let kms = Self.parameters(worker)["kmsBudget"] ?? ""
            #expect(kms.contains("DescribeKey=500") && kms.contains("Cryptographic=1375"), "2,000 and 5,500 × 0.5 / 2: \(kms)")
            let markdown = try String(contentsOf: worker.folder.appendingPathComponent("report.md"), encoding: .utf8)
            #expect(markdown.contains("DescribeKey=500") && markdown.contains("25 RCU/s"), "report.md shows the budgets")

            let whole = try await audit("provisioned", ["--kms-share", "0.2", "--kms-rate", "DescribeKey=7"], reports: "whole")
            #expect(Self.parameters(whole)["readBudget"] == "50")
            let wholeKMS = Self.parameters(whole)["kmsBudget"] ?? ""
            #expect(wholeKMS.contains("DescribeKey=7") && wholeKMS.contains("Cryptographic=1100"), "\(wholeKMS)")

            let onDemand = try await audit("ondemand", ["--segments", "2", "--worker", "1/2"], reports: "ondemand")
            #expect(Self.parameters(onDemand)["readBudget"] == "none", "an on-demand table is not capped")
            let capped = try await audit("ondemand", ["--max-read-units", "7.5"], reports: "capped")
            #expect(Self.parameters(capped)["readBudget"] == "7.5")
        }
    }

    @Test("the embedded store has no quotas: nothing is capped, and the report says so")
    func embedded() async throws {
        let directory = try makeTemporaryDirectory("uservault-budgets-local")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await runUserVault(["seed", "--users", "10", "--log-level", "warning"], in: directory).exitCode == 0)
        let result = try await runUserVault(["audit", "--progress", "never", "--report-dir", "r"], in: directory)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let report = try latestReport(in: directory.appendingPathComponent("r"))
        #expect(Self.parameters(report)["kmsBudget"] == "none" && Self.parameters(report)["readBudget"] == "none")
        #expect(Self.parameters(report)["kmsShare"] == nil)
        #expect(Self.parameters(report)["keyState"] == "proof", "auto: the embedded key service enforces key state")
        #expect(try await validateJSONDocuments([report.raw], schema: reportSchemaURL).isEmpty)
        let invalid = try await runUserVault(["audit", "--kms-share", "1.5"], in: directory)
        #expect(invalid.exitCode == 2 && invalid.stderr.contains("--kms-share"))
    }
}
