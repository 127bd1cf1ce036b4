import AWSClients
import Foundation
@testable import Jobs
import Testing
import TestSupport
@testable import JobExecution

/// `--publish-findings securityhub`: on moto, runs update one finding per (user, code) and a
/// fixed user's finding is archived; a worker run archives nothing; refused findings are retried
/// and reported with exit 2, the report still written; batches of at most 100.
@Suite("Security Hub publishing", .serialized)
struct SecurityHubPublishTests {
    /// A finding as boto3 reads it back (`Fixtures/security_hub.py`).
    struct HubFinding: Decodable, Sendable {
        var Id: String
        var RecordState: String?
        var Workflow: String?
        var CreatedAt: String
        var UpdatedAt: String
        /// The note's text and who wrote it.
        var Note: String?
        var NoteBy: String?
    }

    static func hubFindings(_ moto: MotoServer) async throws -> [HubFinding] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TestSupport/Fixtures/security_hub.py")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        environment.merge(moto.environment) { $1 }
        let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, "findings"],
                                               environment: environment)
        #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        return try String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
            .map { try JSONDecoder().decode(HubFinding.self, from: Data($0.utf8)) }
    }

    /// `Fixtures/validate_asff.py`: BatchImportFindings (or `operation`'s) bodies checked against botocore's model.
    static func validateASFF(_ files: [String], operation: String? = nil) async throws -> (status: Int32, output: String) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TestSupport/Fixtures/validate_asff.py")
        let result = try await runChildProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                               ["python3", script.path] + (operation.map { ["--operation", $0] } ?? []) + files)
        return (result.status, String(decoding: result.stdout + result.stderr, as: UTF8.self))
    }

    /// The Security Hub id of a (user, code) of table `users` on moto.
    static func id(_ userId: String, _ code: String) -> String {
        "uservault/aws/\(MotoServer.accountId)/\(MotoServer.region)/users/\(userId)/\(code)"
    }

    static func published(_ report: ReportFile) -> [String: any Sendable] {
        report.object["published"] as? [String: any Sendable] ?? [:]
    }

    /// `body` with a moto server holding 9 boto3-written users of table `users`, 8 of them with
    /// planted defects (their kinds by user), and a working folder.
    static func withPlantedUsers(_ body: (MotoServer, URL, [String: String]) async throws -> Void) async throws {
        try await withMotoServer { moto in
            let directory = try makeTemporaryDirectory("uservault-securityhub")
            defer { try? FileManager.default.removeItem(at: directory) }
            try await body(moto, directory, try await plantedUsers(moto))
        }
    }

    static func plantedUsers(_ moto: MotoServer) async throws -> [String: String] {
        #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
        let written = try await runOriginalServiceFixture(["write", "users", "9"], moto: moto)
        let ids = written.output.split(separator: "\n").compactMap {
            ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String])?["id"]
        }
        let planted = try await runOriginalServiceFixture(["plant", "users"] + ids, moto: moto)
        #expect(planted.status == 0, "\(planted.output)")
        return Dictionary(uniqueKeysWithValues: planted.output.split(separator: "\n").compactMap {
            ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String]).flatMap { line in
                line["userId"].map { ($0, line["kind"] ?? "") }
            }
        })
    }

    @Test("moto: two audits leave one finding per (user, code); after encrypt-plaintext a third archives the fixed users'")
    func acceptance() async throws {
        try await Self.withPlantedUsers { moto, directory, kinds in
            let plaintext = Set(kinds.filter { $0.value.hasPrefix("plaintext-") }.keys)
            #expect(plaintext.count == 2)
            func audit(_ folder: String, _ extra: [String] = []) async throws -> ReportFile {
                let run = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", folder,
                                                  "--publish-findings", "securityhub"] + extra, environment: moto.environment, in: directory)
                #expect(run.exitCode == 1, "findings, all published: \(run.stdout) \(run.stderr)")
                #expect(run.stdout.contains("published to securityhub: "), "\(run.stdout)")
                let report = try latestReport(in: directory.appendingPathComponent(folder))
                #expect(try await validateJSONDocuments([report.raw], schema: reportSchemaURL).isEmpty)
                return report
            }
            func pairs(_ report: ReportFile) -> Set<String> {
                Set(report.findings.map { Self.id(($0["userId"] ?? $0["keyId"]) as? String ?? "-", $0["code"] as? String ?? "") })
            }

            let first = try await audit("r1")
            let expected = pairs(first)
            #expect(expected.contains(Self.id(plaintext.first!, "CREDENTIALS_PLAINTEXT")))
            #expect(Self.published(first)["sent"] as? Int == expected.count && Self.published(first)["failed"] as? Int == 0)
            let afterFirst = try await Self.hubFindings(moto)
            let second = try await audit("r2")
            #expect(pairs(second) == expected)
            let afterSecond = try await Self.hubFindings(moto)
            #expect(afterSecond.count == expected.count, "one finding per (user, code), not one per run")
            #expect(Set(afterSecond.map(\.Id)) == expected)
            #expect(afterSecond.allSatisfy { $0.RecordState == "ACTIVE" && $0.Workflow == "NEW" })
            let created = Dictionary(uniqueKeysWithValues: afterFirst.map { ($0.Id, $0) })
            for finding in afterSecond {
                #expect(finding.CreatedAt == created[finding.Id]?.CreatedAt, "CreatedAt is kept: \(finding.Id)")
                #expect(finding.UpdatedAt > (created[finding.Id]?.UpdatedAt ?? ""), "UpdatedAt is this run's: \(finding.Id)")
            }

            let backfill = try await runUserVault(["--backend", "aws", "backfill", "encrypt-plaintext", "--apply", "--progress", "never"],
                                                  environment: moto.environment, in: directory)
            #expect(backfill.exitCode == 0 && backfill.stdout.contains("2 done"), "\(backfill.stdout) \(backfill.stderr)")

            // A worker's run sees part of the table: it publishes what it found and archives nothing.
            let worker = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", "w",
                                                 "--segments", "2", "--worker", "0/2", "--publish-findings", "securityhub"],
                                                environment: moto.environment, in: directory)
            #expect([0, 1].contains(worker.exitCode), "\(worker.stderr)")
            let share = Self.published(try latestReport(in: directory.appendingPathComponent("w")))
            #expect(share["archiving"] as? Bool == false && share["archived"] as? Int == 0, "\(share)")
            #expect(worker.stdout.contains("nothing archived (not a complete run over every segment)"), "\(worker.stdout)")
            #expect(try await Self.hubFindings(moto).allSatisfy { $0.RecordState == "ACTIVE" })

            let third = try await audit("r3")
            let stillFound = pairs(third)
            let fixed = expected.subtracting(stillFound)
            #expect(plaintext.allSatisfy { fixed.contains(Self.id($0, "CREDENTIALS_PLAINTEXT")) }, "\(fixed)")
            #expect(Self.published(third)["archived"] as? Int == fixed.count && Self.published(third)["archiving"] as? Bool == true)
            let afterThird = try await Self.hubFindings(moto)
            #expect(Set(afterThird.map(\.Id)).count == afterThird.count, "still one finding per (user, code)")
            for finding in afterThird {
                if fixed.contains(finding.Id) {
                    #expect(finding.RecordState == "ARCHIVED" && finding.Workflow == "RESOLVED", "fixed: \(finding.Id)")
                } else {
                    #expect(finding.RecordState == "ACTIVE", "still found: \(finding.Id)")
                }
            }
            #expect(afterThird.filter { $0.RecordState == "ACTIVE" }.count == stillFound.count)
        }
    }

    @Test("moto: merge-reports of every worker publishes the merged findings and archives the fixed ones")
    func merged() async throws {
        try await Self.withPlantedUsers { moto, directory, kinds in
            let plaintext = kinds.filter { $0.value.hasPrefix("plaintext-") }.keys.map { Self.id($0, "CREDENTIALS_PLAINTEXT") }
            let aws = ["--backend", "aws"]
            let first = try await runUserVault(aws + ["audit", "--progress", "never", "--report-dir", "r1", "--publish-findings", "securityhub"],
                                               environment: moto.environment, in: directory)
            #expect(first.exitCode == 1, "\(first.stderr)")
            let backfill = try await runUserVault(aws + ["backfill", "encrypt-plaintext", "--apply", "--progress", "never"],
                                                  environment: moto.environment, in: directory)
            #expect(backfill.exitCode == 0, "\(backfill.stderr)")
            var halves: [String] = []
            for (index, worker) in ["0/2", "1/2"].enumerated() {
                let half = try await runUserVault(aws + ["audit", "--progress", "never", "--segments", "2", "--worker", worker,
                                                         "--report-dir", "w\(index)"], environment: moto.environment, in: directory)
                #expect(half.exitCode == 1, "\(half.stderr)")
                halves.append(try latestReport(in: directory.appendingPathComponent("w\(index)")).folder.path)
            }
            #expect(try await Self.hubFindings(moto).allSatisfy { $0.RecordState == "ACTIVE" }, "workers without the option publish nothing")
            let merge = try await runUserVault(aws + ["merge-reports", "--report-dir", "m", "--publish-findings", "securityhub"] + halves,
                                               environment: moto.environment, in: directory)
            #expect(merge.exitCode == 1 && merge.stdout.contains("published to securityhub: "), "\(merge.stdout) \(merge.stderr)")
            let published = Self.published(try latestReport(in: directory.appendingPathComponent("m")))
            #expect(published["archiving"] as? Bool == true && published["archived"] as? Int == plaintext.count, "\(published)")
            let findings = try await Self.hubFindings(moto)
            #expect(Set(findings.map(\.Id)).count == findings.count)
            #expect(findings.filter { $0.RecordState == "ARCHIVED" }.map(\.Id).sorted() == plaintext.sorted())
        }
    }

    @Test("refused findings are retried, then reported: exit 2, one line, the report written with its published section")
    func refused() async throws {
        try await Self.withPlantedUsers { moto, directory, kinds in
            let user = try #require(kinds.first { $0.value == "plaintext-string" }?.key)
            let refusal = #"{"FailedCount":1,"SuccessCount":0,"FailedFindings":[{"Id":"\#(Self.id(user, "CREDENTIALS_PLAINTEXT"))","ErrorCode":"InvalidInput","ErrorMessage":"refused by the test"}]}"#
            try await withFaultServer([.ok(body: #"{"Findings":[]}"#)], otherwise: .ok(body: refusal)) { server in
                let environment = moto.environment.merging(["AWS_ENDPOINT_URL_SECURITYHUB": server.endpoint.absoluteString]) { $1 }
                let run = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", "r",
                                                  "--publish-findings", "securityhub"], environment: environment, in: directory)
                #expect(run.exitCode == 2, "\(run.stdout) \(run.stderr)")
                #expect(run.stderr.contains("findings were not all published") && run.stderr.contains("1 failed (InvalidInput 1)"),
                        "\(run.stderr)")
                #expect(!run.stderr.contains("plaintext-password"))
                let report = try latestReport(in: directory.appendingPathComponent("r"))
                #expect(try await validateJSONDocuments([report.raw], schema: reportSchemaURL).isEmpty)
                let published = Self.published(report)
                #expect(published["failed"] as? Int == 1 && published["errorCodes"] as? [String: Int] == ["InvalidInput": 1])
                #expect(published["sent"] as? Int == report.findings.count - 1, "the others were taken: \(published)")
                let markdown = try String(contentsOf: report.folder.appendingPathComponent("report.md"), encoding: .utf8)
                #expect(markdown.contains("| findings | published to securityhub: "), "report.md says it too")
                // GetFindings, the batch, then the refused finding alone twice more (3 attempts in all).
                let imports = server.requests.filter { $0.uri == "/findings/import" }
                #expect(server.requests.first?.uri == "/findings" && imports.count == 3)
                let retried = try imports.dropFirst().map { try JSONDecoder().decode([String: [ASFFFinding]].self, from: $0.body) }
                #expect(retried.allSatisfy { $0["Findings"]?.map(\.Id) == [Self.id(user, "CREDENTIALS_PLAINTEXT")] })
            }
            try await withFaultServer([], otherwise: .error(status: 403, code: "AccessDeniedException")) { server in
                let environment = moto.environment.merging(["AWS_ENDPOINT_URL_SECURITYHUB": server.endpoint.absoluteString]) { $1 }
                let run = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", "denied",
                                                  "--publish-findings", "securityhub"], environment: environment, in: directory)
                #expect(run.exitCode == 2 && run.stderr.contains("AccessDeniedException"), "\(run.stderr)")
                let report = try latestReport(in: directory.appendingPathComponent("denied"))
                #expect(report.complete == true && !report.findings.isEmpty, "the audit's report is whole")
                #expect(Self.published(report)["sent"] as? Int == 0 && (Self.published(report)["error"] as? String)?.contains("AccessDenied") == true)
            }
        }
    }

    @Test("batches of at most 100; gone findings of this table and product only are archived")
    func batchesAndArchiving() async throws {
        let scope = SecurityHubFindings.Scope(account: MotoServer.accountId, region: MotoServer.region, table: "users")
        let findings = (0..<150).map { Finding(.credentialsMissing, userId: "u\($0)", detail: "no credentials") }
        let report = JobReport(runId: "r", job: "audit", backend: "aws", table: "users", startedAt: "2026-12-05T00:00:00.000Z",
                               finishedAt: "2026-12-05T00:01:00.000Z", complete: true, parameters: [:],
                               segments: .init(total: 1, worker: "0/1", assigned: 1, finished: 1), scanned: 150, users: 150,
                               verified: 0, findings: findings, summary: JobReport.summary(of: findings), stats: .init())
        func held(_ user: String, _ code: FindingCode = .credentialsPlaintext, table: String = "users", product: String? = nil) -> ASFFFinding {
            let other = SecurityHubFindings.Scope(account: scope.account, region: scope.region, table: table)
            var finding = SecurityHubFindings.findings(
                for: JobReport(runId: "old", job: "audit", backend: "aws", table: table, startedAt: "", finishedAt: "", complete: true,
                               parameters: [:], segments: report.segments, scanned: 1, users: 1, verified: 0,
                               findings: [Finding(code, userId: user, detail: "held")], summary: [:], stats: .init()),
                scope: other, now: Date(timeIntervalSince1970: 0), existing: [:])[0]
            if let product { finding.ProductArn = product }
            return finding
        }
        // u0's finding is found again (updated, not archived); gone's is not (archived); the
        // other table's and the other product's are not ours to archive.
        let existing = [held("u0", .credentialsMissing), held("gone"), held("elsewhere", table: "users2"), held("foreign", product: "arn:aws:securityhub:us-east-1::product/aws/guardduty")]
        let page = String(decoding: try JSONEncoder().encode(["Findings": existing]), as: UTF8.self)
        try await withFaultServer([.ok(body: page)], otherwise: .ok(body: #"{"FailedCount":0,"SuccessCount":1,"FailedFindings":[]}"#)) { server in
            try await HTTP1Transport.withTransport { transport in
                let hub = SecurityHubFindingsHub(client: SecurityHubClient(server.client(.securityHub, transport: transport)))
                let publisher = SecurityHubPublisher(hub: hub, scope: scope, backoff: { _ in .zero })
                let result = await publisher.publish(report, logger: .silent)
                #expect(result.succeeded && result.sent == 151 && result.archived == 1 && result.archiving)
                let batches = try server.requests.filter { $0.uri == "/findings/import" }
                    .map { try JSONDecoder().decode([String: [ASFFFinding]].self, from: $0.body)["Findings"] ?? [] }
                #expect(batches.map(\.count) == [100, 51])
                let archived = batches.joined().filter { $0.RecordState == "ARCHIVED" }
                #expect(archived.map(\.Id) == [scope.id(of: Finding(.credentialsPlaintext, userId: "gone", detail: ""))])
                #expect(archived.first?.Workflow?.Status == "RESOLVED")
                let again = batches.joined().first { $0.Id == scope.id(of: findings[0]) }
                #expect(again?.RecordState == "ACTIVE" && again?.CreatedAt == "1970-01-01T00:00:00.000Z", "u0 keeps its CreatedAt")
                // Every request body is valid BatchImportFindings input by botocore's model; the check catches a broken one.
                let folder = try makeTemporaryDirectory("uservault-asff")
                defer { try? FileManager.default.removeItem(at: folder) }
                var files = try server.requests.filter { $0.uri == "/findings/import" }.enumerated().map { index, request in
                    let file = folder.appendingPathComponent("import-\(index).json")
                    try request.body.write(to: file)
                    return file.path
                }
                #expect(try await Self.validateASFF(files) == (0, ""))
                let broken = folder.appendingPathComponent("broken.json")
                try Data(#"{"Findings": [{"Id": "x", "Bogus": 1}]}"#.utf8).write(to: broken)
                files.append(broken.path)
                let refused = try await Self.validateASFF(files)
                #expect(refused.status == 1 && refused.output.contains("Missing required parameter") && refused.output.contains("Bogus"),
                        "\(refused.output)")
            }
        }
    }

    @Test("moto: accepted findings are SUPPRESSED with their rule's reason as a note (boto3 reads it back); after the rule's day NEW again; the rules file and the report history in S3")
    func acceptedFindings() async throws {
        try await Self.withPlantedUsers { moto, directory, _ in
            try await HTTP1Transport.withTransport { transport in
                let s3 = moto.s3Client(transport)
                try await s3.createBucket("config")
                try await s3.createBucket("reports")
                let aws = ["--backend", "aws"]
                let plain = try await runUserVault(aws + ["audit", "--progress", "never", "--report-dir", "plain"],
                                                   environment: moto.environment, in: directory)
                #expect(plain.exitCode == 1, "\(plain.stderr)")
                var chosen: [(rule: String, code: String, user: String)] = []
                for finding in try latestReport(in: directory.appendingPathComponent("plain")).findings {
                    guard let user = finding["userId"] as? String, let code = finding["code"] as? String,
                          !chosen.contains(where: { $0.user == user }), chosen.count < 2 else { continue }
                    chosen.append(("accept-\(chosen.count + 1)", code, user))
                }
                #expect(chosen.count == 2)
                let now = Date()
                let expires = SuppressionsCLITests.day(now.addingTimeInterval(30 * 86_400))
                let rules = SuppressionsCLITests.rules(chosen, expires: expires)
                try await s3.putObject(bucket: "config", key: "suppressions/accepted.yaml", body: Data(rules.utf8))
                let options = aws + ["audit", "--progress", "never", "--report-dir", "s3://reports/nightly", "--publish-findings", "securityhub",
                                     "--suppressions", "s3://config/suppressions/accepted.yaml"]
                func report(_ run: CLIResult) async throws -> [String: any Sendable] {
                    let line = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("report: s3://reports/") })
                    let key = line.dropFirst("report: s3://reports/".count).dropLast("/report.md".count) + "/report.json"
                    let data = try await s3.getObject(bucket: "reports", key: String(key))
                    #expect(try await validateJSONDocuments([data], schema: reportSchemaURL).isEmpty)
                    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: any Sendable])
                }

                let first = try await runUserVault(options, environment: moto.environment, in: directory)
                #expect(first.exitCode == 1, "\(first.stdout) \(first.stderr)")
                #expect(first.stdout.contains("2 suppressed), 0 failed"), "\(first.stdout)")
                let firstReport = try await report(first)
                #expect((firstReport["suppressions"] as? [String: any Sendable])?["accepted"] as? Int == 2)
                #expect((firstReport["published"] as? [String: any Sendable])?["suppressed"] as? Int == 2)
                let held = try await Self.hubFindings(moto)
                for (rule, code, user) in chosen {
                    let finding = try #require(held.first { $0.Id == Self.id(user, code) })
                    #expect(finding.Workflow == "SUPPRESSED" && finding.RecordState == "ACTIVE", "\(finding)")
                    #expect(finding.Note == "Accepted for the demo: \(code) of \(user.prefix(8)) is tracked in SEC-42."
                            && finding.NoteBy == "uservault:\(rule)", "\(finding)")
                }
                let others = held.filter { finding in !chosen.contains { Self.id($0.user, $0.code) == finding.Id } }
                #expect(!others.isEmpty && others.allSatisfy { $0.Workflow == "NEW" && $0.Note == nil }, "\(others)")

                // The day after the rules' end: the two count again and are NEW in Security Hub, saying why.
                let after = try await runUserVault(options, environment: moto.environment.merging(
                    ["USERVAULT_NOW": SuppressionsCLITests.noon(now, plus: 31)]) { $1 }, in: directory)
                #expect(after.exitCode == 1 && after.stdout.contains("2 reopened"), "\(after.stdout) \(after.stderr)")
                let afterReport = try await report(after)
                #expect((afterReport["suppressions"] as? [String: any Sendable])?["expired"] as? [String] == ["accept-1", "accept-2"])
                let delta = try #require(afterReport["delta"] as? [String: any Sendable])
                #expect((delta["baseline"] as? [String: any Sendable])?["runId"] as? String == firstReport["runId"] as? String,
                        "the baseline found in the S3 prefix")
                #expect(Set(delta["reopened"] as? [String] ?? []) == Set(chosen.map { "uservault/aws/users/\($0.user)/\($0.code)" }))
                #expect((delta["new"] as? [String]) == [] && (delta["resolved"] as? [String]) == [])
                for (_, code, user) in chosen {
                    let finding = try #require(try await Self.hubFindings(moto).first { $0.Id == Self.id(user, code) })
                    #expect(finding.Workflow == "NEW" && finding.NoteBy == "uservault", "\(finding)")
                }
            }
        }
    }

    @Test("an import cannot change an existing finding's workflow: BatchUpdateFindings sets it where the read-back differs, valid by botocore's model; a night with nothing to change sends none")
    func workflowUpdates() async throws {
        let scope = SecurityHubFindings.Scope(account: MotoServer.accountId, region: MotoServer.region, table: "users")
        let accepted = Finding(.keyShared, userId: "u-accepted", keyId: "k1", detail: "shared",
                               suppressed: .init(rule: "legacy", reason: "Shared on purpose until Q3.", owner: "sec", expires: "2027-03-31"))
        let reopened = Finding(.keyDisabled, userId: "u-reopened", detail: "disabled")
        let handSuppressed = Finding(.keyDisabled, userId: "u-by-hand", detail: "disabled")
        let findings = [accepted, reopened, handSuppressed]
        let report = JobReport(runId: "r", job: "audit", backend: "aws", table: "users", startedAt: "2026-12-05T00:00:00.000Z",
                               finishedAt: "2026-12-05T00:01:00.000Z", complete: true, parameters: [:],
                               segments: .init(total: 1, worker: "0/1", assigned: 1, finished: 1), scanned: 3, users: 3,
                               verified: 0, findings: findings, summary: JobReport.summary(of: findings), stats: .init())
        // What Security Hub holds: all three NEW or suppressed from an earlier night, as AWS keeps
        // them through an import (it ignores Workflow and Note on an existing finding).
        func held(_ finding: Finding, _ status: String, note: ASFFFinding.Note? = nil) -> ASFFFinding {
            var plain = finding
            plain.suppressed = nil
            var held = SecurityHubFindings.findings(for: JobReport(runId: "old", job: "audit", backend: "aws", table: "users",
                                                                   startedAt: "", finishedAt: "", complete: true, parameters: [:],
                                                                   segments: report.segments, scanned: 1, users: 1, verified: 0,
                                                                   findings: [plain], summary: [:], stats: .init()),
                                                    scope: scope, now: Date(timeIntervalSince1970: 0), existing: [:])[0]
            held.Workflow = .init(Status: status)
            held.Note = note
            return held
        }
        let existing = [held(accepted, "NEW"),
                        held(reopened, "SUPPRESSED", note: .init(Text: "old reason", UpdatedBy: "uservault:gone-rule", UpdatedAt: "2026-12-01T00:00:00.000Z")),
                        held(handSuppressed, "SUPPRESSED", note: .init(Text: "false positive", UpdatedBy: "alice", UpdatedAt: "2026-12-01T00:00:00.000Z"))]
        let page = String(decoding: try JSONEncoder().encode(["Findings": existing]), as: UTF8.self)
        try await withFaultServer([.ok(body: page), .ok(body: "{}"), .ok(body: page)], otherwise: .ok(body: "{}")) { server in
            try await HTTP1Transport.withTransport { transport in
                let hub = SecurityHubFindingsHub(client: SecurityHubClient(server.client(.securityHub, transport: transport)))
                let result = await SecurityHubPublisher(hub: hub, scope: scope, backoff: { _ in .zero }).publish(report, logger: .silent)
                #expect(result.succeeded && result.suppressed == 1 && result.reopened == 1 && result.workflowUpdates == 2, "\(result)")
                #expect(server.requests.map { "\($0.method) \($0.uri)" }
                    == ["POST /findings", "POST /findings/import", "POST /findings", "PATCH /findings/batchupdate", "PATCH /findings/batchupdate"])
                let updates = try server.requests.filter { $0.method == "PATCH" }.map { try JSONDecoder().decode(SecurityHub.UpdateInput.self, from: $0.body) }
                #expect(updates.map { $0.FindingIdentifiers.map(\.Id) } == [[scope.id(of: reopened)], [scope.id(of: accepted)]])
                #expect(updates.allSatisfy { $0.FindingIdentifiers.allSatisfy { $0.ProductArn == scope.productArn } })
                #expect(updates[0].Workflow?.Status == "NEW" && updates[0].Note?.UpdatedBy == "uservault")
                #expect(updates[1].Workflow?.Status == "SUPPRESSED" && updates[1].Note == .init(Text: "Shared on purpose until Q3.", UpdatedBy: "uservault:legacy"))
                // The import carries the same (a new finding is created so; moto keeps it).
                let imported = try JSONDecoder().decode([String: [ASFFFinding]].self, from: server.requests[1].body)["Findings"] ?? []
                #expect(imported.first { $0.Id == scope.id(of: accepted) }?.Workflow?.Status == "SUPPRESSED")
                #expect(imported.first { $0.Id == scope.id(of: handSuppressed) }?.Workflow?.Status == "SUPPRESSED", "a status set by hand is kept")
                #expect(imported.first { $0.Id == scope.id(of: handSuppressed) }?.Note?.UpdatedBy == "alice")

                let folder = try makeTemporaryDirectory("uservault-batchupdate")
                defer { try? FileManager.default.removeItem(at: folder) }
                var files = try server.requests.filter { $0.method == "PATCH" }.enumerated().map { index, request in
                    let file = folder.appendingPathComponent("update-\(index).json")
                    try request.body.write(to: file)
                    return file.path
                }
                let imports = folder.appendingPathComponent("import.json")
                try server.requests[1].body.write(to: imports)
                #expect(try await Self.validateASFF([imports.path]) == (0, ""))
                #expect(try await Self.validateASFF(files, operation: "BatchUpdateFindings") == (0, ""))
                let broken = folder.appendingPathComponent("broken.json")
                try Data(#"{"FindingIdentifiers": [{"Id": "x"}], "Note": {"Text": "no author"}, "Workflow": {"State": "NEW"}}"#.utf8)
                    .write(to: broken)
                files.append(broken.path)
                let refused = try await Self.validateASFF(files, operation: "BatchUpdateFindings")
                #expect(refused.status == 1 && refused.output.contains("ProductArn") && refused.output.contains("UpdatedBy")
                        && refused.output.contains("State"), "\(refused.output)")
            }
        }
        // Security Hub already holds what the review wants (the next night, or moto after the import): no read-back, no update.
        var settled = existing
        settled[0].Workflow = .init(Status: "SUPPRESSED")
        settled[0].Note = .init(Text: "Shared on purpose until Q3.", UpdatedBy: "uservault:legacy", UpdatedAt: "2026-12-02T00:00:00.000Z")
        settled[1].Workflow = .init(Status: "NEW")
        settled[1].Note = nil
        let quiet = String(decoding: try JSONEncoder().encode(["Findings": settled]), as: UTF8.self)
        try await withFaultServer([.ok(body: quiet)], otherwise: .ok(body: "{}")) { server in
            try await HTTP1Transport.withTransport { transport in
                let hub = SecurityHubFindingsHub(client: SecurityHubClient(server.client(.securityHub, transport: transport)))
                let result = await SecurityHubPublisher(hub: hub, scope: scope, backoff: { _ in .zero }).publish(report, logger: .silent)
                #expect(result.succeeded && result.suppressed == 1 && result.reopened == 0 && result.workflowUpdates == 0, "\(result)")
                #expect(server.requests.map(\.uri) == ["/findings", "/findings/import"])
            }
        }
    }

    @Test("--publish-findings: a job-file and Step Functions parameter like the option; the embedded store refuses it")
    func parameterAndEmbedded() async throws {
        let definition = try JobRequestTests.definition(#"{"job": "merge-reports", "arguments": ["a", "b"], "params": {"publish-findings": "securityhub"}}"#)
        let request = try definition.request(resume: false)
        guard case .mergeReports(let merge) = request else { Issue.record("not a merge"); return }
        #expect(merge.publishFindings == .securityhub)
        #expect(request == (try JobRequestTests.parsed(definition.commandLine(resume: false))))
        let audit = try JobRequestTests.definition(#"{"job": "audit", "params": {"publish-findings": "securityhub"}}"#).request(resume: false)
        #expect(audit == (try JobRequestTests.parsed(["audit", "--publish-findings", "securityhub"])))
        let bad = #expect(throws: JobDefinition.Invalid.self) {
            try JobRequestTests.definition(#"{"job": "audit", "params": {"publish-findings": "splunk"}}"#).request(resume: false)
        }
        #expect(bad?.description.contains("--publish-findings must be one of none, securityhub") == true, "\(bad?.description ?? "")")

        let embedded = try await runUserVault(["audit", "--publish-findings", "securityhub", "--progress", "never"])
        #expect(embedded.exitCode == 2 && embedded.stderr.contains("--publish-findings securityhub needs --backend aws"), "\(embedded.stderr)")
        let help = try await runUserVault(["audit", "--help"])
        #expect(help.stdout.contains("--publish-findings <target>") && help.stdout.contains("securityhub"), "\(help.stdout)")
    }
}
