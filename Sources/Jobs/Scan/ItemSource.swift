import Foundation

/// Where a scan job's items came from: the live table (a scan, which spends read capacity and
/// sees each item at some moment of the run), or a DynamoDB export to S3 (an exact snapshot of
/// the table at ``ExportProvenance/exportTime``, read without a single DynamoDB request).
///
/// Export and audit record it: the archive's `manifest.json` (`meta.source`, checked by
/// `verify-export`), the archive's name, and the report's parameters and header.
public enum ItemSource: Sendable, Hashable {
    case scan
    case export(ExportProvenance)

    /// The snapshot, for an export.
    public var provenance: ExportProvenance? {
        if case .export(let provenance) = self { return provenance }
        return nil
    }

    /// For `report.json` `parameters`, for an export: `source` (`dynamodb-export`), `exportArn`,
    /// `tableArn` and `asOf` (the export time). A scan adds nothing (its reports are as before).
    public var parameters: [String: String] {
        guard let provenance else { return [:] }
        return ["source": ExportProvenance.kind, "exportArn": provenance.exportArn, "tableArn": provenance.tableArn,
                "asOf": provenance.exportTime]
    }
}

/// A DynamoDB export to S3 as the outputs name it: its ARN, its table's ARN and the exact instant
/// it is a snapshot of (as its `manifest-summary.json` says).
public struct ExportProvenance: Sendable, Hashable, Codable {
    /// `meta.source.type` of an archive made from an export.
    public static let kind = "dynamodb-export"

    public var exportArn: String
    public var tableArn: String
    /// RFC 3339, as the export's manifest writes it.
    public var exportTime: String

    public init(exportArn: String, tableArn: String, exportTime: String) {
        self.exportArn = exportArn
        self.tableArn = tableArn
        self.exportTime = exportTime
    }

    /// The export time as it goes into an archive's name: `20261130T000000Z` (UTC, to the second).
    public var stamp: String? {
        guard let date = Self.date(exportTime) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", parts.year!, parts.month!, parts.day!, parts.hour!,
                      parts.minute!, parts.second!)
    }

    /// An RFC 3339 instant, with or without fractional seconds.
    public static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    /// `users.tar.gz` → `users-asof-20261130T000000Z.tar.gz`: the archive's name carries the
    /// snapshot's time (before the archive extension).
    public func archiveName(_ name: String) -> String {
        guard let stamp else { return name }
        let lower = name.lowercased()
        let extensions = [".tar.gz", ".tar.zst", ".tgz", ".tzst", ".zip"]
        let cut = extensions.first { lower.hasSuffix($0) }.map { name.count - $0.count } ?? name.count
        return String(name.prefix(cut)) + "-asof-" + stamp + String(name.dropFirst(cut))
    }
}
