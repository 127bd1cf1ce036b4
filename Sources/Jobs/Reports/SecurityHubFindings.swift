import Foundation

/// An audit's findings in the AWS Security Finding Format (ASFF), for Security Hub: one finding
/// per (account, region, table, user or key, code), under the account's default product.
///
/// Pure: the findings of a report, given where they go and what Security Hub already holds.
/// Like the report, nothing in them is a password, a ciphertext byte or a secret.
///
/// ```swift
/// let scope = SecurityHubFindings.Scope(account: "123456789012", region: "eu-west-1", table: "users")
/// let findings = SecurityHubFindings.findings(for: report, scope: scope, now: Date(), existing: [:])
/// ```
public enum SecurityHubFindings {
    public static let schemaVersion = "2018-10-08"

    /// Where the findings go: the account and region of the table (and of its product and hub).
    public struct Scope: Sendable, Hashable {
        public var account: String
        public var region: String
        public var table: String

        public init(account: String, region: String, table: String) {
            self.account = account
            self.region = region
            self.table = table
        }

        /// `aws`, `aws-cn` or `aws-us-gov`, by the region.
        public var partition: String {
            region.hasPrefix("cn-") ? "aws-cn" : region.hasPrefix("us-gov-") ? "aws-us-gov" : "aws"
        }

        /// The account's default product: the only one findings may be imported into here.
        public var productArn: String { "arn:\(partition):securityhub:\(region):\(account):product/\(account)/default" }
        /// The hub, the resource of `securityhub:GetFindings`.
        public var hubArn: String { "arn:\(partition):securityhub:\(region):\(account):hub/default" }
        public var tableArn: String { "arn:\(partition):dynamodb:\(region):\(account):table/\(table)" }
        /// What the `Id` of every finding of this table begins with.
        public var idPrefix: String {
            OCSFFindings.findingUIDPrefix(backend: "aws", table: table, account: account, region: region)
        }

        public func id(of finding: Finding) -> String {
            OCSFFindings.findingUID(finding, backend: "aws", table: table, account: account, region: region)
        }

        public func keyArn(_ keyId: String) -> String {
            keyId.hasPrefix("arn:") ? keyId : "arn:\(partition):kms:\(region):\(account):key/\(keyId)"
        }
    }

    /// What a `Note`'s `UpdatedBy` begins with when this project wrote it: the workflow of such a
    /// finding is ours to change back; a status someone set by hand is not.
    public static let noteAuthor = "uservault"

    /// `report`'s findings, ACTIVE, updated at `now`: one per `Id` (the first of the report's
    /// findings with that id). A finding Security Hub already holds (`existing`, by `Id`) keeps
    /// its `CreatedAt` and workflow status, but for acceptance (``workflow(of:existing:)``): an
    /// accepted finding is SUPPRESSED with its rule's reason as a `Note`, and one this project
    /// had suppressed that no rule accepts any more is NEW again.
    public static func findings(for report: JobReport, scope: Scope, now: Date,
                                existing: [String: ASFFFinding]) -> [ASFFFinding] {
        findings(report.findings, runId: report.runId, scope: scope, now: now, existing: existing)
    }

    /// `findings` of the run (or invocation) `runId`, as ``findings(for:scope:now:existing:)`` makes them.
    public static func findings(_ findings: [Finding], runId: String, scope: Scope, now: Date,
                                existing: [String: ASFFFinding]) -> [ASFFFinding] {
        let updatedAt = timestamp(now)
        var seen: Set<String> = []
        return findings.compactMap { finding in
            let id = scope.id(of: finding)
            guard seen.insert(id).inserted else { return nil }
            let known = existing[id]
            var other = ["code": finding.code.rawValue]
            if let userId = finding.userId { other["userId"] = userId }
            var resources = [ASFFFinding.Resource(Type: "AwsDynamoDbTable", Id: scope.tableArn, Partition: scope.partition,
                                                  Region: scope.region, Details: .init(Other: other))]
            if let keyId = finding.keyId {
                resources.append(.init(Type: "AwsKmsKey", Id: scope.keyArn(keyId), Partition: scope.partition, Region: scope.region))
            }
            var fields = ["uservault/code": finding.code.rawValue, "uservault/runId": runId, "uservault/table": scope.table]
            if let userId = finding.userId { fields["uservault/userId"] = userId }
            return ASFFFinding(
                SchemaVersion: schemaVersion, Id: id, ProductArn: scope.productArn,
                GeneratorId: "uservault/audit/\(finding.code.rawValue)", AwsAccountId: scope.account,
                Types: [type(finding.code)], CreatedAt: known?.CreatedAt ?? updatedAt, UpdatedAt: updatedAt,
                Severity: .init(Label: finding.severity.rawValue.uppercased()),
                Title: String(OCSFFindings.title(finding.code).prefix(256)), Description: String(finding.detail.prefix(1024)),
                Remediation: .init(Recommendation: .init(Text: String(finding.code.remedy.prefix(512)))),
                ProductFields: fields, Resources: resources,
                Workflow: .init(Status: workflow(of: finding, existing: known)?.status ?? known?.Workflow?.Status ?? "NEW"),
                RecordState: "ACTIVE", Note: workflow(of: finding, existing: known)?.note(at: updatedAt) ?? known?.Note)
        }
    }

    /// A workflow status this project sets on a finding, with the note that says why.
    public struct WorkflowChange: Sendable, Hashable {
        /// `SUPPRESSED` or `NEW`.
        public var status: String
        /// The note's text: an accepted finding's reason, or why it is open again.
        public var text: String
        /// `uservault:<rule id>`, or `uservault` for a reopened finding.
        public var updatedBy: String

        func note(at date: String) -> ASFFFinding.Note {
            ASFFFinding.Note(Text: text, UpdatedBy: updatedBy, UpdatedAt: date)
        }

        /// Whether `finding` (as Security Hub holds it) already has this status and note.
        public func isHeld(by finding: ASFFFinding?) -> Bool {
            guard let finding else { return false }
            return finding.Workflow?.Status == status && finding.Note?.Text == text && finding.Note?.UpdatedBy == updatedBy
        }
    }

    /// The workflow this project wants for `finding`, given what Security Hub holds
    /// (`existing`): SUPPRESSED with the rule's reason when a rule accepts it; NEW, saying so, when
    /// no rule does but this project had suppressed it; `nil` (leave it) otherwise.
    public static func workflow(of finding: Finding, existing: ASFFFinding?) -> WorkflowChange? {
        if let mark = finding.suppressed {
            return WorkflowChange(status: "SUPPRESSED", text: String(mark.reason.prefix(512)), updatedBy: "\(noteAuthor):\(mark.rule)")
        }
        guard let existing, existing.Workflow?.Status == "SUPPRESSED",
              existing.Note?.UpdatedBy.hasPrefix(noteAuthor) == true else { return nil }
        return WorkflowChange(status: "NEW", text: "No suppressions rule accepts this finding any more (the rule expired or was removed).",
                              updatedBy: noteAuthor)
    }

    /// `finding`, sent once more as fixed: ARCHIVED, its workflow RESOLVED, updated at `now`.
    public static func archived(_ finding: ASFFFinding, now: Date) -> ASFFFinding {
        var finding = finding
        finding.RecordState = "ARCHIVED"
        finding.Workflow = .init(Status: "RESOLVED")
        finding.UpdatedAt = timestamp(now)
        return finding
    }

    /// The finding an ASFF finding of this project stands for (its code, user, key and detail, from
    /// what ``findings(_:runId:scope:now:existing:)`` wrote); `nil` for one it did not write.
    public static func finding(from asff: ASFFFinding) -> Finding? {
        guard let code = (asff.ProductFields?["uservault/code"]).flatMap(FindingCode.init(rawValue:)) else { return nil }
        let keyId = asff.Resources.first { $0.Type == "AwsKmsKey" }?.Id
        return Finding(code, userId: asff.ProductFields?["uservault/userId"], keyId: keyId, detail: asff.Description)
    }

    /// Whether `finding` is one of this scope's ACTIVE findings (Security Hub's filters, checked
    /// again: an emulator may ignore them).
    public static func isActive(_ finding: ASFFFinding, in scope: Scope) -> Bool {
        finding.ProductArn == scope.productArn && finding.Id.hasPrefix(scope.idPrefix) && (finding.RecordState ?? "ACTIVE") == "ACTIVE"
    }

    /// The ASFF type (`namespace/category`) of a code.
    static func type(_ code: FindingCode) -> String {
        switch code {
        case .credentialsPlaintext:
            "Sensitive Data Identifications/Passwords"
        case .keyNotFound, .keyDisabled, .keyPendingDeletion, .keyNotCustomerManaged, .keySpecUnexpected, .keyShared,
             .keyOwnerMismatch, .keyRotationDisabled, .orphanKey:
            "Software and Configuration Checks/AWS Security Best Practices"
        case .credentialsMissing, .notKMSCiphertext, .duplicateEmail, .invalidRecord, .unverifiable:
            "Software and Configuration Checks/Vulnerabilities"
        }
    }

    /// ASFF timestamps: RFC 3339, UTC (`Z`), milliseconds.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// One finding in the AWS Security Finding Format, with the attributes this project writes
/// (Security Hub answers with more; they are not read).
public struct ASFFFinding: Codable, Sendable, Hashable {
    public struct Severity: Codable, Sendable, Hashable {
        public var Label: String
    }

    public struct Details: Codable, Sendable, Hashable {
        public var Other: [String: String]?
    }

    public struct Resource: Codable, Sendable, Hashable {
        public var `Type`: String
        public var Id: String
        public var Partition: String?
        public var Region: String?
        public var Details: Details?
    }

    public struct Recommendation: Codable, Sendable, Hashable {
        public var Text: String
    }

    public struct Remediation: Codable, Sendable, Hashable {
        public var Recommendation: Recommendation?
    }

    public struct Workflow: Codable, Sendable, Hashable {
        public var Status: String
    }

    /// A note on the finding: who wrote it, when, and what it says.
    public struct Note: Codable, Sendable, Hashable {
        public var Text: String
        public var UpdatedBy: String
        public var UpdatedAt: String
    }

    public var SchemaVersion: String
    public var Id: String
    public var ProductArn: String
    public var GeneratorId: String
    public var AwsAccountId: String
    public var Types: [String]
    public var CreatedAt: String
    public var UpdatedAt: String
    public var Severity: Severity
    public var Title: String
    public var Description: String
    public var Remediation: Remediation?
    public var ProductFields: [String: String]?
    public var Resources: [Resource]
    public var Workflow: Workflow?
    public var RecordState: String?
    public var Note: Note?
}
