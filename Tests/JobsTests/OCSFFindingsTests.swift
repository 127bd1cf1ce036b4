import Foundation
import Jobs
import Testing
import TestSupport
import UserVaultCore

/// `findings.ocsf.json`: one OCSF 1.5.0 Detection Finding per finding, validated by the models
/// Prowler publishes (`py-ocsf-models`), and nothing secret in it.
@Suite("OCSF findings")
struct OCSFFindingsTests {
    @Test("an audit with every planted defect: one valid event per finding, ids stable across runs, no password or ciphertext byte")
    func plantedDefects() async throws {
        let store = try TemporaryStore()
        defer { store.cleanup() }
        _ = try await Seeder(service: store.service).run(.init(users: 60, defects: 16, seed: 11), logger: JobsFixtures.logger)
        let directory = try makeTemporaryDirectory("ocsf")
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [URL] = []
        var uids: [Set<String>] = []
        for _ in 0..<2 {
            let report = try await JobsFixtures.audit(store, segments: 4, depth: .deep).report
            #expect(!report.findings.isEmpty)
            let folder = try ReportWriter.write(report, to: directory)
            let file = folder.appendingPathComponent(OCSFFindings.fileName)
            files.append(file)
            let events = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]])
            #expect(events.count == report.findings.count, "one event per finding")
            for (event, finding) in zip(events, report.findings) {
                #expect(event["class_uid"] as? Int == 2004 && event["category_uid"] as? Int == 2)
                #expect(event["severity_id"] as? Int == ["low": 2, "medium": 3, "high": 4][finding.severity.rawValue])
                #expect(((event["finding_info"] as? [String: Any])?["analytic"] as? [String: Any])?["uid"] as? String == finding.code.rawValue)
                #expect((event["metadata"] as? [String: Any])?["correlation_uid"] as? String == report.runId)
                let resources = (event["resources"] as? [[String: Any]] ?? []).compactMap { $0["uid"] as? String }
                #expect(resources == [finding.userId, finding.keyId].compactMap { $0 })
            }
            uids.append(Set(events.compactMap { ($0["finding_info"] as? [String: Any])?["uid"] as? String }))
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
        #expect(uids[0] == uids[1] && uids[0].count == Set(uids[0]).count, "the same finding keeps its id from run to run")

        let validation = try await validateOCSFFindings(files)
        #expect(validation.problems.isEmpty, "\(validation.problems)")
        #expect(validation.events == 2 * (uids[0].count))

        // No stored credential, plaintext or ciphertext, in any form the file could carry it.
        let text = try String(contentsOf: files[0], encoding: .utf8)
        for user in try await JobsFixtures.users(store) {
            switch user.credentials {
            case .string(let plaintext)?: #expect(!text.contains(plaintext), "a plaintext password of \(user.id)")
            case .binary(let bytes)?:
                #expect(!text.contains(bytes.base64EncodedString()), "the ciphertext of \(user.id)")
                if let printable = String(data: bytes, encoding: .utf8), printable.count >= 6 {
                    #expect(!text.contains(printable), "stored bytes of \(user.id)")
                }
            case .other?, nil: break
            }
        }
    }

    @Test("on the AWS backend a key ARN gives the cloud: provider, region and account; the embedded store has none")
    func cloud() async throws {
        let report = """
            {"runId": "r-1", "job": "audit", "backend": "aws", "table": "users", "startedAt": "2026-12-04T02:00:00.000Z",
             "finishedAt": "2026-12-04T02:10:00.000Z", "complete": true, "parameters": {},
             "segments": {"total": 1, "worker": "0/1", "assigned": 1, "finished": 1}, "scanned": 2, "users": 1, "verified": 0,
             "findings": [{"code": "KEY_DISABLED", "severity": "high", "userId": "u-1",
                           "keyId": "arn:aws:kms:eu-west-1:123456789012:key/0d7b5f2c-aaaa-bbbb-cccc-123456789012",
                           "detail": "the CMK is disabled"},
                          {"code": "ORPHAN_KEY", "severity": "low", "keyId": "0d7b5f2c-aaaa-bbbb-cccc-000000000000",
                           "detail": "no user references this CMK"}],
             "summary": {"KEY_DISABLED": 1, "ORPHAN_KEY": 1},
             "stats": {"dynamoRequests": 1, "kmsRequests": 1, "taggingRequests": 0, "retries": 0, "throttles": 0,
                       "consumedReadUnits": 0, "durationSeconds": 1}}
            """
        let decoded = try JSONDecoder().decode(JobReport.self, from: Data(report.utf8))
        let data = try OCSFFindings.document(for: decoded)
        let events = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let cloud = try #require(events.first?["cloud"] as? [String: Any])
        #expect(cloud["provider"] as? String == "AWS" && cloud["region"] as? String == "eu-west-1")
        #expect((cloud["account"] as? [String: Any])?["uid"] as? String == "123456789012")
        #expect((events.first?["time"] as? Int) == 1_796_350_200_000, "finishedAt in ms")
        #expect((events.last?["resources"] as? [[String: Any]])?.count == 1, "a key-level finding names only the key")
        let directory = try makeTemporaryDirectory("ocsf-aws")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("findings.ocsf.json")
        try data.write(to: file)
        let validation = try await validateOCSFFindings([file])
        #expect(validation.problems.isEmpty && validation.events == 2, "\(validation.problems)")

        var embedded = decoded
        embedded.backend = "embedded"
        let local = try #require(try JSONSerialization.jsonObject(with: OCSFFindings.document(for: embedded)) as? [[String: Any]])
        #expect(local.allSatisfy { $0["cloud"] == nil })
    }

    @Test("the validator refuses what is not a Detection Finding: a missing attribute, an unknown one, another version")
    func validatorCanFail() async throws {
        let directory = try makeTemporaryDirectory("ocsf-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.json")
        try Data(#"[{"class_uid": 2004}, {"metadata": {"version": "1.5.0", "product": {"vendor_name": "x"}}, "severity_id": 4, "activity_id": 1, "type_uid": 200401, "time": 1, "finding_info": {"uid": "u", "title": "t"}, "no_such_attribute": 1}]"#.utf8)
            .write(to: file)
        let validation = try await validateOCSFFindings([file])
        #expect(validation.events == 2)
        #expect(validation.problems.contains { $0.contains("#0") })
        #expect(validation.problems.contains { $0.contains("#1") && $0.contains("no_such_attribute") })
    }
}
