import AWSClients
import Foundation
import Logging
import UserVaultCore

/// DynamoDB's export to S3 as a job's item source: checks that point-in-time recovery is on and
/// covers the instant, asks for the export
/// ([ExportTableToPointInTime](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportTableToPointInTime.html),
/// DYNAMODB_JSON, full), and waits for it
/// ([DescribeExport](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeExport.html)).
/// None of it consumes read capacity.
///
/// ```swift
/// let exports = PointInTimeExports(dynamo: dynamo, tableName: "users")
/// let tableArn = try await exports.checkRecovery(asOf: midnight)
/// let arn = try await exports.start(tableArn: tableArn, asOf: midnight, staging: .init(bucket: "staging", prefix: "exports"), clientToken: runId)
/// let done = try await exports.waitUntilDone(arn, limit: .seconds(3600)) { state, elapsed in ... }
/// let folder = PointInTimeExports.folder(of: done)   // where its manifests are
/// ```
public struct PointInTimeExports: Sendable {
    /// Where DynamoDB writes the export: a bucket and a key prefix, encrypted with SSE-KMS under
    /// the named key (else as the bucket's default encryption says).
    public struct Staging: Sendable, Hashable {
        public var bucket: String
        public var prefix: String
        public var kmsKeyId: String?

        public init(bucket: String, prefix: String, kmsKeyId: String? = nil) {
            self.bucket = bucket
            self.prefix = prefix
            self.kmsKeyId = kmsKeyId
        }
    }

    let dynamo: DynamoDBClient
    public let tableName: String
    /// The pause between two DescribeExport requests.
    public var pollInterval: Duration

    public init(dynamo: DynamoDBClient, tableName: String, pollInterval: Duration = .seconds(10)) {
        self.dynamo = dynamo
        self.tableName = tableName
        self.pollInterval = pollInterval
    }

    /// Checks that point-in-time recovery is on and, for a given instant, that it lies in the
    /// restorable window and not in the future. Returns the table's ARN.
    public func checkRecovery(asOf: Date?, now: Date = Date()) async throws -> String {
        do {
            guard let arn = try await dynamo.describeTable(tableName)?.TableArn else {
                throw AWSError.invalidResponse("dynamodb", "DescribeTable", "no TableArn in the answer")
            }
            let recovery = try await dynamo.describeContinuousBackups(table: tableName).PointInTimeRecoveryDescription
            guard recovery?.PointInTimeRecoveryStatus == "ENABLED" else { throw PointInTimeExportError.recoveryOff(tableName) }
            if let asOf {
                let earliest = recovery?.EarliestRestorableDateTime
                if asOf > now || earliest.map({ asOf < $0.addingTimeInterval(-1) }) == true {
                    throw PointInTimeExportError.outsideWindow(asOf, earliest: earliest, latest: recovery?.LatestRestorableDateTime)
                }
            }
            return arn
        } catch let error as AWSError {
            throw Self.mapped(error, table: tableName)
        }
    }

    /// Asks for a full DYNAMODB_JSON export of the table as of `asOf` (`nil`: now) into
    /// `staging`. `clientToken` makes the request idempotent (a run's id: a resumed run asking
    /// again gets the same export). Returns the export's ARN.
    public func start(tableArn: String, asOf: Date?, staging: Staging, clientToken: String) async throws -> String {
        do {
            let export = try await dynamo.exportTableToPointInTime(.init(
                TableArn: tableArn, ExportTime: asOf.map { $0.timeIntervalSince1970.rounded(.down) },
                ClientToken: clientToken, S3Bucket: staging.bucket, S3Prefix: staging.prefix.isEmpty ? nil : staging.prefix,
                S3SseAlgorithm: staging.kmsKeyId == nil ? nil : "KMS", S3SseKmsKeyId: staging.kmsKeyId))
            return export.ExportArn ?? ""
        } catch let error as AWSError {
            throw Self.mapped(error, table: tableName)
        }
    }

    /// Polls DescribeExport until the export is COMPLETED (returned) or FAILED (thrown with its
    /// FailureCode and FailureMessage), or `limit` has passed (thrown, naming the ARN to resume from).
    public func waitUntilDone(
        _ arn: String, limit: Duration?, clock: ContinuousClock = .init(),
        progress: @Sendable (_ status: String, _ elapsed: Duration) -> Void = { _, _ in }
    ) async throws -> DynamoDB.ExportDescription {
        let start = clock.now
        while true {
            let description: DynamoDB.ExportDescription
            do {
                description = try await dynamo.describeExport(arn: arn)
            } catch let error as AWSError {
                throw Self.mapped(error, table: tableName)
            }
            let status = description.ExportStatus ?? "UNKNOWN"
            let elapsed = clock.now - start
            progress(status, elapsed)
            switch status {
            case "COMPLETED": return description
            case "FAILED": throw PointInTimeExportError.failed(arn, code: description.FailureCode, message: description.FailureMessage)
            default: break
            }
            if let limit, elapsed >= limit { throw PointInTimeExportError.notDone(arn, status: status, waited: elapsed) }
            let pause = limit.map { min(pollInterval, max(.zero, $0 - elapsed)) } ?? pollInterval
            try await Task.sleep(for: max(pause, .milliseconds(50)))
        }
    }

    /// The key prefix of a finished export's files (`<prefix>/AWSDynamoDB/<ExportId>/`): from
    /// `ExportManifest` when DescribeExport gives it, else from the prefix and the ARN's last part.
    public static func folder(of export: DynamoDB.ExportDescription) -> (bucket: String, folder: String)? {
        guard let bucket = export.S3Bucket, !bucket.isEmpty else { return nil }
        if let manifest = export.ExportManifest, manifest.hasSuffix("/" + DynamoDBExportManifest.summaryName) {
            return (bucket, String(manifest.dropLast(DynamoDBExportManifest.summaryName.count)))
        }
        guard let arn = export.ExportArn, let id = arn.split(separator: "/").last else { return nil }
        let prefix = (export.S3Prefix ?? "").isEmpty ? "" : (export.S3Prefix! + "/")
        return (bucket, "\(prefix)AWSDynamoDB/\(id)/")
    }

    static func mapped(_ error: AWSError, table: String) -> any Error {
        switch error.code {
        case "PointInTimeRecoveryUnavailableException": return PointInTimeExportError.recoveryOff(table)
        case "InvalidExportTimeException": return PointInTimeExportError.rejected(error.message ?? "the export time is not valid")
        case "ExportConflictException", "LimitExceededException", "ExportNotFoundException":
            return PointInTimeExportError.rejected("\(error.code ?? ""): \(error.message ?? "")")
        default: return DynamoDBUserTable.mapped(error, table: table)
        }
    }

    /// `1 h 2 min 5 s`, `45 s`.
    static func format(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        let (hours, minutes, rest) = (seconds / 3600, seconds % 3600 / 60, seconds % 60)
        return [hours > 0 ? "\(hours) h" : nil, minutes > 0 ? "\(minutes) min" : nil, "\(rest) s"]
            .compactMap { $0 }.joined(separator: " ")
    }
}
