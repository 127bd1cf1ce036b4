import Foundation
import Testing
import TestSupport

/// Issue #4's acceptance on moto: records written by boto3 the way the original service wrote
/// them, UserVault-written records, planted defects of every kind.
@Suite("uservault audit on moto, end to end")
struct AuditAWSCLITests {
    static func audit(_ arguments: [String], reports: String, moto: MotoServer, in directory: URL,
                      expect code: Int32) async throws -> ReportFile {
        let result = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", reports] + arguments,
                                            environment: moto.environment, in: directory)
        #expect(result.exitCode == code, "\(arguments): \(result.stderr)")
        for secret in ["legacy-password", "plaintext-password"] {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "no password in the output")
        }
        return try latestReport(in: directory.appendingPathComponent(reports))
    }

    @Test("legacy and new records, every defect kind: exactly the defective users; 1/4/16 segments and merged workers agree; deep; same verdicts as the embedded store")
    func acceptance() async throws {
        let directory = try makeTemporaryDirectory("uservault-audit-aws")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withMotoServer { moto in
            // 1. The original service's records (boto3): 12 legacy users, 9 of them made defective.
            #expect(try await runOriginalServiceFixture(["create-table", "users"], moto: moto).status == 0)
            let written = try await runOriginalServiceFixture(["write", "users", "12", "--rotation"], moto: moto)
            #expect(written.status == 0, "\(written.output)")
            let legacyIds = written.output.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
            }
            #expect(legacyIds.count == 12)
            let planted = try await runOriginalServiceFixture(["plant", "users"] + legacyIds.prefix(9), moto: moto)
            #expect(planted.status == 0, "\(planted.output)")
            let legacyFaults = try planted.output.split(separator: "\n").map {
                try JSONDecoder().decode(PlantedFault.self, from: Data($0.utf8))
            }
            #expect(legacyFaults.count == 8)
            // 2. UserVault's own records with the seeder's defects (foreign-owner-tag among them).
            let seeded = try await runUserVault(["--backend", "aws", "seed", "--users", "14", "--defects", "10", "--seed", "4",
                                                 "--manifest", "aws.json", "--log-level", "warning"],
                                                environment: moto.environment, in: directory)
            #expect(seeded.exitCode == 0, "\(seeded.stderr)")
            let seededFaults = try PlantedFault.manifest(directory.appendingPathComponent("aws.json"))
            #expect(seededFaults.contains { $0.needsDeepAudit })
            let faults = legacyFaults + seededFaults
            let users = 12 + 14

            // Standard depth, 1, 4 and 16 segments: the same findings, exactly the defective users.
            var runs: [ReportFile] = []
            for segments in [1, 4, 16] {
                let report = try await Self.audit(["--segments", "\(segments)"], reports: "r\(segments)", moto: moto,
                                                  in: directory, expect: 1)
                #expect(report.complete == true)
                #expect(report.int("users") == users)
                #expect(report.flaggedUsers == PlantedFault.flagged(faults, deep: false))
                let kms = try #require(report.stat("kmsRequests"))
                #expect(kms > 0 && kms <= 2 * users, "standard depth: at most 2 KMS requests per user (\(kms))")
                #expect(report.object["backend"] as? String == "aws")
                runs.append(report)
            }
            #expect(runs[0].findingsJSON == runs[1].findingsJSON && runs[1].findingsJSON == runs[2].findingsJSON)
            let codes = runs[1].codesByUser
            for fault in legacyFaults {
                let expected: String = switch fault.kind {
                case "plaintext-string", "plaintext-bytes": "CREDENTIALS_PLAINTEXT"
                case "random-bytes", "truncated-ciphertext": "NOT_KMS_CIPHERTEXT"
                case "missing-credentials": "CREDENTIALS_MISSING"
                case "disabled-key": "KEY_DISABLED"
                case "pending-deletion-key": "KEY_PENDING_DELETION"
                default: "KEY_SHARED"
                }
                #expect(codes[fault.userId]?.contains(expected) == true, "legacy \(fault.kind): \(codes[fault.userId] ?? [])")
                if let owner = fault.otherUserId { #expect(codes[owner] == ["KEY_SHARED"]) }
            }

            // Two --worker halves, merged: the single run's findings.
            var halves: [String] = []
            for (index, worker) in ["0/2", "1/2"].enumerated() {
                let half = try await Self.audit(["--segments", "4", "--worker", worker], reports: "w\(index)", moto: moto,
                                                in: directory, expect: 1)
                halves.append(half.folder.path)
            }
            let merged = try await runUserVault(["merge-reports", "--report-dir", "merged"] + halves, in: directory)
            #expect(merged.exitCode == 1, "\(merged.stderr)")
            let mergedReport = try latestReport(in: directory.appendingPathComponent("merged"))
            #expect(mergedReport.findingsJSON == runs[1].findingsJSON)
            #expect(mergedReport.int("users") == users && mergedReport.int("verified") == runs[1].int("verified"))

            // Deep: the key tagged for another user too; rotation is on everywhere, so nothing else.
            let deep = try await Self.audit(["--depth", "deep", "--segments", "4"], reports: "deep", moto: moto,
                                            in: directory, expect: 1)
            #expect(deep.flaggedUsers == PlantedFault.flagged(faults, deep: true))
            for fault in seededFaults where fault.needsDeepAudit {
                #expect(deep.codesByUser[fault.userId] == ["KEY_OWNER_MISMATCH"])
            }
            #expect(!deep.codesByUser.values.contains { $0.contains("KEY_ROTATION_DISABLED") })

            // The embedded store, seeded alike, gives the same verdict per kind of defect.
            let embedded = try await runUserVault(["seed", "--users", "14", "--defects", "10", "--seed", "4",
                                                   "--manifest", "local.json", "--log-level", "warning"], in: directory)
            #expect(embedded.exitCode == 0, "\(embedded.stderr)")
            let local = try await runUserVault(["audit", "--progress", "never", "--report-dir", "local"], in: directory)
            #expect(local.exitCode == 1, "\(local.stderr)")
            let localReport = try latestReport(in: directory.appendingPathComponent("local"))
            func verdicts(_ faults: [PlantedFault], _ report: ReportFile) -> [String: Set<String>] {
                faults.reduce(into: [:]) { $0[$1.kind, default: []].formUnion(report.codesByUser[$1.userId] ?? []) }
            }
            let localFaults = try PlantedFault.manifest(directory.appendingPathComponent("local.json"))
            #expect(verdicts(localFaults, localReport) == verdicts(seededFaults, runs[1]))

            // Nothing secret in any report.
            for report in runs + [mergedReport, deep] {
                let text = String(decoding: report.raw, as: UTF8.self)
                #expect(!text.contains("legacy-password") && !text.contains("plaintext-password"))
            }
        }
    }

    @Test("a clean table exits 0; a missing table or bad credentials exit 2 with one line and a partial report, an unreachable endpoint with one line")
    func cleanAndFailures() async throws {
        let directory = try makeTemporaryDirectory("uservault-audit-aws-failures")
        defer { try? FileManager.default.removeItem(at: directory) }
        func expectOneLineFailure(_ result: CLIResult, _ reports: String, _ what: String) throws {
            #expect(result.exitCode == 2, "\(what): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(what): one line: \(result.stderr)")
            let partial = try latestReport(in: directory.appendingPathComponent(reports))
            #expect(partial.complete == false, "\(what): a partial report")
        }
        try await withMotoServer { moto in
            for step in [["init"], ["seed", "--users", "5", "--log-level", "warning"]] {
                let result = try await runUserVault(["--backend", "aws", "--table", "clean"] + step, environment: moto.environment,
                                                    in: directory)
                #expect(result.exitCode == 0, "\(result.stderr)")
            }
            let clean = try await Self.audit(["--table", "clean", "--segments", "2"], reports: "clean", moto: moto,
                                             in: directory, expect: 0)
            #expect(clean.findings.isEmpty && clean.int("verified") == 5)

            let missing = try await runUserVault(["--backend", "aws", "--table", "no-such-table", "audit", "--progress", "never",
                                                  "--report-dir", "missing"], environment: moto.environment, in: directory)
            try expectOneLineFailure(missing, "missing", "missing table")
            #expect(missing.stderr.contains("ResourceNotFoundException") || missing.stderr.contains("no-such-table"))
        }
        var environment = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "not-the-secret",
                           "AWS_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "2"]
        try await SignatureCheckingServer.withServer(secret: "the-right-secret") { server in
            environment["AWS_ENDPOINT_URL"] = server.endpoint.absoluteString
            let result = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", "badcreds"],
                                                environment: environment, in: directory)
            try expectOneLineFailure(result, "badcreds", "bad credentials")
            #expect(result.stderr.contains("InvalidSignatureException"))
            #expect(!result.stderr.contains("not-the-secret"))
        }
        // An endpoint that never answered: the run never began, so there is no partial report
        // (UnreachableEndpointTests counts the attempts).
        let port = try freeLoopbackPort(in: 20_000..<30_000)
        environment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:\(port)"
        let unreachable = try await runUserVault(["--backend", "aws", "audit", "--progress", "never", "--report-dir", "down"],
                                                 environment: environment, in: directory)
        #expect(unreachable.exitCode == 2, "\(unreachable.stderr)")
        #expect(unreachable.stderr.split(separator: "\n").count == 1, "one line: \(unreachable.stderr)")
        #expect(unreachable.stderr.contains("127.0.0.1:\(port)"), "\(unreachable.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("down").path), "no report of a run that never began")
    }
}
