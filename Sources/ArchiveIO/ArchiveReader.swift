import CArchive
import Foundation

/// Reads an archive of any format and compression libarchive knows, entry by entry.
///
/// ```swift
/// try ArchiveReader.forEachEntry(in: "users.tar.zst") { path, contents in
///     print(path, contents.count)
/// }
/// ```
public enum ArchiveReader {
    /// An entry larger than this is refused (a decompression bomb, not an export part).
    public static let maximumEntryBytes = 512 << 20

    /// Calls `body` with each regular file's path and contents, in archive order.
    public static func forEachEntry(in path: String, _ body: (String, [UInt8]) throws -> Void) throws {
        guard let archive = archive_read_new() else { throw ArchiveError("libarchive could not allocate a reader") }
        defer { archive_read_free(archive) }
        archive_read_support_filter_all(archive)
        archive_read_support_format_all(archive)
        guard archive_read_open_filename(archive, path, 1 << 16) == ARCHIVE_OK else {
            throw ArchiveError("cannot read \(path): \(message(archive))")
        }
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN, let entry else { throw ArchiveError("\(path): \(message(archive))") }
            let name = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
                ?? archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            guard archive_entry_filetype(entry) == ArchiveWriter.regularFile else { continue }
            var contents: [UInt8] = []
            if archive_entry_size_is_set(entry) != 0 {
                contents.reserveCapacity(min(Int(archive_entry_size(entry)), maximumEntryBytes))
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let read = chunk.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
                if read == 0 { break }
                guard read > 0 else { throw ArchiveError("\(path): \(name): \(message(archive))") }
                guard contents.count + read <= maximumEntryBytes else {
                    throw ArchiveError("\(path): \(name) is larger than \(maximumEntryBytes >> 20) MiB")
                }
                contents.append(contentsOf: chunk[0..<read])
            }
            try body(name, contents)
        }
    }

    private static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "not a readable archive"
    }
}
