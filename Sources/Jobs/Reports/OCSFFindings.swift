import Foundation

/// `findings.ocsf.json`, beside an audit's `report.json`: one OCSF event per finding, for the
/// SIEMs and data lakes that read OCSF (Amazon Security Lake among them).
///
/// The events are of the Detection Finding class (2004, category Findings) of OCSF 1.5.0, the
/// class and version that Prowler emits and that its `py-ocsf-models` package models (the tests
/// validate every event with it). The finding's code is the rule (`finding_info.analytic`), its
/// severity maps to OCSF's `severity_id`, the user and the key are the resources (the table
/// their parent group), and `metadata.correlation_uid` is the run. A finding a suppressions rule
/// accepted has `status_id` 3 (Suppressed), the rule's reason in `comment` and who accepted it
/// until when in `status_detail`; the others `status_id` 1 (New). Like the report, nothing in
/// it is a password, a ciphertext byte or a secret.
public enum OCSFFindings {
    public static let fileName = "findings.ocsf.json"
    public static let schemaVersion = "1.5.0"

    /// The events of `report`'s findings, as a JSON array.
    public static func document(for report: JobReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(events(for: report))
    }

    /// The id of a finding that stays the same from run to run: the same user (or key) with the
    /// same code on the same table is the same finding, updated rather than added. With an
    /// `account` and `region` (Security Hub), they are part of it:
    /// `uservault/aws/123456789012/eu-west-1/users/<user>/CREDENTIALS_PLAINTEXT`.
    public static func findingUID(_ finding: Finding, backend: String, table: String, account: String? = nil,
                                  region: String? = nil) -> String {
        findingUIDPrefix(backend: backend, table: table, account: account, region: region)
            + "\(finding.userId ?? finding.keyId ?? "-")/\(finding.code.rawValue)"
    }

    /// What every ``findingUID(_:backend:table:account:region:)`` of one table begins with.
    public static func findingUIDPrefix(backend: String, table: String, account: String? = nil, region: String? = nil) -> String {
        let place = [account, region].compactMap { $0 }.map { $0 + "/" }.joined()
        return "uservault/\(backend)/\(place)\(table)/"
    }

    static func events(for report: JobReport) -> [Event] {
        report.findings.map {
            event($0, backend: report.backend, table: report.table, runId: report.runId, job: report.job, at: report.finishedAt)
        }
    }

    /// One finding's event: a finding found (activity Create, status New), or `resolved` (activity
    /// Close, status Resolved), at `timestamp` (ISO 8601), by the run (or invocation) `runId`.
    static func event(_ finding: Finding, backend: String, table: String, runId: String, job: String, at timestamp: String,
                      resolved: Bool = false) -> Event {
        let time = milliseconds(timestamp)
        let uid = findingUID(finding, backend: backend, table: table)
        let arn = finding.keyId.flatMap(KeyARN.init)
        var resources: [Event.Resource] = []
        let group = Event.Group(name: table, type: backend == "aws" ? "DynamoDB table" : "UserVault embedded table")
        if let userId = finding.userId {
            resources.append(.init(type: "UserVault user", uid: userId, name: userId, group: group))
        }
        if let keyId = finding.keyId {
            resources.append(.init(type: "AWS::KMS::Key", uid: keyId, group: group, region: arn?.region,
                                   cloudPartition: arn?.partition))
        }
        let cloud = backend == "aws"
            ? Event.Cloud(provider: "AWS", region: arn?.region,
                          account: arn.map { .init(uid: $0.account, name: $0.account, typeID: 10, type: "AWS Account") })
            : nil
        var event = Event(
            metadata: .init(version: schemaVersion, product: .init(name: "UserVault", vendorName: "UserVault", uid: "uservault"),
                            uid: "\(runId)/\(uid)", correlationUID: runId, eventCode: finding.code.rawValue,
                            logName: job, profiles: cloud == nil ? nil : ["cloud"]),
            severityID: severityID(finding.severity), severity: severityName(finding.severity),
            statusID: finding.suppressed == nil ? 1 : 3, status: finding.suppressed == nil ? "New" : "Suppressed",
            statusDetail: finding.suppressed.map { "accepted by \($0.owner) until \($0.expires) (rule \($0.rule))" },
            comment: finding.suppressed?.reason,
            time: time, timeDT: timestamp, message: finding.detail,
            findingInfo: .init(uid: uid, title: title(finding.code), desc: finding.detail, types: [finding.code.rawValue],
                               analytic: .init(name: finding.code.rawValue, uid: finding.code.rawValue, typeID: 1, type: "Rule"),
                               createdTime: time),
            resources: resources, cloud: cloud, remediation: .init(desc: finding.code.remedy),
            unmapped: .init(runId: runId, backend: backend, table: table, job: job))
        if resolved {
            (event.activityID, event.activityName, event.typeUID, event.typeName) = (3, "Close", 200_403, "Detection Finding: Close")
            (event.statusID, event.status) = (4, "Resolved")
        }
        return event
    }

    /// OCSF `severity_id`: Low 2, Medium 3, High 4.
    static func severityID(_ severity: Severity) -> Int {
        switch severity {
        case .low: 2
        case .medium: 3
        case .high: 4
        }
    }

    static func severityName(_ severity: Severity) -> String {
        switch severity {
        case .low: "Low"
        case .medium: "Medium"
        case .high: "High"
        }
    }

    /// `CREDENTIALS_PLAINTEXT` → `Credentials plaintext`.
    static func title(_ code: FindingCode) -> String {
        let words = code.rawValue.lowercased().split(separator: "_").joined(separator: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    /// Milliseconds since 1970 of a report timestamp (ISO 8601 with fractional seconds).
    static func milliseconds(_ timestamp: String) -> Int64 {
        let date = (try? Date(timestamp, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
            ?? (try? Date(timestamp, strategy: .iso8601)) ?? Date(timeIntervalSince1970: 0)
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// `arn:PARTITION:kms:REGION:ACCOUNT:key/ID`.
    struct KeyARN {
        var partition: String
        var region: String
        var account: String

        init?(_ text: String) {
            let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 6, parts[0] == "arn", parts[2] == "kms", !parts[3].isEmpty, !parts[4].isEmpty else { return nil }
            (partition, region, account) = (parts[1], parts[3], parts[4])
        }
    }

    /// One Detection Finding event, with the attributes this project fills.
    struct Event: Encodable {
        struct Product: Encodable {
            var name: String
            var vendorName: String
            var uid: String
            enum CodingKeys: String, CodingKey { case name, vendorName = "vendor_name", uid }
        }

        struct Metadata: Encodable {
            var version: String
            var product: Product
            var uid: String
            var correlationUID: String
            var eventCode: String
            var logName: String
            var profiles: [String]?
            enum CodingKeys: String, CodingKey {
                case version, product, uid, correlationUID = "correlation_uid", eventCode = "event_code", logName = "log_name", profiles
            }
        }

        struct Analytic: Encodable {
            var name: String
            var uid: String
            var typeID: Int
            var type: String
            enum CodingKeys: String, CodingKey { case name, uid, typeID = "type_id", type }
        }

        struct FindingInfo: Encodable {
            var uid: String
            var title: String
            var desc: String
            var types: [String]
            var analytic: Analytic
            var createdTime: Int64
            enum CodingKeys: String, CodingKey { case uid, title, desc, types, analytic, createdTime = "created_time" }
        }

        struct Group: Encodable {
            var name: String
            var type: String
        }

        struct Resource: Encodable {
            var type: String
            var uid: String
            var name: String?
            var group: Group
            var region: String?
            var cloudPartition: String?
            enum CodingKeys: String, CodingKey { case type, uid, name, group, region, cloudPartition = "cloud_partition" }
        }

        struct Account: Encodable {
            var uid: String
            var name: String
            var typeID: Int
            var type: String
            enum CodingKeys: String, CodingKey { case uid, name, typeID = "type_id", type }
        }

        struct Cloud: Encodable {
            var provider: String
            var region: String?
            var account: Account?
        }

        struct Remediation: Encodable {
            var desc: String
        }

        struct Unmapped: Encodable {
            var runId: String
            var backend: String
            var table: String
            var job: String
        }

        var metadata: Metadata
        var categoryUID = 2
        var categoryName = "Findings"
        var classUID = 2004
        var className = "Detection Finding"
        var activityID = 1
        var activityName = "Create"
        var typeUID = 200_401
        var typeName = "Detection Finding: Create"
        var severityID: Int
        var severity: String
        /// 1 New; 3 Suppressed: a rule of the suppressions file accepted it (`comment`: the reason).
        var statusID: Int
        var status: String
        var statusDetail: String?
        var comment: String?
        var time: Int64
        var timeDT: String
        var message: String
        var findingInfo: FindingInfo
        var resources: [Resource]
        var cloud: Cloud?
        var remediation: Remediation
        var unmapped: Unmapped

        enum CodingKeys: String, CodingKey {
            case metadata, categoryUID = "category_uid", categoryName = "category_name", classUID = "class_uid",
                 className = "class_name", activityID = "activity_id", activityName = "activity_name", typeUID = "type_uid",
                 typeName = "type_name", severityID = "severity_id", severity, statusID = "status_id", status,
                 statusDetail = "status_detail", comment, time,
                 timeDT = "time_dt", message, findingInfo = "finding_info", resources, cloud, remediation, unmapped
        }
    }
}
