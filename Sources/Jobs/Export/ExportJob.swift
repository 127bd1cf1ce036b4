import ArchiveIO
import Crypto
import Foundation
import Logging
import UserVaultCore

/// The export job: a parallel segmented scan with the allow-list projection, each page of users
/// written as one JSON:API document (`users/part-<worker>-<segment>-<seq>.json`) into an archive,
/// then `manifest.json` (counts and SHA-256 of every part) and `PATH.sha256` beside the archive.
///
/// ```swift
/// let job = ExportJob(configuration: .init(scan: .init(totalSegments: 8), format: .tarZst))
/// let result = try await job.run(table: table, to: URL(fileURLWithPath: "users.tar.zst"), state: state, logger: logger)
/// ```
///
/// - Atomic: the archive is written under a temporary name beside the target and renamed only
///   when complete (the `.sha256` first, so an archive at the target always has one).
/// - Streaming: without a checkpoint, each page is encoded and compressed into the archive as it
///   arrives. With one (``RunState/isTemporary`` false), each page is kept as a synced file in a
///   `.parts` directory beside the target, committed with the page, so a killed run resumes; the
///   archive is written from those files at the end. Memory holds a page at a time either way.
/// - Files are created mode 0600: they hold personal data.
public struct ExportJob: Sendable {
    public struct Configuration: Sendable {
        /// The scan; its projection is always the allow-list (``ScanProjection/publicAttributes``).
        public var scan: ScanEngine.Configuration
        public var format: ArchiveFormat
        /// Where the items come from: recorded in `manifest.json` (`meta.source`).
        public var source: ItemSource

        public init(scan: ScanEngine.Configuration, format: ArchiveFormat, source: ItemSource = .scan) {
            var scan = scan
            scan.projection = .publicAttributes
            scan.usersOnly = true
            self.scan = scan
            self.format = format
            self.source = source
        }
    }

    /// One part of the archive, as the manifest lists it.
    public struct FileEntry: Codable, Sendable, Hashable {
        public var path: String
        public var items: Int
        public var bytes: Int
        public var sha256: String
    }

    /// What a finished export produced.
    public struct Result: Sendable {
        public var archive: URL
        public var sha256: String
        public var bytes: Int
        public var itemCount: Int
        public var files: Int
        public var runId: String
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public static let manifestPath = "manifest.json"

    public func fingerprint(table: any UserTable, destination: URL) -> RunState.Fingerprint {
        .init(job: "export", backend: table.backendName, table: table.tableName,
              totalSegments: configuration.scan.totalSegments, worker: configuration.scan.worker,
              parameters: ["format": configuration.format.rawValue, "output": destination.path,
                           "pageSize": String(configuration.scan.pageSize)])
    }

    /// Runs the export to `destination` (a local path).
    ///
    /// - Throws: ``ExportError`` when the scan stopped before the end (nothing is left at the
    ///   destination; with a checkpoint the parts stay for `--resume`), or the error that stopped it.
    public func run(
        table: any UserTable, to destination: URL, state: RunState, logger: Logger,
        progress: @escaping @Sendable (ScanEngine.Progress) -> Void = { _ in }
    ) async throws -> Result {
        let paths = ExportPaths(destination: destination, runId: state.runId)
        let directory = destination.deletingLastPathComponent().path
        // A missing folder is made (like the report folders); one that cannot be is an error below.
        try? PrivateDirectory.create(atPath: directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              access(directory, W_OK) == 0
        else {
            throw ExportError("cannot write \(destination.path): \(directory) is not a writable directory")
        }
        let spooled = !state.isTemporary
        let sink: any PartSink
        if spooled {
            sink = try PartSpool(directory: paths.parts)
        } else {
            sink = try ArchiveSink(ArchiveWriter(creating: paths.partialArchive.path, format: configuration.format))
        }
        do {
            var numbers: [Int: Int] = [:]
            try state.forEachRecord(kind: "file") { record in
                if let (segment, seq) = Self.segmentAndSequence(record.key) { numbers[segment] = max(numbers[segment] ?? 0, seq + 1) }
            }
            let sequence = PartNumbers(numbers)
            let worker = configuration.scan.worker.index
            let outcome = try await ScanEngine(configuration: configuration.scan).run(
                table: table, state: state, logger: logger, progress: progress
            ) { segment, items in
                let users = items.filter { $0.type == "users" }  // not the email-guard items
                var records = RunState.PageRecords()
                guard !users.isEmpty else { return records }
                let path = "users/part-\(worker)-\(segment)-\(await sequence.next(segment)).json"
                let document = ExportDocument.encode(users: users, part: path)
                let entry = FileEntry(path: path, items: users.count, bytes: document.count, sha256: Hex.lowercase(SHA256.hash(data: document)))
                try await sink.add(path: path, contents: document)
                records.add(kind: "file", key: path, value: try JSONEncoder().encode(entry))
                records.count(.users, by: users.count)
                return records
            }
            guard outcome.complete else {
                throw ExportError(spooled
                    ? "the export stopped before the end (\(outcome.segmentsFinished) of \(outcome.segmentsAssigned) segments); its parts are kept for --resume"
                    : "the export stopped before the end (\(outcome.segmentsFinished) of \(outcome.segmentsAssigned) segments): nothing was written")
            }
            var files: [FileEntry] = []
            try state.forEachRecord(kind: "file") { record in files.append(try JSONDecoder().decode(FileEntry.self, from: record.value)) }
            files.sort { $0.path < $1.path }
            let archive: ArchiveSink
            if let sink = sink as? ArchiveSink {
                archive = sink
            } else {
                archive = try ArchiveSink(ArchiveWriter(creating: paths.partialArchive.path, format: configuration.format))
                for file in files {
                    try await archive.add(path: file.path, contents: try PartSpool.read(file, from: paths.parts))
                }
            }
            try await archive.add(path: Self.manifestPath, contents: try manifest(table: table, state: state, files: files))
            let (sha256, bytes) = try await archive.finish()
            try paths.commit(sha256: sha256)
            if spooled { try? FileManager.default.removeItem(at: paths.parts) }
            let itemCount = files.reduce(0) { $0 + $1.items }
            logger.info("export written", metadata: ["path": "\(destination.path)", "users": "\(itemCount)", "files": "\(files.count)"])
            return Result(archive: destination, sha256: sha256, bytes: bytes, itemCount: itemCount, files: files.count, runId: state.runId)
        } catch {
            try? FileManager.default.removeItem(at: paths.partialArchive)
            try? FileManager.default.removeItem(at: paths.partialChecksum)
            throw error
        }
    }

    /// `manifest.json`: a JSON:API document (meta only) describing the run and every part.
    func manifest(table: any UserTable, state: RunState, files: [FileEntry]) throws -> [UInt8] {
        struct Document: Encodable {
            struct Version: Encodable { var version = "1.0" }
            struct Meta: Encodable {
                struct Scan: Encodable {
                    var segments: Int
                    var concurrency: Int
                    var worker: String
                    var pageSize: Int
                    var attributes: [String]
                }
                var runId: String
                var table: String
                var backend: String
                var startedAt: String
                var exportedAt: String
                var format: String
                var scan: Scan
                var itemCount: Int
                var files: [FileEntry]
                var source: ManifestSource
                /// The export's time, for an archive made from a DynamoDB export.
                var asOf: String?
            }
            var jsonapi = Version()
            var meta: Meta
        }
        let scan = configuration.scan
        let meta = Document.Meta(
            runId: state.runId, table: table.tableName, backend: table.backendName,
            startedAt: ISO8601DateFormatter().string(from: state.startedAt),
            exportedAt: ISO8601DateFormatter().string(from: Date()), format: configuration.format.rawValue,
            scan: .init(segments: scan.totalSegments, concurrency: scan.concurrency, worker: scan.worker.description,
                        pageSize: scan.pageSize, attributes: ExportDocument.attributeNames),
            itemCount: files.reduce(0) { $0 + $1.items }, files: files, source: ManifestSource(configuration.source),
            asOf: configuration.source.provenance?.exportTime)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(Document(meta: meta)))
    }

    /// `meta.source` of `manifest.json`: `{"type": "scan"}`, or `{"type": "dynamodb-export",
    /// "exportArn", "tableArn", "exportTime"}`.
    struct ManifestSource: Codable, Hashable {
        var type: String
        var exportArn: String?
        var tableArn: String?
        var exportTime: String?

        init(_ source: ItemSource) {
            type = source.provenance == nil ? "scan" : ExportProvenance.kind
            exportArn = source.provenance?.exportArn
            tableArn = source.provenance?.tableArn
            exportTime = source.provenance?.exportTime
        }
    }

    /// `users/part-W-S-Q.json` → (S, Q).
    static func segmentAndSequence(_ path: String) -> (Int, Int)? {
        guard path.hasPrefix("users/part-"), path.hasSuffix(".json") else { return nil }
        let fields = path.dropFirst("users/part-".count).dropLast(".json".count).split(separator: "-")
        guard fields.count == 3, let segment = Int(fields[1]), let sequence = Int(fields[2]) else { return nil }
        return (segment, sequence)
    }

}

/// A failure that stopped an export, in one line.
public struct ExportError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The target and the temporary names beside it: `.<name>.<runId>.partial` (the archive being
/// written), `.<name>.sha256.<runId>.partial`, `.<name>.<runId>.parts/` (a resumable run's pages).
struct ExportPaths {
    var destination: URL
    var partialArchive: URL
    var partialChecksum: URL
    var checksum: URL
    var parts: URL

    init(destination: URL, runId: String) {
        let directory = destination.deletingLastPathComponent()
        let name = destination.lastPathComponent
        self.destination = destination
        partialArchive = directory.appendingPathComponent(".\(name).\(runId).partial")
        partialChecksum = directory.appendingPathComponent(".\(name).sha256.\(runId).partial")
        checksum = directory.appendingPathComponent(name + ".sha256")
        parts = directory.appendingPathComponent(".\(name).\(runId).parts", isDirectory: true)
    }

    /// Writes `PATH.sha256` (`sha256sum` format), then moves the archive to `PATH`.
    func commit(sha256: String) throws {
        let line = "\(sha256)  \(destination.lastPathComponent)\n"
        try PartSpool.writeSynced(Array(line.utf8), to: partialChecksum)
        try Self.rename(partialChecksum, checksum)
        try Self.rename(partialArchive, destination)
        let directory = open(destination.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    static func rename(_ from: URL, _ to: URL) throws {
        guard Glibc.rename(from.path, to.path) == 0 else {
            throw ExportError("cannot move \(from.lastPathComponent) to \(to.path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Where the pages go while the scan runs.
protocol PartSink: Sendable {
    func add(path: String, contents: [UInt8]) async throws
}

/// Straight into the archive, one page at a time (the writer is not thread-safe: the actor
/// serialises the segments' pages).
actor ArchiveSink: PartSink {
    private let writer: ArchiveWriter

    init(_ writer: sending ArchiveWriter) {
        self.writer = writer
    }

    func add(path: String, contents: [UInt8]) throws {
        try writer.add(path: path, contents: contents)
    }

    func finish() throws -> (sha256: String, bytes: Int) {
        let (digest, bytes) = try writer.finish()
        return (Hex.lowercase(digest), bytes)
    }
}

/// A resumable run's pages, one synced file each, mode 0600, in a directory mode 0700.
struct PartSpool: PartSink {
    let directory: URL

    init(directory: URL) throws {
        self.directory = directory
        try PrivateDirectory.create(at: directory.appendingPathComponent("users"))
    }

    func add(path: String, contents: [UInt8]) async throws {
        try Self.writeSynced(contents, to: directory.appendingPathComponent(path))
    }

    /// A spooled part, checked against its manifest entry.
    static func read(_ file: ExportJob.FileEntry, from directory: URL) throws -> [UInt8] {
        let contents = Array(try Data(contentsOf: directory.appendingPathComponent(file.path)))
        guard contents.count == file.bytes, Hex.lowercase(SHA256.hash(data: contents)) == file.sha256 else {
            throw ExportError("the spooled part \(file.path) changed since it was written: start the export again")
        }
        return contents
    }

    /// Creates or replaces `url` with `contents`, mode 0600, and syncs it.
    static func writeSynced(_ contents: [UInt8], to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ExportError("cannot create \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var offset = 0
        while offset < contents.count {
            let written = contents.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ExportError("cannot write \(url.path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        guard fsync(fd) == 0 else { throw ExportError("cannot sync \(url.path): \(String(cString: strerror(errno)))") }
    }
}

/// Each segment's next part number (continuing a resumed run's).
actor PartNumbers {
    private var next: [Int: Int]

    init(_ next: [Int: Int]) {
        self.next = next
    }

    func next(_ segment: Int) -> Int {
        let number = next[segment] ?? 0
        next[segment] = number + 1
        return number
    }
}
