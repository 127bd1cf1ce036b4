import Foundation

/// A local report folder (`--report-dir reports`).
public struct LocalReportStore: ReportStore {
    public var directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public func runFolders(of job: String) async throws -> [String] {
        let folder = directory.appendingPathComponent(job)
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }
    }

    public func file(_ name: String, inRun folder: String, of job: String) async throws -> Data? {
        FileManager.default.contents(atPath: directory.appendingPathComponent(job).appendingPathComponent(folder)
            .appendingPathComponent(name).path)
    }

    public func location(ofRun folder: String, of job: String) -> String {
        directory.appendingPathComponent(job).appendingPathComponent(folder).path
    }
}
