import Crypto
import Foundation

/// Reads one data file of a DynamoDB export to S3 as it streams: ranged
/// [GetObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html)s of
/// ``chunkSize`` bytes, the next one requested while one is read, inflated as they arrive, split
/// into `{"Item": …}` lines, each decoded with the DynamoDB JSON codec (``AttributeValue``, the
/// full model, or only the attributes a page keeps: ``ProjectedItems``). Memory holds two chunks,
/// 256 KiB of inflated text and a page of items, whatever the file's size.
///
/// ```swift
/// let reader = ExportDataFileReader(s3: s3, bucket: manifest.bucket, file: manifest.dataFiles[0])
/// while let items = try await reader.next(limit: 1000) { ... }
/// ```
///
/// The file is checked against its line of `manifest-files.json` as it is read: its S3 entity tag
/// first (every range asks `If-Match` it, so a file replaced mid-read fails), then, at its end,
/// the MD5 of its bytes and its line count. A mismatch throws ``DynamoDBExportError`` naming the
/// file; no page after the check passes is returned until the file is proven whole.
public actor ExportDataFileReader {
    public nonisolated let file: DynamoDBExportManifest.DataFile
    public nonisolated let location: String
    private let s3: S3Client
    private let bucket: String
    private let chunkSize: Int
    private var md5 = Insecure.MD5()
    private var inflater: GzipInflater?
    private var size: Int?
    private var offset = 0
    /// Inflated text: the lines not yet read (``lines``, ranges of it), then the start of the
    /// next line. Lines are read where they are, never copied out.
    private var text: [UInt8] = []
    private var lines: [Range<Int>] = []
    /// Where in ``text`` the lines end and the unfinished line starts.
    private var linesEnd = 0
    private var nextIndex = 0
    private var checked = false
    /// The next chunk's GET, started when the previous chunk arrived.
    private var ahead: Task<Data, any Error>?
    /// Lines handed out (or skipped) so far.
    public private(set) var linesRead = 0

    /// The size of each ranged GET: 4 MiB by default (a reader holds two: the one being read,
    /// and the next on its way). 1 MiB was no faster on moto and is four times the requests on S3,
    /// whose guidance for ranged reads is several MiB.
    public static let defaultChunkSize = 4 << 20

    deinit {
        ahead?.cancel()
    }

    public init(s3: S3Client, bucket: String, file: DynamoDBExportManifest.DataFile, chunkSize: Int = defaultChunkSize) {
        self.s3 = s3
        self.bucket = bucket
        self.file = file
        self.chunkSize = max(1 << 16, chunkSize)
        location = "s3://\(bucket)/\(file.key)"
    }

    /// Up to `limit` items; `nil` once the file is done and has passed its checks.
    public func next(limit: Int) async throws -> [DynamoDBItem]? {
        var items: [DynamoDBItem] = []
        while items.count < limit, let line = try await nextLine() {
            items.append(try decode(line, Self.item))
        }
        return items.isEmpty && checked ? nil : items
    }

    /// The next `limit` items `filter` keeps (fewer at the file's end, or after `limit` times
    /// ``maximumScanRatio`` lines), with only the attributes `names` (``ProjectedItems``:
    /// everything else is checked and passed over); `nil` once the file is done and has passed
    /// its checks. A page of an export's users is a page of users, as the scan's pages are, not
    /// a page of lines of which the email guards are half.
    public func next(limit: Int, keeping names: [String], filter: ProjectedItems.Filter? = nil) async throws -> ProjectedItems? {
        var items = ProjectedItems(names: names, filter: filter)
        let maximumScanned = limit * Self.maximumScanRatio
        while items.count < limit, items.scanned < maximumScanned, let line = try await nextLine() {
            try decode(line) { json in try items.append(reading: &json) }
        }
        return items.scanned == 0 && checked ? nil : items
    }

    /// How many lines a page reads at most, per item asked for: a file of items the filter drops
    /// still ends its pages (a position to resume from, progress).
    public static let maximumScanRatio = 10

    /// Whether the file has no line left (reading ahead, and checking the file when it ends).
    public func atEnd() async throws -> Bool {
        while nextIndex == lines.count {
            if checked { return true }
            try await refill()
        }
        return false
    }

    /// Passes over `count` lines without decoding them (a resumed file's pages already done);
    /// they still count toward the file's checks.
    public func skip(_ count: Int) async throws {
        var left = count
        while left > 0, try await nextLine() != nil { left -= 1 }
    }

    /// The next line; `nil` at the end, after the checks.
    private func nextLine() async throws -> Range<Int>? {
        while nextIndex == lines.count {
            if checked { return nil }
            try await refill()
        }
        linesRead += 1
        defer { nextIndex += 1 }
        return lines[nextIndex]
    }

    /// The ranged GET of the chunk at `offset` (each asks `If-Match` the manifest's entity tag).
    private func fetch(at offset: Int, size: Int) -> Task<Data, any Error> {
        let (s3, bucket, key) = (s3, bucket, file.key)
        let range = offset...(min(offset + chunkSize, size) - 1)
        let tag = "\"\(Self.unquoted(file.etag))\""
        return Task { try await s3.getObject(bucket: bucket, key: key, range: range, ifMatch: tag) }
    }

    /// Drops the lines read (keeping the unfinished one) and reads more.
    private func refill() async throws {
        text.removeSubrange(0..<linesEnd)
        linesEnd = 0
        lines.removeAll(keepingCapacity: true)
        nextIndex = 0
        try await fill()
    }

    /// Reads the next chunk (and, at the end, checks the whole file).
    private func fill() async throws {
        if size == nil {
            let metadata = try await s3.headObject(bucket: bucket, key: file.key)
            guard Self.unquoted(metadata.eTag) == Self.unquoted(file.etag) else { throw DynamoDBExportError.changed(location) }
            size = metadata.contentLength
            do {
                inflater = try GzipInflater()
            } catch {
                throw DynamoDBExportError.malformedData(location, "\(error)")
            }
        }
        guard let size, let inflater else { return }
        do {
            // What was fed already, a piece at a time.
            if inflater.hasInput {
                _ = try inflater.pull { piece in split(piece) }
                return
            }
        } catch {
            throw DynamoDBExportError.malformedData(location, "\(error)")
        }
        if offset < size {
            let bytes = try await (ahead ?? fetch(at: offset, size: size)).value
            ahead = nil
            offset += bytes.count
            // The next chunk is on its way while this one is inflated and read.
            if offset < size { ahead = fetch(at: offset, size: size) }
            md5.update(data: bytes)
            inflater.feed(bytes)
            return
        }
        // The end: the last line may lack its newline; then the file's checks.
        if linesEnd < text.count {
            lines.append(linesEnd..<text.count)
            linesEnd = text.count
        }
        do {
            try inflater.finish()
        } catch {
            throw DynamoDBExportError.malformedData(location, "\(error)")
        }
        guard Data(md5.finalize()).base64EncodedString() == file.md5Checksum else {
            throw DynamoDBExportError.checksumMismatch(location)
        }
        let total = linesRead + lines.count - nextIndex
        guard total == file.itemCount else {
            throw DynamoDBExportError.countMismatch(location, lines: total, expected: file.itemCount)
        }
        checked = true
    }

    /// Appends an inflated piece to ``text`` and records the lines it completes (blank ones skipped).
    private func split(_ piece: UnsafeBufferPointer<UInt8>) {
        let scanFrom = text.count
        text.append(contentsOf: piece)
        text.withUnsafeBufferPointer { buffer in
            var start = linesEnd
            var index = scanFrom
            while let newline = Self.newline(in: buffer, from: index) {
                if newline > start { lines.append(start..<newline) }
                start = newline + 1
                index = start
            }
            linesEnd = start
        }
    }

    /// The position of the first newline at or after `index`, if any (memchr: the lines are long).
    private static func newline(in buffer: UnsafeBufferPointer<UInt8>, from index: Int) -> Int? {
        guard index < buffer.count, let base = buffer.baseAddress,
              let found = memchr(base + index, Int32(UInt8(ascii: "\n")), buffer.count - index)
        else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Reads the line in `range` of ``text`` with `read`, in place; a fault is one line naming the file and line.
    private func decode<Value>(_ range: Range<Int>, _ read: (inout JSONReader) throws -> Value) throws -> Value {
        do {
            return try JSONReader.read(text, range: range, read)
        } catch {
            throw DynamoDBExportError.malformedData(location, "line \(linesRead) is not an {\"Item\": …} line of DynamoDB JSON")
        }
    }

    /// `{"Item": {…}}` → the item.
    static func item(_ json: inout JSONReader) throws -> DynamoDBItem {
        var item: DynamoDBItem?
        try json.object { json, name in
            guard name == "Item", item == nil else {
                throw JSONReader.Failure(offset: 0, expected: "one member, Item")
            }
            item = try DynamoDBItem(reading: &json)
        }
        guard let item else { throw JSONReader.Failure(offset: 0, expected: "an Item member") }
        return item
    }

    static func unquoted(_ tag: String?) -> String {
        var tag = tag ?? ""
        if tag.hasPrefix("\"") { tag.removeFirst() }
        if tag.hasSuffix("\"") { tag.removeLast() }
        return tag
    }
}
