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
            .replacingOccurrences(of: "Action: securityhub:BatchUpdateFindings", with: "Action: securityhub:GetFindings")
            .replacingOccurrences(of: "Resource: !Sub \"${UsersTable.Arn}/export/*\"", with: "Resource: !Sub \"${UsersTable.Arn}/*\"")
            .replacingOccurrences(of: "PointInTimeRecoveryEnabled: true", with: "PointInTimeRecoveryEnabled: false")
            .replacingOccurrences(of: "- !Sub \"${OutputBucket.Arn}/reports/*\"", with: "- !Sub \"${OutputBucket.Arn}/*\"")
            .replacingOccurrences(of: "s3:prefix: reports/*", with: "s3:prefix: \"*\"")
        try text.write(to: broken, atomically: true, encoding: .utf8)
        let (brokenStatus, brokenOutput) = try await Self.run(["python3", checker, broken.path])
        #expect(brokenStatus == 1 && brokenOutput.contains("credentials is on the attribute allow-list")
            && brokenOutput.contains("without kms:ReEncryptOnSameKey") && brokenOutput.contains("RepairRole: may kms:Decrypt")
            && brokenOutput.contains("JobRole: securityhub:BatchImportFindings beyond the account's default product")
            && brokenOutput.contains("JobRole: lacks securityhub:BatchUpdateFindings")
            && brokenOutput.contains("UsersTable: point-in-time recovery is off")
            && brokenOutput.contains("JobRole: dynamodb:DescribeExport on ['${UsersTable.Arn}/*'], not on ${UsersTable.Arn}/export/* alone")
            && brokenOutput.contains("JobRole: s3:GetObject on ${OutputBucket.Arn}/*, beyond the bucket's prefixes")
            && brokenOutput.contains("JobRole: s3:ListBucket on ['OutputBucket.Arn'] for ['*'], beyond the bucket's prefixes"),
               "\(brokenOutput)")
    }

    @Test("prune-orphans: the repair role may schedule key deletions, on per-user (CreatedBy-tagged) keys only")
    func pruneOrphansGrant() async throws {
        let checker = repositoryRoot.appendingPathComponent("Tests/TestSupport/Fixtures/check_template.py").path
        let template = try String(contentsOf: repositoryRoot.appendingPathComponent("jobs/template.yaml"), encoding: .utf8)
        func check(_ text: String) async throws -> (status: Int32, output: String) {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("template-\(UUID().uuidString).yaml")
            defer { try? FileManager.default.removeItem(at: file) }
            try text.write(to: file, atomically: true, encoding: .utf8)
            return try await Self.run(["python3", checker, file.path])
        }
        let grant = "                  - kms:ScheduleKeyDeletion\n"
        #expect(template.components(separatedBy: grant).count == 2, "one ScheduleKeyDeletion grant in the repair role")
        // Without the grant, prune-orphans cannot run ...
        let missing = try await check(template.replacingOccurrences(of: grant, with: ""))
        #expect(missing.status == 1 && missing.output.contains("RepairRole: cannot kms:ScheduleKeyDeletion"), "\(missing.output)")
        // ... and granted on any key (beside the repair role's key listing), it could delete keys
        // that are not per-user keys.
        let role = try #require(template.range(of: "  RepairRole:"))
        let repairRole = template[role.lowerBound...].replacingOccurrences(of: grant, with: "").replacingOccurrences(
            of: "Action: [kms:ListKeys, tag:GetResources]", with: "Action: [kms:ListKeys, tag:GetResources, kms:ScheduleKeyDeletion]")
        let anyKey = try await check(String(template[..<role.lowerBound]) + repairRole)
        #expect(anyKey.status == 1 && anyKey.output.contains("RepairRole: kms:ScheduleKeyDeletion on keys without the CreatedBy tag"),
                "\(anyKey.output)")
    }

    @Test("the paging alarm watches the nightly merge's NewFindings; Findings, NewFindings, ResolvedFindings and Suppressed are on the dashboard; the suppressions file reaches the job function, which may read it and list the report history")
    func reviewWiring() async throws {
        let script = """
            import json, sys
            from cfnlint.decode import cfn_yaml
            resources = cfn_yaml.load(sys.argv[1])["Resources"]
            alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
            dashboard = resources["AuditDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][0]
            statements = [s for p in resources["JobRole"]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
            print(json.dumps({
                "paging": sorted(a.get("MetricName", "") + "/" + "/".join(d["Value"] for d in a.get("Dimensions", []) if d["Name"] == "Job")
                                 + "/" + a.get("ComparisonOperator", "") + "/" + str(a.get("Threshold")) for a in alarms.values()
                                 if a.get("Namespace") == "UserVault"),
                "dashboard": [m[1] for m in json.loads(dashboard)["widgets"][0]["properties"]["metrics"]],
                "suppressions": resources["JobFunction"]["Properties"]["Environment"]["Variables"]["USERVAULT_SUPPRESSIONS"],
                "list": [s["Resource"] for s in statements if s["Action"] == "s3:ListBucket"],
            }, sort_keys=True, default=str))
            """
        let (status, output) = try await Self.run(["python3", "-c", script, "jobs/template.yaml"])
        #expect(status == 0, "\(output)")
        let wiring = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let paging = wiring["paging"] as? [String] ?? []
        #expect(paging.contains("NewFindings/merge-reports/GreaterThanThreshold/0"), "\(paging)")
        #expect(!paging.contains { $0.hasPrefix("Findings/") }, "no alarm on every open finding every night: \(paging)")
        #expect(paging.contains("Complete/merge-reports/LessThanThreshold/1"), "the incomplete-night alarm stays: \(paging)")
        #expect(wiring["dashboard"] as? [String] == ["Findings", "NewFindings", "ResolvedFindings", "Suppressed"])
        #expect("\(wiring["suppressions"] ?? "")".contains("AuditSuppressionsKey") && "\(wiring["suppressions"] ?? "")".contains("HasSuppressions"))
        #expect((wiring["list"] as? [Any])?.count == 1, "s3:ListBucket for --baseline auto: \(output)")
    }

    @Test("the continuous proofs: a KEYS_ONLY stream; its mapping with ReportBatchItemFailures, bisection, bounded retries and record age, an SQS on-failure queue; the API-call rule and a rule of its own for the DeleteKey service event; alarms on the queue's depth and the iterator age; roles that never write the table; the suppressions file reaches both functions, whose roles read config/ only and may set findings SUPPRESSED")
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
            // Accepted findings reach the continuous proofs as the nightly audit.
            ("          USERVAULT_SUPPRESSIONS: !If", "          USERVAULT_NO_SUPPRESSIONS: !If",
             "StreamFunction: no USERVAULT_SUPPRESSIONS (accepted findings would not apply)"),
            ("              - Sid: ReadConfig\n                Effect: Allow\n                Action: s3:GetObject\n                Resource: !Sub \"${OutputBucket.Arn}/config/*\"\n", "",
             "KeyEventsRole: cannot read the suppressions file (s3:GetObject on config/*)"),
            ("                Action: s3:GetObject\n                Resource: !Sub \"${OutputBucket.Arn}/config/*\"",
             "                Action: [s3:GetObject, s3:PutObject]\n                Resource: !Sub \"${OutputBucket.Arn}/config/*\"",
             "JobRole: s3:PutObject on the config prefix (read only)"),
            ("# suppressions file in config/ (read only).\n              - Sid: SuppressAcceptedFindings\n                Effect: Allow\n                Action: securityhub:BatchUpdateFindings",
             "# suppressions file in config/ (read only).\n              - Sid: SuppressAcceptedFindings\n                Effect: Allow\n                Action: securityhub:GetFindings",
             "StreamRole: lacks securityhub:BatchUpdateFindings (accepted findings are set SUPPRESSED)"),
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
