import AWSClients
import Foundation
import UserVaultCore

/// The users table as a DynamoDB export to S3 holds it: the item source of `export` and `audit`
/// with `--as-of` / `--from-export`, read without a single DynamoDB request.
///
/// Each data file of the export is one scan segment (`totalSegments` is the number of data
/// files), so the scan engine, its worker shares (`--worker I/M` takes every M-th file), its
/// page commits and `--resume` work on an export as on the live table: a page holds `limit` of
/// the items the request keeps (users, for `usersOnly`), as a scan's page does, however many
/// lines that takes; its position is the count of lines read; a finished file is a finished
/// segment and is never read again. Pages of one file are served by one open
/// ``ExportDataFileReader``; a page asked from another position (a resumed run, a retried page)
/// reopens the file and passes over the lines already done.
///
/// ```swift
/// let manifest = try await DynamoDBExportManifest.read(s3: s3, bucket: "staging", folder: "p/AWSDynamoDB/0169-ab12/")
/// let table = ExportedUserTable(s3: s3, manifest: manifest)
/// try await AuditJob(configuration: .init(scan: .init(totalSegments: table.segments))).run(table: table, ...)
/// ```
///
/// Items are read as ``DynamoDBUserTable`` reads a scan page (``DynamoDBUserTable/storedItem(_:)``),
/// with only the attributes the request's projection names and the items `usersOnly` keeps
/// (``ProjectedItems``), as a DynamoDB projection and filter would.
/// Writes are refused: an export is a snapshot.
public struct ExportedUserTable: UserTable {
    public let backendName = "aws"
    public let manifest: DynamoDBExportManifest
    let s3: S3Client
    let readers: OpenReaders
    let chunkSize: Int

    public var tableName: String { manifest.tableName }
    /// The scan's segment count: one per data file (at least one, for an export with no file).
    public var segments: Int { max(1, manifest.dataFiles.count) }

    public init(s3: S3Client, manifest: DynamoDBExportManifest, chunkSize: Int = ExportDataFileReader.defaultChunkSize) {
        self.s3 = s3
        self.manifest = manifest
        self.chunkSize = chunkSize
        readers = OpenReaders()
    }

    public func scan(_ request: ScanRequest) async throws -> ScanPage {
        guard request.segment < manifest.dataFiles.count else {
            return ScanPage(items: [], lastEvaluatedId: nil, scannedCount: 0, consumedReadUnits: 0)
        }
        let done = request.startAfter.flatMap(Int.init) ?? 0
        let reader = await readers.take(segment: request.segment, at: done) {
            ExportDataFileReader(s3: s3, bucket: manifest.bucket, file: manifest.dataFiles[request.segment], chunkSize: chunkSize)
        }
        do {
            if await reader.linesRead < done { try await reader.skip(done - (await reader.linesRead)) }
            let names = Self.attributes(request.projection)
            let filter = request.usersOnly ? ProjectedItems.Filter(name: "type", value: userItemType) : nil
            let items = try await reader.next(limit: request.limit, keeping: names, filter: filter)
                ?? ProjectedItems(names: names, filter: filter)
            // One look past the page: a file that ends with it is checked (MD5, count) before the
            // page counts as its last.
            let finished = try await reader.atEnd()
            if !finished { await readers.keep(reader, segment: request.segment) }
            return ScanPage(items: Self.storedItems(items), lastEvaluatedId: finished ? nil : String(done + items.scanned),
                            scannedCount: items.scanned, consumedReadUnits: 0)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// The attributes a projection keeps, as the scan's ProjectionExpression does (the allow-list
    /// is the core's, ``UserAttributes/allowList``).
    static func attributes(_ projection: ScanProjection) -> [String] {
        switch projection {
        case .publicAttributes: UserAttributes.allowList
        case .keyReferences: ["id", "type", "credentialsKeyId"]
        case .full: UserAttributes.allowList + ["credentialsKeyId", "credentials"]
        }
    }

    /// The page's items as ``DynamoDBUserTable/storedItem(_:)`` reads a scan page's (an attribute
    /// the projection did not keep is absent).
    static func storedItems(_ items: ProjectedItems) -> [StoredItem] {
        // Each field's position, found once a page (nil: not kept).
        let fields = ["id", "type", "firstname", "lastname", "email", "username", "createdAt", "credentials", "credentialsKeyId"]
            .map { items.names.firstIndex(of: $0) }
        var page: [StoredItem] = []
        page.reserveCapacity(items.count)
        for index in 0..<items.count {
            func value(_ field: Int) -> AttributeValue? { fields[field].flatMap { items[index, $0] } }
            page.append(StoredItem(
                id: value(0)?.stringValue ?? "", type: value(1)?.stringValue, firstname: value(2)?.stringValue,
                lastname: value(3)?.stringValue, email: value(4)?.stringValue, username: value(5)?.stringValue,
                createdAt: value(6)?.stringValue, credentials: DynamoDBUserTable.storedCredentials(value(7)),
                credentialsKeyId: value(8)?.stringValue))
        }
        return page
    }

    /// An S3 failure is a service failure (the page is tried again); an export that does not
    /// match its manifest is not.
    static func mapped(_ error: any Error) -> any Error {
        guard let error = error as? AWSError else { return error }
        if error.code == "NoSuchKey" || error.code == "NotFound" || error.code == "PreconditionFailed" {
            return DynamoDBExportError.changedOrMissing(error.description)
        }
        return DynamoDBUserTable.mapped(error, table: "")
    }

    public func approximateItemCount() async throws -> Int? { manifest.itemCount }

    public func ensureTable() async throws -> Bool { throw Self.readOnly }
    public func insertUser(_ record: NewUserRecord) async throws { throw Self.readOnly }
    public func unconditionalPut(_ item: StoredItem) async throws { throw Self.readOnly }
    public func user(id: String) async throws -> UserSummary? { throw Self.readOnly }
    public func item(id: String) async throws -> StoredItem? { throw Self.readOnly }
    public func users(withEmails emails: [String]) async throws -> [UserSummary] { throw Self.readOnly }

    static let readOnly = UserTableError.conditionFailed("an export is a snapshot: it is read by scans only")
}

/// The readers of the files being read, by segment: a page continues where the previous page of
/// its segment stopped.
actor OpenReaders {
    private var open: [Int: ExportDataFileReader] = [:]

    /// The segment's open reader when it stands at `position`, else a new one.
    func take(segment: Int, at position: Int, _ make: @Sendable () -> ExportDataFileReader) async -> ExportDataFileReader {
        if let reader = open.removeValue(forKey: segment), await reader.linesRead == position { return reader }
        return make()
    }

    func keep(_ reader: ExportDataFileReader, segment: Int) {
        open[segment] = reader
    }
}
