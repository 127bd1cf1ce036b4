import Foundation
@testable import Jobs
import Testing

/// The ASFF mapping of an audit report (pure): stable ids per (account, region, table, user,
/// code), the product, resources, severities, kept CreatedAt and workflow, archiving.
@Suite("Security Hub findings (ASFF)")
struct SecurityHubFindingsTests {
    static let scope = SecurityHubFindings.Scope(account: "123456789012", region: "eu-west-1", table: "users")

    static func report(_ findings: [Finding], runId: String = "run-1", complete: Bool = true, worker: String = "0/1",
                       assigned: Int = 4, finished: Int = 4) -> JobReport {
        JobReport(runId: runId, job: "audit", backend: "aws", table: "users", startedAt: "2026-12-05T00:00:00.000Z",
                  finishedAt: "2026-12-05T00:01:00.000Z", complete: complete, parameters: [:],
                  segments: .init(total: 4, worker: worker, assigned: assigned, finished: finished), scanned: 3, users: 3,
                  verified: 1, findings: findings, summary: JobReport.summary(of: findings), stats: .init())
    }

    static let plaintext = Finding(.credentialsPlaintext, userId: "u1", detail: "credentials are stored readable")
    static let disabled = Finding(.keyDisabled, userId: "u2", keyId: "1234abcd-12ab-34cd-56ef-1234567890ab", detail: "the key is disabled")
    static let orphan = Finding(.orphanKey, userId: nil, keyId: "arn:aws:kms:eu-west-1:123456789012:key/orphan", detail: "no user")

    @Test("ids: stable across runs, one per (account, region, table, user, code), under the table's prefix")
    func ids() {
        let first = SecurityHubFindings.findings(for: Self.report([Self.plaintext, Self.disabled]), scope: Self.scope,
                                                 now: Date(timeIntervalSince1970: 1000), existing: [:])
        let second = SecurityHubFindings.findings(for: Self.report([Self.disabled, Self.plaintext], runId: "run-2"), scope: Self.scope,
                                                  now: Date(timeIntervalSince1970: 2000), existing: [:])
        #expect(Set(first.map(\.Id)) == Set(second.map(\.Id)))
        #expect(first[0].Id == "uservault/aws/123456789012/eu-west-1/users/u1/CREDENTIALS_PLAINTEXT")
        #expect(first.allSatisfy { $0.Id.hasPrefix(Self.scope.idPrefix) })
        let otherRegion = SecurityHubFindings.Scope(account: "123456789012", region: "us-east-1", table: "users")
        #expect(otherRegion.id(of: Self.plaintext) != Self.scope.id(of: Self.plaintext))
        let otherTable = SecurityHubFindings.Scope(account: "123456789012", region: "eu-west-1", table: "users2")
        #expect(!otherTable.id(of: Self.plaintext).hasPrefix(Self.scope.idPrefix), "users2 is not under users/")
        // The same (user, code) twice in one report is one finding.
        let twice = SecurityHubFindings.findings(for: Self.report([Self.plaintext, Self.plaintext]), scope: Self.scope,
                                                 now: Date(), existing: [:])
        #expect(twice.count == 1)
        // OCSF keeps its own id (no account or region): the same function makes both.
        #expect(OCSFFindings.findingUID(Self.plaintext, backend: "aws", table: "users") == "uservault/aws/users/u1/CREDENTIALS_PLAINTEXT")
    }

    @Test("the fields: default product, account, types, severity, resources, remediation; nothing but the report's text")
    func fields() throws {
        let findings = SecurityHubFindings.findings(for: Self.report([Self.plaintext, Self.disabled, Self.orphan]), scope: Self.scope,
                                                    now: Date(timeIntervalSince1970: 0), existing: [:])
        let (plain, key, orphan) = (findings[0], findings[1], findings[2])
        #expect(findings.allSatisfy {
            $0.SchemaVersion == "2018-10-08" && $0.AwsAccountId == "123456789012" && $0.RecordState == "ACTIVE"
                && $0.ProductArn == "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default"
                && $0.Workflow?.Status == "NEW" && $0.CreatedAt == "1970-01-01T00:00:00.000Z" && $0.UpdatedAt == $0.CreatedAt
        })
        #expect(plain.Types == ["Sensitive Data Identifications/Passwords"])
        #expect(key.Types == ["Software and Configuration Checks/AWS Security Best Practices"])
        #expect(plain.Severity.Label == "HIGH" && orphan.Severity.Label == "LOW")
        #expect(plain.GeneratorId == "uservault/audit/CREDENTIALS_PLAINTEXT" && plain.Title == "Credentials plaintext")
        #expect(plain.Description == Self.plaintext.detail && plain.Remediation?.Recommendation?.Text == FindingCode.credentialsPlaintext.remedy)
        #expect(plain.Resources.map(\.Type) == ["AwsDynamoDbTable"])
        #expect(plain.Resources[0].Id == "arn:aws:dynamodb:eu-west-1:123456789012:table/users")
        #expect(plain.Resources[0].Details?.Other == ["code": "CREDENTIALS_PLAINTEXT", "userId": "u1"])
        #expect(plain.ProductFields?["uservault/userId"] == "u1" && plain.ProductFields?["uservault/runId"] == "run-1")
        #expect(key.Resources.map(\.Type) == ["AwsDynamoDbTable", "AwsKmsKey"])
        #expect(key.Resources[1].Id == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        #expect(orphan.Resources[1].Id == Self.orphan.keyId, "a key ARN is kept as it is")
        #expect(orphan.Id.hasSuffix("/arn:aws:kms:eu-west-1:123456789012:key/orphan/ORPHAN_KEY"))
        let china = SecurityHubFindings.Scope(account: "123456789012", region: "cn-north-1", table: "users")
        #expect(china.productArn.hasPrefix("arn:aws-cn:securityhub:cn-north-1:") && china.hubArn.hasSuffix(":hub/default"))
    }

    @Test("a finding Security Hub holds keeps its CreatedAt and workflow; a fixed one is archived RESOLVED")
    func existingAndArchived() throws {
        var held = try #require(SecurityHubFindings.findings(for: Self.report([Self.plaintext]), scope: Self.scope,
                                                             now: Date(timeIntervalSince1970: 0), existing: [:]).first)
        held.Workflow = .init(Status: "NOTIFIED")
        let again = try #require(SecurityHubFindings.findings(for: Self.report([Self.plaintext], runId: "run-2"), scope: Self.scope,
                                                              now: Date(timeIntervalSince1970: 86_400), existing: [held.Id: held]).first)
        #expect(again.CreatedAt == "1970-01-01T00:00:00.000Z" && again.UpdatedAt == "1970-01-02T00:00:00.000Z")
        #expect(again.Workflow?.Status == "NOTIFIED" && again.RecordState == "ACTIVE")
        let archived = SecurityHubFindings.archived(again, now: Date(timeIntervalSince1970: 172_800))
        #expect(archived.RecordState == "ARCHIVED" && archived.Workflow?.Status == "RESOLVED")
        #expect(archived.UpdatedAt == "1970-01-03T00:00:00.000Z" && archived.CreatedAt == again.CreatedAt && archived.Id == again.Id)
        #expect(SecurityHubFindings.isActive(again, in: Self.scope) && !SecurityHubFindings.isActive(archived, in: Self.scope))
        var foreign = again
        foreign.ProductArn = "arn:aws:securityhub:eu-west-1::product/aws/guardduty"
        #expect(!SecurityHubFindings.isActive(foreign, in: Self.scope), "another product's finding is never archived by us")
    }

    @Test("only a complete run over every segment may archive", arguments: [
        (true, "0/1", 4, 4, true), (false, "0/1", 4, 2, false), (true, "0/2", 2, 2, false), (true, "0/1", 4, 3, false),
    ])
    func mayArchive(complete: Bool, worker: String, assigned: Int, finished: Int, expected: Bool) {
        let report = Self.report([Self.plaintext], complete: complete, worker: worker, assigned: assigned, finished: finished)
        #expect(SecurityHubPublisher.mayArchive(report) == expected)
    }

    @Test("the published section's line says what was sent, refused and why nothing was archived")
    func publicationSummary() {
        var publication = FindingsPublication(target: "securityhub")
        publication.sent = 5
        publication.failed = 2
        publication.errorCodes = ["InvalidInput": 2]
        #expect(!publication.succeeded)
        #expect(publication.summary == "published to securityhub: 5 sent (0 archived), 2 failed (InvalidInput 2); "
            + "nothing archived (not a complete run over every segment)")
    }
}
