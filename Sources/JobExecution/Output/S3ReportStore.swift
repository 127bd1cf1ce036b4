import AWSClients
import Foundation
import Jobs
import Logging

/// Report folders under an S3 prefix (`--report-dir s3://bucket/prefix`), as ``ReportHistory``
/// reads them: ListObjectsV2 of `<prefix>/<job>/` by `/`, and GetObject of a folder's files.
/// IAM: `s3:ListBucket` on the bucket (the prefix), `s3:GetObject` on the reports.
struct S3ReportStore: ReportStore {
    var client: S3Client
    /// The destination: bucket and prefix (no trailing slash).
    var prefix: S3Output.Location

    func runFolders(of job: String) async throws -> [String] {
        let base = prefix.appending(job).key + "/"
        var names: [String] = []
        for try await page in client.listObjects(bucket: prefix.bucket, prefix: base, delimiter: "/") {
            names += page.commonPrefixes.compactMap { folder in
                guard folder.hasPrefix(base), folder.hasSuffix("/") else { return nil }
                return String(folder.dropFirst(base.count).dropLast())
            }
        }
        return names
    }

    func file(_ name: String, inRun folder: String, of job: String) async throws -> Data? {
        let object = prefix.appending("\(job)/\(folder)/\(name)")
        do {
            return try await client.getObject(bucket: object.bucket, key: object.key)
        } catch let error as AWSError where error.code == "NoSuchKey" || error.code == "NotFound" {
            return nil
        }
    }

    func location(ofRun folder: String, of job: String) -> String {
        prefix.appending("\(job)/\(folder)").uri
    }
}

extension ReportDestination {
    /// The reports written to this destination before, for `body`: a local folder's, or (an S3
    /// prefix) through one S3 client for the whole of `body`.
    func withHistory<Result: Sendable>(settings: Settings, logger: Logger,
                                       _ body: (ReportHistory) async throws -> Result) async throws -> Result {
        guard let s3 else { return try await body(ReportHistory(store: LocalReportStore(directory: local))) }
        return try await Backend.withS3(settings, logger: logger) { client in
            try await body(ReportHistory(store: S3ReportStore(client: client, prefix: s3)))
        }
    }
}
