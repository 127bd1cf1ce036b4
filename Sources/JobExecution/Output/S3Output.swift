import AWSClients
import Foundation
import Jobs
import Logging
import UserVaultCore

/// Outputs that go to S3 (`s3://bucket/key`), whichever backend holds the users: report folders
/// (`--report-dir s3://bucket/prefix`) and export archives (`--output s3://bucket/key`). They are
/// written locally first, then uploaded (multipart above 8 MiB) with server-side encryption
/// requested: `USERVAULT_S3_SSE` = `AES256` (the default), `aws:kms`, or `aws:kms:<key id or ARN>`.
public enum S3Output {
    public struct Location: Sendable {
        public var bucket: String
        /// The key, or a prefix (no trailing slash) for a folder.
        public var key: String

        public var uri: String { "s3://\(bucket)/\(key)" }

        func appending(_ path: String) -> Location {
            Location(bucket: bucket, key: key.isEmpty ? path : key + "/" + path)
        }
    }

    /// `s3://bucket/key`; a prefix may be empty (`s3://bucket`). `nil` when not an S3 URI.
    public static func parse(_ text: String, prefix allowEmptyKey: Bool = false) -> Location? {
        guard text.hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        var key = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
        while key.hasSuffix("/") && allowEmptyKey { key.removeLast() }
        guard !bucket.isEmpty, allowEmptyKey || (!key.isEmpty && !key.hasSuffix("/")) else { return nil }
        return Location(bucket: bucket, key: key)
    }

    static func encryption(_ settings: Settings) throws -> S3.ServerSideEncryption {
        switch settings.environment["USERVAULT_S3_SSE"] ?? "AES256" {
        case "AES256": return .aes256
        case "aws:kms": return .kms()
        case let value where value.hasPrefix("aws:kms:"): return .kms(keyId: String(value.dropFirst("aws:kms:".count)))
        case let value: throw JobExit.usage("USERVAULT_S3_SSE must be AES256, aws:kms or aws:kms:<key> (got '\(value)')")
        }
    }

    /// A fresh local staging folder (mode 0700) for an output bound for S3.
    static func stagingDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("uservault-\(label)-\(UUID().uuidString)")
        try PrivateDirectory.create(at: url)
        return url
    }

    /// Uploads `files` (local file → key under `location`), encrypted as configured.
    public static func upload(_ files: [(URL, Location)], settings: Settings, logger: Logger) async throws {
        let encryption = try encryption(settings)
        try await Backend.withS3(settings, logger: logger) { client in
            for (file, location) in files {
                let type = file.pathExtension == "json" ? "application/json"
                    : file.pathExtension == "md" ? "text/markdown; charset=utf-8"
                    : file.pathExtension == "html" ? "text/html; charset=utf-8"
                    : file.pathExtension == "sha256" ? "text/plain" : "application/octet-stream"
                try await client.upload(bucket: location.bucket, key: location.key, from: file, contentType: type,
                                        serverSideEncryption: encryption)
            }
        }
    }

    /// Uploads a report folder (`<staging>/<job>/<stamp>-<runId>/`) under `prefix`, keeping the
    /// `<job>/<stamp>-<runId>/` part; returns the folder's `s3://` URI.
    static func publishReport(_ folder: URL, under prefix: Location, settings: Settings, logger: Logger) async throws -> String {
        let relative = folder.deletingLastPathComponent().lastPathComponent + "/" + folder.lastPathComponent
        let target = prefix.appending(relative)
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        // report.json last: a reader that sees it sees the whole folder.
        let ordered = files.filter { $0.lastPathComponent != "report.json" } + files.filter { $0.lastPathComponent == "report.json" }
        try await upload(ordered.map { ($0, target.appending($0.lastPathComponent)) }, settings: settings, logger: logger)
        return target.uri
    }

    /// Fetches a report folder written to S3 (`s3://bucket/prefix/audit/<stamp>-<runId>`, or its
    /// `report.json`) into a local folder: `report.json`, and `audit-share.json` when there.
    static func fetchReportFolder(_ uri: String, settings: Settings, logger: Logger) async throws -> URL {
        var text = uri
        if text.hasSuffix("/report.json") { text.removeLast("/report.json".count) }
        guard let location = parse(text, prefix: true) else { throw JobExit.usage("not an S3 report folder: \(uri)") }
        let folder = try stagingDirectory("merge").appendingPathComponent((location.key as NSString).lastPathComponent)
        try PrivateDirectory.create(at: folder)
        try await Backend.withS3(settings, logger: logger) { client in
            for name in ["report.json", "audit-share.json"] {
                do {
                    let object = location.appending(name)
                    try await client.downloadObject(bucket: object.bucket, key: object.key, to: folder.appendingPathComponent(name))
                } catch let error as AWSError where name != "report.json" && (error.code == "NotFound" || error.code == "NoSuchKey") {
                    continue
                }
            }
        }
        return folder
    }
}

/// Where a command's report folder goes (`--report-dir`): a local folder, or an S3 prefix the
/// folder is staged for and uploaded to.
struct ReportDestination: Sendable {
    let directory: String
    let s3: S3Output.Location?
    /// Where ReportWriter writes: the folder itself, or a staging folder for S3.
    let local: URL

    init(_ directory: String) throws {
        self.directory = directory
        s3 = S3Output.parse(directory, prefix: true)
        if directory.hasPrefix("s3://"), s3 == nil { throw JobExit.usage("--report-dir s3://bucket/prefix needs a bucket") }
        local = try s3 == nil ? URL(fileURLWithPath: directory) : S3Output.stagingDirectory("reports")
    }

    /// The earlier reports here that `report.html`'s trend draws, newest first: a local folder's,
    /// or an S3 prefix's (ListObjectsV2). The trend is not worth a lost report: a history that
    /// cannot be read is a warning, and the page draws this run alone.
    func history(of report: JobReport, settings: Settings, logger: Logger) async -> [ReportHistory.Entry] {
        // Only an audit over every segment has a page with a trend: for a repair, an export or
        // a worker's share, listing and reading the destination would be for nothing.
        guard report.job == "audit", report.segments.assigned == report.segments.total else { return [] }
        do {
            return try await withHistory(settings: settings, logger: logger) { history in
                try await history.entries(limit: ReportHTML.trendLimit - 1) { ReportHTML.trendIncludes($0, of: report) }
            }
        } catch {
            logger.warning("report.html: the earlier reports in \(directory) could not be read, so its trend shows this run only: \(ErrorLine.of(error))")
            return []
        }
    }

    /// The written report folder, for people: its local path, or its S3 URI once uploaded (the
    /// staging copy is then removed; kept when the upload fails).
    func publish(_ folder: URL, settings: Settings, logger: Logger) async throws -> String {
        guard let s3 else { return folder.path }
        let uri = try await S3Output.publishReport(folder, under: s3, settings: settings, logger: logger)
        try? FileManager.default.removeItem(at: local)
        return uri
    }

    /// Writes `report` (with `extras`) and publishes it. A failed upload is one line that says
    /// where the local copy is.
    func deliver(_ report: JobReport, extras: [String: Data] = [:], settings: Settings, logger: Logger) async throws -> String {
        let earlier = await history(of: report, settings: settings, logger: logger)
        let folder = try ReportWriter.write(report, to: local, extras: extras, history: earlier)
        let location: String
        do {
            location = try await publish(folder, settings: settings, logger: logger)
        } catch {
            throw JobExit.failure("the report could not be uploaded to \(directory): \(ErrorLine.of(error)) "
                + "(it is at \(folder.path))")
        }
        return location
    }
}
