import Foundation

/// The manifests of a DynamoDB export to S3, as AWS writes them
/// ([DynamoDB table export output format](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html)):
/// `manifest-summary.json` (the export: its ARN, table, exact `exportTime`, `itemCount`,
/// `outputFormat`, `manifestFilesS3Key`) and `manifest-files.json` (one JSON line per data file:
/// `dataFileS3Key`, `itemCount`, `md5Checksum`, `etag`).
///
/// ```swift
/// let manifest = try await DynamoDBExportManifest.read(s3: s3, bucket: "staging", folder: "exports/AWSDynamoDB/0169-ab12/")
/// for file in manifest.dataFiles { ... }
/// ```
///
/// Read strictly: a missing or malformed member, a format other than `DYNAMODB_JSON`, or file
/// counts that do not add up to the summary's `itemCount` throw ``DynamoDBExportError``. The one
/// leniency is AWS's own: a data file's key ends `.json.gz` or `.gz`.
public struct DynamoDBExportManifest: Sendable, Hashable {
    /// One data file: a gzip of `{"Item": …}` lines in DynamoDB JSON.
    public struct DataFile: Sendable, Hashable, Codable {
        public var key: String
        public var itemCount: Int
        /// Base64 of the MD5 of the (compressed) object.
        public var md5Checksum: String
        public var etag: String

        public init(key: String, itemCount: Int, md5Checksum: String, etag: String) {
            self.key = key
            self.itemCount = itemCount
            self.md5Checksum = md5Checksum
            self.etag = etag
        }
    }

    public var bucket: String
    /// The export's folder, `…/AWSDynamoDB/<ExportId>/`.
    public var folder: String
    public var exportArn: String
    public var tableArn: String
    /// The instant the export is a snapshot of, as the summary writes it (RFC 3339).
    public var exportTime: String
    public var itemCount: Int
    public var dataFiles: [DataFile]

    public static let summaryName = "manifest-summary.json"

    /// The table's name, from its ARN (`arn:aws:dynamodb:r:a:table/NAME`).
    public var tableName: String {
        tableArn.split(separator: "/", omittingEmptySubsequences: false).dropFirst().first.map(String.init) ?? tableArn
    }

    public init(bucket: String, folder: String, exportArn: String, tableArn: String, exportTime: String, itemCount: Int,
                dataFiles: [DataFile]) {
        self.bucket = bucket
        self.folder = folder
        self.exportArn = exportArn
        self.tableArn = tableArn
        self.exportTime = exportTime
        self.itemCount = itemCount
        self.dataFiles = dataFiles
    }

    /// Reads both manifests of the export in `folder` (a key prefix ending `/`).
    public static func read(s3: S3Client, bucket: String, folder: String) async throws -> DynamoDBExportManifest {
        let folder = folder.hasSuffix("/") || folder.isEmpty ? folder : folder + "/"
        let summaryKey = folder + summaryName
        let summaryLocation = "s3://\(bucket)/\(summaryKey)"
        let summary = try parseSummary(try await fetch(s3, bucket, summaryKey), location: summaryLocation)
        let filesLocation = "s3://\(bucket)/\(summary.manifestFilesS3Key)"
        let files = try parseDataFiles(try await fetch(s3, bucket, summary.manifestFilesS3Key), location: filesLocation)
        let total = files.reduce(0) { $0 + $1.itemCount }
        guard total == summary.itemCount else {
            throw DynamoDBExportError.totalMismatch("s3://\(bucket)/\(folder)", files: total, summary: summary.itemCount)
        }
        return DynamoDBExportManifest(bucket: bucket, folder: folder, exportArn: summary.exportArn, tableArn: summary.tableArn,
                                      exportTime: summary.exportTime, itemCount: summary.itemCount, dataFiles: files)
    }

    private static func fetch(_ s3: S3Client, _ bucket: String, _ key: String) async throws -> Data {
        do {
            return try await s3.getObject(bucket: bucket, key: key)
        } catch let error as AWSError where error.code == "NoSuchKey" {
            throw DynamoDBExportError.manifestMissing("s3://\(bucket)/\(key)")
        }
    }

    struct Summary: Hashable {
        var exportArn: String
        var tableArn: String
        var exportTime: String
        var itemCount: Int
        var manifestFilesS3Key: String
    }

    /// `manifest-summary.json`: one JSON object.
    static func parseSummary(_ data: Data, location: String) throws -> Summary {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DynamoDBExportError.manifestMalformed(location, "not a JSON object")
        }
        func string(_ name: String) throws -> String {
            guard let value = object[name] as? String, !value.isEmpty else {
                throw DynamoDBExportError.manifestMalformed(location, "no \(name)")
            }
            return value
        }
        let format = try string("outputFormat")
        guard format == "DYNAMODB_JSON" else { throw DynamoDBExportError.unsupportedFormat(format) }
        if let type = object["exportType"] as? String, type != "FULL_EXPORT" {
            throw DynamoDBExportError.manifestMalformed(location, "exportType \(type): a full export is needed")
        }
        guard let count = object["itemCount"] as? Int, count >= 0, !(object["itemCount"] is Bool) else {
            throw DynamoDBExportError.manifestMalformed(location, "no itemCount")
        }
        let exportArn = try string("exportArn")
        let exportTime = try string("exportTime")
        guard (try? Date(exportTime, strategy: .iso8601)) != nil
            || (try? Date(exportTime, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) != nil
        else {
            throw DynamoDBExportError.manifestMalformed(location, "exportTime '\(exportTime)' is not an RFC 3339 instant")
        }
        // The table ARN is the export ARN's head (`…:table/NAME/export/ID`) when the summary omits it.
        let tableArn = (object["tableArn"] as? String)
            ?? exportArn.components(separatedBy: "/export/").first ?? exportArn
        return Summary(exportArn: exportArn, tableArn: tableArn, exportTime: exportTime, itemCount: count,
                       manifestFilesS3Key: try string("manifestFilesS3Key"))
    }

    /// `manifest-files.json`: one JSON object per line.
    static func parseDataFiles(_ data: Data, location: String) throws -> [DataFile] {
        var files: [DataFile] = []
        var keys = Set<String>()
        for (index, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            let at = "line \(index + 1)"
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw DynamoDBExportError.manifestMalformed(location, "\(at) is not a JSON object")
            }
            guard let key = object["dataFileS3Key"] as? String, !key.isEmpty else {
                throw DynamoDBExportError.manifestMalformed(location, "\(at) has no dataFileS3Key")
            }
            guard key.hasSuffix(".json.gz") || key.hasSuffix(".gz") else {
                throw DynamoDBExportError.manifestMalformed(location, "\(at): \(key) is not a .json.gz data file")
            }
            guard let count = object["itemCount"] as? Int, count >= 0, !(object["itemCount"] is Bool) else {
                throw DynamoDBExportError.manifestMalformed(location, "\(at) has no itemCount")
            }
            guard let md5 = object["md5Checksum"] as? String, Data(base64Encoded: md5)?.count == 16 else {
                throw DynamoDBExportError.manifestMalformed(location, "\(at) has no md5Checksum (base64 of an MD5)")
            }
            guard let etag = object["etag"] as? String, !etag.isEmpty else {
                throw DynamoDBExportError.manifestMalformed(location, "\(at) has no etag")
            }
            guard keys.insert(key).inserted else {
                throw DynamoDBExportError.manifestMalformed(location, "\(key) is listed twice")
            }
            files.append(DataFile(key: key, itemCount: count, md5Checksum: md5, etag: etag))
        }
        return files
    }
}
