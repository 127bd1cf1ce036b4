import Foundation

/// Where report folders are kept, as ``ReportHistory`` reads them: `<destination>/<job>/<UTC
/// stamp>-<runId>/` (a local folder here; an S3 prefix by the composition root).
public protocol ReportStore: Sendable {
    /// The run folders of `job`, by name (`20261206T020000-<runId>`), in any order.
    func runFolders(of job: String) async throws -> [String]
    /// A file of a run folder; `nil` when it is not there.
    func file(_ name: String, inRun folder: String, of job: String) async throws -> Data?
    /// Where a run folder is, for people: a path or an `s3://` URI.
    func location(ofRun folder: String, of job: String) -> String
}
