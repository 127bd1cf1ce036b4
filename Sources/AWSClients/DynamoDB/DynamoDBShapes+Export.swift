import Foundation

// Wire shapes of DynamoDB's export to S3 and its point-in-time recovery settings, named as in the
// API reference. Timestamps travel as seconds since 1970 (a JSON number).

extension DynamoDB {
    /// [ExportTableToPointInTime](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportTableToPointInTime.html)'s request.
    public struct ExportTableToPointInTimeInput: Codable, Sendable, Hashable {
        public var TableArn: String
        /// Seconds since 1970; `nil`: the current time.
        public var ExportTime: Double?
        /// Makes the request idempotent: the same token within 8 hours returns the same export.
        public var ClientToken: String?
        public var S3Bucket: String
        public var S3Prefix: String?
        /// `AES256` or `KMS`.
        public var S3SseAlgorithm: String?
        public var S3SseKmsKeyId: String?
        /// `DYNAMODB_JSON` or `ION`.
        public var ExportFormat: String?
        /// `FULL_EXPORT` or `INCREMENTAL_EXPORT`.
        public var ExportType: String?

        public init(TableArn: String, ExportTime: Double? = nil, ClientToken: String? = nil, S3Bucket: String,
                    S3Prefix: String? = nil, S3SseAlgorithm: String? = nil, S3SseKmsKeyId: String? = nil,
                    ExportFormat: String? = "DYNAMODB_JSON", ExportType: String? = "FULL_EXPORT") {
            self.TableArn = TableArn
            self.ExportTime = ExportTime
            self.ClientToken = ClientToken
            self.S3Bucket = S3Bucket
            self.S3Prefix = S3Prefix
            self.S3SseAlgorithm = S3SseAlgorithm
            self.S3SseKmsKeyId = S3SseKmsKeyId
            self.ExportFormat = ExportFormat
            self.ExportType = ExportType
        }
    }

    /// [ExportDescription](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportDescription.html).
    public struct ExportDescription: Codable, Sendable, Hashable {
        public var ExportArn: String?
        /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
        public var ExportStatus: String?
        public var StartTime: Date?
        public var EndTime: Date?
        /// The S3 key of `manifest-summary.json`.
        public var ExportManifest: String?
        public var TableArn: String?
        public var ExportTime: Date?
        public var S3Bucket: String?
        public var S3Prefix: String?
        public var FailureCode: String?
        public var FailureMessage: String?
        public var ExportFormat: String?
        public var ExportType: String?
        public var ItemCount: Int?
        public var BilledSizeBytes: Int?

        public init(ExportArn: String? = nil, ExportStatus: String? = nil) {
            self.ExportArn = ExportArn
            self.ExportStatus = ExportStatus
        }
    }

    struct ExportDescriptionOutput: Codable, Sendable {
        var ExportDescription: ExportDescription?
    }

    struct ExportArnInput: Codable, Sendable {
        var ExportArn: String
    }

    /// [ContinuousBackupsDescription](https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ContinuousBackupsDescription.html).
    public struct ContinuousBackupsDescription: Codable, Sendable, Hashable {
        public var ContinuousBackupsStatus: String?
        public var PointInTimeRecoveryDescription: PointInTimeRecoveryDescription?
    }

    /// Point-in-time recovery: `ENABLED` or `DISABLED`, and the window it can restore (or export) from.
    public struct PointInTimeRecoveryDescription: Codable, Sendable, Hashable {
        public var PointInTimeRecoveryStatus: String?
        public var EarliestRestorableDateTime: Date?
        public var LatestRestorableDateTime: Date?
        public var RecoveryPeriodInDays: Int?
    }

    struct ContinuousBackupsOutput: Codable, Sendable {
        var ContinuousBackupsDescription: ContinuousBackupsDescription?
    }
}
