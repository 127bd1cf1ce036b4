import Foundation
import Testing
import TestSupport

/// `jobs/template.yaml`: cfn-lint finds no error, and the roles keep their promises.
@Suite("The deployment template")
struct DeploymentTemplateTests {
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), arguments, in: repositoryRoot)
        return (result.status, String(decoding: result.stdout + result.stderr, as: UTF8.self))
    }

    @Test("cfn-lint jobs/template.yaml reports no error")
    func lint() async throws {
        let (status, output) = try await Self.run(["cfn-lint", "--format", "parseable", "jobs/template.yaml"])
        // cfn-lint exits 2 on errors, 4 on warnings, 8 on informational findings (bit flags).
        #expect(status & 2 == 0, "cfn-lint errors:\n\(output)")
        #expect(status & ~(2 | 4 | 8) == 0, "cfn-lint could not run: \(output)")
    }

    @Test("the API role reads through an allow-list without credentials; the job role cannot Decrypt, ReEncrypts only on the same key and publishes findings only into its default product; the repair role cannot Decrypt and touches only per-user keys; point-in-time exports: PITR on, the export actions on the table and its exports only, S3 by prefix")
    func roles() async throws {
        let checker = repositoryRoot.appendingPathComponent("Tests/TestSupport/Fixtures/check_template.py").path
        let (status, output) = try await Self.run(["python3", checker, "jobs/template.yaml"])
        #expect(status == 0, "\(output)")
        // The checker itself catches a broken promise.
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("template-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: broken) }
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("jobs/template.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "dynamodb:Attributes: [id, type,", with: "dynamodb:Attributes: [credentials, id, type,")
            .replacingOccurrences(of: "kms:ReEncryptOnSameKey: \"true\"", with: "kms:ReEncryptOnSameKey: \"false\"")
            .replacingOccurrences(of: "                  - kms:Encrypt\n", with: "                  - kms:Decrypt\n                  - kms:Encrypt\n")
            .replacingOccurrences(of: "product/${AWS::AccountId}/default", with: "product/*")
            .replacingOccurrences(of: "Resource: !Sub \"${UsersTable.Arn}/export/*\"", with: "Resource: !Sub \"${UsersTable.Arn}/*\"")
            .replacingOccurrences(of: "PointInTimeRecoveryEnabled: true", with: "PointInTimeRecoveryEnabled: false")
            .replacingOccurrences(of: "- !Sub \"${OutputBucket.Arn}/reports/*\"", with: "- !Sub \"${OutputBucket.Arn}/*\"")
        try text.write(to: broken, atomically: true, encoding: .utf8)
        let (brokenStatus, brokenOutput) = try await Self.run(["python3", checker, broken.path])
        #expect(brokenStatus == 1 && brokenOutput.contains("credentials is on the attribute allow-list")
            && brokenOutput.contains("without kms:ReEncryptOnSameKey") && brokenOutput.contains("RepairRole: may kms:Decrypt")
            && brokenOutput.contains("JobRole: securityhub:BatchImportFindings beyond the account's default product")
            && brokenOutput.contains("UsersTable: point-in-time recovery is off")
            && brokenOutput.contains("JobRole: dynamodb:DescribeExport on ['${UsersTable.Arn}/*'], not on ${UsersTable.Arn}/export/* alone")
            && brokenOutput.contains("JobRole: s3:GetObject on ${OutputBucket.Arn}/*, beyond the bucket's prefixes"),
               "\(brokenOutput)")
    }
}
