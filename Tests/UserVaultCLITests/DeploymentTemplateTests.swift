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

    @Test("the API role reads through an allow-list without credentials; the job role cannot Decrypt, ReEncrypts only on the same key and publishes findings only into its default product; the repair role cannot Decrypt and touches only per-user keys")
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
        try text.write(to: broken, atomically: true, encoding: .utf8)
        let (brokenStatus, brokenOutput) = try await Self.run(["python3", checker, broken.path])
        #expect(brokenStatus == 1 && brokenOutput.contains("credentials is on the attribute allow-list")
            && brokenOutput.contains("without kms:ReEncryptOnSameKey") && brokenOutput.contains("RepairRole: may kms:Decrypt")
            && brokenOutput.contains("JobRole: securityhub:BatchImportFindings beyond the account's default product"),
               "\(brokenOutput)")
    }

    @Test("the continuous proofs: a KEYS_ONLY stream; its mapping with ReportBatchItemFailures, bisection, bounded retries and record age, an SQS on-failure queue; the API-call rule and a rule of its own for the DeleteKey service event; alarms on the queue's depth and the iterator age; roles that never write the table")
    func continuousProofs() async throws {
        let checker = repositoryRoot.appendingPathComponent("Tests/TestSupport/Fixtures/check_template.py").path
        let template = try String(contentsOf: repositoryRoot.appendingPathComponent("jobs/template.yaml"), encoding: .utf8)
        // Each promise broken alone, and the checker's line for it.
        let breaks: [(from: String, to: String, line: String)] = [
            ("StreamViewType: KEYS_ONLY", "StreamViewType: NEW_AND_OLD_IMAGES", "the stream is not KEYS_ONLY"),
            ("      FunctionResponseTypes: [ReportBatchItemFailures]\n", "", "without FunctionResponseTypes ReportBatchItemFailures"),
            ("      BisectBatchOnFunctionError: true\n", "", "without BisectBatchOnFunctionError"),
            ("      MaximumRetryAttempts: 10\n", "      MaximumRetryAttempts: -1\n", "MaximumRetryAttempts unbounded"),
            ("      MaximumRecordAgeInSeconds: 3600\n", "", "MaximumRecordAgeInSeconds unbounded"),
            ("          Destination: !GetAtt StreamFailureQueue.Arn", "          Destination: !GetAtt KeyEventsFunction.Arn",
             "no SQS on-failure destination"),
            ("            - DeleteAlias\n", "", "no rule sends the KMS API calls ['DeleteAlias']"),
            ("        detail-type: [AWS Service Event via CloudTrail]", "        detail-type: [AWS Service Event via CloudTrail, AWS API Call via CloudTrail]",
             "no rule of its own sends the DeleteKey service event"),
            ("      MetricName: IteratorAge", "      MetricName: Duration", "no alarm on the stream function's iterator age"),
            ("      Dimensions: [{ Name: QueueName, Value: !GetAtt StreamFailureQueue.QueueName }]",
             "      Dimensions: [{ Name: QueueName, Value: !GetAtt KeyEventsFailureQueue.QueueName }]", "no alarm on the depth of StreamFailureQueue"),
            ("                Action: dynamodb:GetItem\n                Resource: !GetAtt UsersTable.Arn\n              - Sid: ProveCiphertextsOnTheSameKey",
             "                Action: [dynamodb:GetItem, dynamodb:UpdateItem]\n                Resource: !GetAtt UsersTable.Arn\n              - Sid: ProveCiphertextsOnTheSameKey",
             "StreamRole: may dynamodb:UpdateItem"),
        ]
        for broken in breaks {
            #expect(template.contains(broken.from), "the template changed: \(broken.from)")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("template-\(UUID().uuidString).yaml")
            defer { try? FileManager.default.removeItem(at: file) }
            try template.replacingOccurrences(of: broken.from, with: broken.to).write(to: file, atomically: true, encoding: .utf8)
            let (status, output) = try await Self.run(["python3", checker, file.path])
            #expect(status == 1 && output.contains(broken.line), "\(broken.line): \(output)")
        }
    }
}
