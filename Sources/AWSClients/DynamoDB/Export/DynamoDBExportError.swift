/// Why a DynamoDB table export cannot be read, in one line naming the file: safe to log (it
/// never holds an item's value).
///
/// ```swift
/// catch let error as DynamoDBExportError where error.isIntegrity { ... }   // a file does not match its manifest
/// ```
public struct DynamoDBExportError: Error, Sendable, CustomStringConvertible, Hashable {
    private enum Code: Sendable, Hashable {
        case manifestMissing, manifestMalformed, unsupportedFormat, checksumMismatch, countMismatch, totalMismatch,
             malformedData, changed
    }

    private let code: Code
    public let description: String

    private init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    /// A data file, or the manifests' totals, do not match what the manifests promise.
    public var isIntegrity: Bool { [.checksumMismatch, .countMismatch, .totalMismatch, .changed].contains(code) }

    static func manifestMissing(_ location: String) -> Self {
        .init(.manifestMissing, "no export manifest at \(location): not a completed DynamoDB export to S3")
    }

    static func manifestMalformed(_ location: String, _ why: String) -> Self {
        .init(.manifestMalformed, "the export manifest \(location) is malformed: \(why)")
    }

    static func unsupportedFormat(_ format: String) -> Self {
        .init(.unsupportedFormat, "the export is in \(format) format: DYNAMODB_JSON is needed (export with ExportFormat DYNAMODB_JSON)")
    }

    static func checksumMismatch(_ location: String) -> Self {
        .init(.checksumMismatch, "the data file \(location) does not match its MD5 checksum in manifest-files.json")
    }

    static func countMismatch(_ location: String, lines: Int, expected: Int) -> Self {
        .init(.countMismatch, "the data file \(location) holds \(lines) items, manifest-files.json says \(expected)")
    }

    static func totalMismatch(_ location: String, files: Int, summary: Int) -> Self {
        .init(.totalMismatch, "the data files of \(location) hold \(files) items in manifest-files.json, manifest-summary.json says \(summary)")
    }

    static func malformedData(_ location: String, _ why: String) -> Self {
        .init(.malformedData, "the data file \(location) is malformed: \(why)")
    }

    /// A data file that went away or was replaced while it was read.
    public static func changedOrMissing(_ detail: String) -> Self {
        .init(.changed, "a data file of the export is gone or was replaced while it was read: \(detail)")
    }

    static func changed(_ location: String) -> Self {
        .init(.changed, "the data file \(location) is not the one the export wrote (its ETag differs from manifest-files.json)")
    }
}
